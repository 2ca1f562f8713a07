"""Who may read and act on which timesheet records.

The Operator, the Ministry and admins read every record; a coordinator their own site's; a student
their own; MIO and NVS officers their region's placements and reports. A record outside the caller's
scope is answered as not found.
"""
from common.auth import ADMIN, COORDINATOR, MINISTRY, MIO_OFFICER, NVS_OFFICER, OPERATOR, STUDENT
from common.errors import Forbidden, NotFound

NATIONAL = (OPERATOR, MINISTRY, ADMIN)


def visibility(principal, model):
    """SQL conditions limiting `model`'s rows to the caller's scope; Forbidden for other roles."""
    if principal.has(*NATIONAL):
        return []
    if principal.has(COORDINATOR):
        return [model.site_id == principal.site_id]
    if principal.has(STUDENT):
        return [model.student_id == principal.user_id]
    if principal.has(MIO_OFFICER, NVS_OFFICER) and hasattr(model, "region"):
        return [model.region == principal.region]
    raise Forbidden("timesheets are open to students, their sites and the Operator")


def own_site(principal, record, what):
    """A coordinator acts on their own site's records only."""
    if record.site_id != principal.site_id:
        raise NotFound(f"no such {what}", {f"{what}_id": ["unknown"]})
    return record


def own(principal, record, what):
    """A student acts on their own records only."""
    if record is None or record.student_id != principal.user_id:
        raise NotFound(f"no such {what}", {f"{what}_id": ["unknown"]})
    return record


def coordinated_site(principal):
    """The site a coordinator's check-in codes are for."""
    if not principal.site_id:
        raise Forbidden("check-in codes are shown by a site's coordinator", {"site_id": ["no site"]})
    return principal.site_id
