"""Helpers of registry's rule tests."""
from common.errors import DomainError


def refused(check, *args):
    """The domain error a rule raises for `args` (its status, message and fields), or None when it
    lets them pass."""
    try:
        check(*args)
    except DomainError as exc:
        return exc
    return None
