"""Who may see and change which registry records (the predicates are `rules.may_*`): a record outside
the caller's scope is answered as not found."""
from sqlalchemy import or_

from common.auth import COORDINATOR, REGIONAL_OFFICERS
from common.errors import Forbidden, NotFound
from services.registry import rules
from services.registry.models import Organisation


def visible_organisation(principal, organisation):
    if organisation is None or not rules.may_see_organisation(principal, organisation.id, organisation.region,
                                                              organisation.status):
        raise NotFound("no such organisation")
    return organisation


def visible_student(principal, student):
    if student is None or not rules.may_see_student(principal, student.id, student.region, student.university_id):
        raise NotFound("no such student")
    return student


def own_student(principal, student):
    if student is None:
        raise NotFound("no such student")
    return student


def registrars_student(principal, student):
    if student is None or not rules.may_decide_enrolment(principal, student.university_id):
        raise NotFound("no such student at your university")
    return student


def check_may_decide(principal, organisation, decision):
    if decision == "withdraw":
        if not rules.may_withdraw(principal, organisation.id, organisation.representative_id):
            raise Forbidden("only the organisation's representative withdraws its application")
    elif not rules.may_decide(principal, organisation.region):
        raise Forbidden(f"only an MIO or NVS officer of {organisation.region} may {decision} this organisation")


def check_may_add_site(principal, organisation):
    if not rules.may_add_site(principal, organisation.id, organisation.region, organisation.representative_id):
        raise Forbidden("only the organisation's representative or an officer of its region adds sites")


def check_representative(principal, organisation):
    """An organisation's representative (who creates its site coordinators)."""
    if organisation is None or not rules.is_representative(principal, organisation.representative_id):
        raise Forbidden("only an admin or an organisation's representative creates staff users")


def check_own_organisation(principal, organisation_id):
    if principal.organisation_id != organisation_id:
        raise Forbidden("the report is not your organisation's", {"placement_id": ["another organisation"]})


def organisations_condition(principal):
    """The SQL condition matching `rules.may_see_organisation` for lists (None: every organisation)."""
    if rules.sees_every_organisation(principal):
        return None
    conditions = [Organisation.status == rules.ACCREDITED]
    if principal.has(*REGIONAL_OFFICERS) and principal.region:
        conditions.append(Organisation.region == principal.region)
    if principal.has(COORDINATOR) and principal.organisation_id:
        conditions.append(Organisation.id == principal.organisation_id)
    return or_(*conditions)
