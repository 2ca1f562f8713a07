"""Who may read which placement records.

Students read their own applications and placements; a coordinator their own site's; MIO and NVS
officers their region's. A record outside the caller's scope is answered as not found.
"""
from sqlalchemy import and_, false, or_

from common.auth import COORDINATOR, REGIONAL_OFFICERS, STUDENT
from common.errors import NotFound
from services.placement import rules
from services.placement.models import Organisation, Project

READERS = (STUDENT, COORDINATOR) + REGIONAL_OFFICERS


def may_read(principal, record):
    """`record` has student_id (or not), site_id and region."""
    return (principal.has(STUDENT) and getattr(record, "student_id", None) == principal.user_id) \
        or (principal.has(COORDINATOR) and principal.site_id is not None and record.site_id == principal.site_id) \
        or (principal.has(*REGIONAL_OFFICERS) and principal.region is not None
            and record.region == principal.region)


def readable(principal, record, what):
    if record is None or not may_read(principal, record):
        raise NotFound(f"no such {what}")
    return record


def records_condition(principal, model):
    """The SQL condition matching the applications or placements `principal` may read."""
    conditions = []
    if principal.has(STUDENT):
        conditions.append(model.student_id == principal.user_id)
    if principal.has(COORDINATOR) and principal.site_id:
        conditions.append(model.site_id == principal.site_id)
    if principal.has(*REGIONAL_OFFICERS) and principal.region:
        conditions.append(model.region == principal.region)
    return or_(*conditions) if conditions else false()


def projects_condition(principal, listing):
    """Projects `principal` may see: a coordinator their own site's, whatever their state; students
    and officers only those of accredited organisations (officers their region's). In a listing,
    students see open projects only."""
    accredited = Organisation.status == rules.ORGANISATION_ACCREDITED
    conditions = []
    if principal.has(STUDENT):
        conditions.append(and_(accredited, Project.status == rules.OPEN) if listing else accredited)
    if principal.has(COORDINATOR) and principal.site_id:
        conditions.append(Project.site_id == principal.site_id)
    if principal.has(*REGIONAL_OFFICERS) and principal.region:
        conditions.append(and_(accredited, Project.region == principal.region))
    return or_(*conditions) if conditions else false()


def own_site_record(principal, record, what):
    """A coordinator acts on their own site's records only."""
    if record is None or record.site_id != principal.site_id:
        raise NotFound(f"no such {what}")
    return record


def own_record(principal, record, what):
    """A student acts on their own records only."""
    if record is None or record.student_id != principal.user_id:
        raise NotFound(f"no such {what}")
    return record


def found(record, what):
    if record is None:
        raise NotFound(f"no such {what}")
    return record
