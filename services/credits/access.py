"""Who may act on, and read, which re-count requests.

A registrar acts on their own university's queue; the Operator and admins, the student it belongs to,
and the registrar of the university that holds it read a request. A request outside the caller's
scope is answered as not found.
"""
from common.auth import ADMIN, OPERATOR, REGISTRAR, STUDENT
from common.errors import Forbidden, NotFound

VIEWER_ROLES = (OPERATOR, ADMIN, REGISTRAR, STUDENT)


def registrar(caller):
    registrar = caller.require(REGISTRAR)
    if not registrar.university_id:
        raise Forbidden("a registrar's token must name their university")
    return registrar


def can_see(principal, request):
    if principal.has(OPERATOR, ADMIN):
        return True
    if principal.has(REGISTRAR) and principal.university_id == request.university_id:
        return True
    return principal.has(STUDENT) and principal.user_id == request.student_id


def readable(principal, request):
    if request is None or not can_see(principal, request):
        raise NotFound("no such re-count request")
    return request


def university_request(registrar, request):
    """A registrar decides their own university's requests only (`request`: the domain's, or None)."""
    if request is None or request.row.university_id != registrar.university_id:
        raise NotFound("no such re-count request")
    return request
