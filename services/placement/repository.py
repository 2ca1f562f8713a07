"""Placement's write side: gets, adds and locks what a change needs, as the domain's objects.

A change to a project's places locks the project's row (and its waitlist) first: concurrent
acceptances queue on it, and each sees the places the one before left. The CHECK on `places_held`
and the partial unique index on placements (student, voucher kind) are the backstops of the rules.
"""
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from common.clock import as_utc, utcnow
from common.db import find
from common.errors import Conflict
from common.ids import is_id
from common.unit_of_work import track
from services.placement import access, domain, rules
from services.placement.models import Application, Enrolment, InterviewSlot, Organisation, Placement, Project, Site


def add(session, *rows):
    session.add_all(rows)
    session.flush()


def add_placement(session, placement):
    """The backstop of the voucher rule: a concurrent acceptance placed the student with this kind first."""
    try:
        add(session, placement)
    except IntegrityError:
        raise Conflict("the student was placed with a voucher of this kind at the same moment",
                       {"voucher_kind": ["already held"]})


# Registry's organisations and sites

def organisation(session, organisation_id, region=None):
    """The organisation, locked; a placeholder `pending` one (which any event replaces) when placement
    has heard of none yet (a site heard of before its organisation)."""
    found = session.get(Organisation, organisation_id, with_for_update=True)
    if found is None:
        found = Organisation(id=organisation_id, name="", region=region, status=rules.OrganisationStatus.PENDING)
        add(session, found)
    return found


def add_site(session, organisation_id, site):
    organisation(session, organisation_id, site["region"])
    session.merge(Site(id=site["site_id"], organisation_id=organisation_id, name=site["name"],
                       address=site["address"], city=site["city"], region=site["region"],
                       directions=list(site["directions"]), online=site["online"]))


# Projects: the aggregate

def project_select():
    return (select(Project, Site, Organisation)
            .join(Site, Site.id == Project.site_id)
            .join(Organisation, Organisation.id == Project.organisation_id))


def project(session, project_id, principal=None, lock=False):
    """The project as the domain's `Project`, or None; only one `principal` may see, if given. `lock`
    locks its row and its waitlist for a change of its places, and tracks it for the unit of work."""
    if not is_id(project_id):
        return None
    statement = project_select().where(Project.id == project_id)
    if principal is not None:
        statement = statement.where(access.projects_condition(principal, listing=False))
    row = session.execute(statement).first()
    if row is None:
        return None
    if not lock:
        return domain.Project(*row)
    session.refresh(row[0], with_for_update=True)
    waitlist = session.scalars(
        select(Application).where(Application.project_id == project_id, Application.status == rules.WAITLISTED)
        .order_by(Application.created_at, Application.id).with_for_update()
        .execution_options(populate_existing=True)).all()
    return track(session, domain.Project(*row, waitlist=waitlist, first_free_slot_at=first_free_slot_at(
        session, project_id)))


def first_free_slot_at(session, project_id):
    """When the project's earliest free interview slot to come starts, or None."""
    return as_utc(session.scalar(select(func.min(InterviewSlot.starts_at)).where(
        InterviewSlot.project_id == project_id, InterviewSlot.application_id.is_(None),
        InterviewSlot.starts_at > utcnow())))


def student(session, student_id):
    """The student's placements and applications in progress (locked), their interviews, the projects
    (locked) of those holding a place, and their enrolment."""
    applications = session.scalars(select(Application).where(
        Application.student_id == student_id, Application.status.in_(rules.IN_PROGRESS))
        .order_by(Application.created_at, Application.id).with_for_update()).all()
    ids = [a.id for a in applications]
    interviews = {slot.application_id: slot for slot in session.scalars(
        select(InterviewSlot).where(InterviewSlot.application_id.in_(ids)))} if ids else {}
    holding = sorted({a.project_id for a in applications if rules.holds_place(a.status)})
    return domain.Student(
        placements=session.scalars(select(Placement).where(Placement.student_id == student_id)).all(),
        applications=applications, interviews=interviews,
        projects={project_id: project(session, project_id, lock=True) for project_id in holding},
        enrolment=session.get(Enrolment, student_id))


def enrolment(session, student_id):
    """The student's enrolment as placement knows it, locked; None if it has heard of none."""
    return session.get(Enrolment, student_id, with_for_update=True)


# Applications, interviews, placements

def get_application(session, application_id, lock=False):
    return find(session, Application, application_id, lock)


def interview_of(session, application_id):
    return session.scalar(select(InterviewSlot).where(InterviewSlot.application_id == application_id))


def applied_to(session, student_id, project_id):
    """Has the student an application in progress for the project?"""
    return session.scalar(select(Application.id).where(
        Application.student_id == student_id, Application.project_id == project_id,
        Application.status.in_(rules.IN_PROGRESS)).limit(1)) is not None


def get_slot(session, slot_id, lock=False):
    return find(session, InterviewSlot, slot_id, lock)


def awaiting_interview(session, project_id):
    """The project's applications that may book an interview and have none booked yet."""
    booked = select(InterviewSlot.id).where(InterviewSlot.application_id == Application.id).exists()
    return session.scalars(select(Application).where(
        Application.project_id == project_id, Application.status.in_(rules.INTERVIEWABLE), ~booked)
        .order_by(Application.created_at, Application.id)).all()


def get_placement(session, placement_id, lock=False):
    return find(session, Placement, placement_id, lock)
