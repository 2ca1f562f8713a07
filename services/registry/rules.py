"""Registry's pure rules: IIN and BIN, staff scopes, organisation status changes and visibility.

IIN and BIN checks live in `common.iin` (payments checks the IIN of a payout's beneficiary too).
"""
import datetime as dt
from dataclasses import dataclass

from common.auth import (ADMIN, COORDINATOR, MINISTRY, MIO_OFFICER, NVS_OFFICER, OPERATOR, REGIONAL_OFFICERS,
                         REGISTRAR, SCOPE_KEYS, STUDENT)
from common.contracts.registry import ORGANISATION_STATUSES, STAFF_ROLES
from common.iin import (CENTURY_BY_DIGIT, FIRST_WEIGHTS, SECOND_WEIGHTS, check_digit,  # noqa: F401 (re-exported)
                        has_valid_check_digit, iin_problem, is_valid_iin)
from common.iin import birth_date as _birth_date

# 5th BIN digit: resident legal entity, non-resident legal entity, individual entrepreneur (joint).
BIN_ENTITY_TYPES = {"4": "resident", "5": "non_resident", "6": "joint_entrepreneur"}


@dataclass(frozen=True)
class Person:
    iin: str
    birth_date: dt.date
    sex: str  # "male" or "female"


def person_from_iin(iin):
    """Birth date and sex read from a valid IIN; ValueError naming the problem otherwise."""
    problem = iin_problem(iin)
    if problem:
        raise ValueError(problem)
    return Person(iin=iin, birth_date=_birth_date(iin), sex="male" if int(iin[6]) % 2 else "female")


def bin_problem(bin_):
    """Why `bin_` is not a valid BIN (business identification number), or None."""
    if not (isinstance(bin_, str) and len(bin_) == 12 and bin_.isdigit()):
        return "a BIN is 12 digits"
    if not 1 <= int(bin_[2:4]) <= 12:
        return "digits 3-4 of a BIN are the month of registration"
    if bin_[4] not in BIN_ENTITY_TYPES:
        return "the 5th digit of a BIN (entity type) must be 4, 5 or 6"
    if not has_valid_check_digit(bin_):
        return "the BIN's check digit is wrong"
    return None


def is_valid_bin(bin_):
    return bin_problem(bin_) is None


# Staff roles and the scope each is bound to.

NATIONAL_ROLES = (OPERATOR, MINISTRY, ADMIN)
SCOPE_NEEDED = {
    COORDINATOR: ("organisation_id",),  # site_id too for a site coordinator; none: the organisation's representative
    MIO_OFFICER: ("region",),
    NVS_OFFICER: ("region",),
    REGISTRAR: ("university_id",),
    OPERATOR: (),
    MINISTRY: (),
    ADMIN: (),
}
SCOPE_ALLOWED = {
    COORDINATOR: ("organisation_id", "site_id"),
    REGISTRAR: ("university_id",),
}


def staff_scope_problems(role, scope):
    """Field errors for a staff user's role and scope keys in `scope` (before region is derived)."""
    if role not in STAFF_ROLES:
        return {"role": [f"must be one of: {', '.join(STAFF_ROLES)}"]}
    allowed = SCOPE_ALLOWED.get(role, SCOPE_NEEDED[role])
    problems = {key: [f"required for the role {role}"] for key in SCOPE_NEEDED[role] if not scope.get(key)}
    problems.update({key: [f"not part of the role {role}'s scope"] for key in SCOPE_KEYS
                     if scope.get(key) and key not in allowed})
    return problems


def is_representative(principal):
    """An organisation's representative: a coordinator bound to an organisation but to no site."""
    return principal.has(COORDINATOR) and bool(principal.organisation_id) and not principal.site_id


# Organisations: status changes and who sees what.

PENDING, ACCREDITED, REJECTED, SUSPENDED = ORGANISATION_STATUSES
TRANSITIONS = {
    "accredit": ((PENDING, SUSPENDED), ACCREDITED),
    "reject": ((PENDING,), REJECTED),
    "suspend": ((ACCREDITED,), SUSPENDED),
}


def next_status(current, decision):
    """The status after `decision`, or None when the decision does not apply to `current`."""
    allowed_from, to = TRANSITIONS[decision]
    return to if current in allowed_from else None


def may_decide(principal, organisation_region):
    """Only an MIO or NVS officer of the organisation's own region accredits, rejects or suspends."""
    return principal.has(*REGIONAL_OFFICERS) and principal.region == organisation_region


def sees_every_organisation(principal):
    return principal.has(*NATIONAL_ROLES)


def may_see_organisation(principal, organisation_id, region, status):
    """Accredited organisations are visible to everyone signed in; the others to the national roles,
    the officers of their region and their own representative or coordinators."""
    return status == ACCREDITED or sees_every_organisation(principal) \
        or (principal.has(*REGIONAL_OFFICERS) and principal.region == region) \
        or (principal.has(COORDINATOR) and principal.organisation_id == organisation_id)


def may_add_site(principal, organisation_id, region):
    return may_decide(principal, region) or (is_representative(principal)
                                             and principal.organisation_id == organisation_id)


def may_see_student(principal, student_id, region, university_id):
    if principal.has(STUDENT) and principal.user_id == student_id:
        return True
    return principal.has(*NATIONAL_ROLES) \
        or (principal.has(REGISTRAR) and principal.university_id == university_id) \
        or (principal.has(*REGIONAL_OFFICERS) and principal.region == region)
