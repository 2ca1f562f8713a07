"""Placement's queries and writes, so the service stays thin.

Places are counted in `projects.places_held` and only ever changed by one guarded UPDATE each way:
taking a place succeeds only while `places_held < places`, so concurrent acceptances queue on the
project's row and the ones that find it full are refused; the partial unique index on placements
(student, voucher kind) is the backstop of the one-voucher-of-each-kind rule.
"""
import logging

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from common import programme
from common.contracts import placement as contracts
from common.db import as_utc, find, page
from common.errors import Conflict
from common.ids import is_id, new_id
from common.outbox import record_event, utcnow
from services.placement import access, rules
from services.placement.models import (Application, Enrolment, InterviewSlot, Organisation, OutboxEvent,
                                       Placement, Project, Site)

log = logging.getLogger(__name__)

PROJECT_SORT_COLUMNS = {
    "starts_on": Project.starts_on,
    "free_places": Project.places - Project.places_held,
    "created_at": Project.created_at,
    "title": Project.title,
}


# The read model of accredited organisations and their sites

def save_organisation(session, organisation_id, status, name=None, region=None, event=None):
    """The organisation's status from `event` (an `Event`), unless a newer one set it already; without
    an event (a site heard of before its organisation), a placeholder that any event replaces."""
    organisation = session.get(Organisation, organisation_id, with_for_update=True)
    if organisation is None:
        organisation = Organisation(id=organisation_id, name=name or "", region=region, status=status)
        session.add(organisation)
    if event is not None and rules.organisation_fact_is_newer(
            event.occurred_at, event.event_id, as_utc(organisation.status_at), organisation.status_event_id):
        organisation.status, organisation.status_at, organisation.status_event_id = (
            status, event.occurred_at, event.event_id)
    organisation.name = name or organisation.name
    organisation.region = region or organisation.region
    session.flush()
    return organisation


def save_site(session, organisation_id, site):
    if session.get(Organisation, organisation_id) is None:  # the site arrived before its organisation
        save_organisation(session, organisation_id, "pending", region=site["region"])
    session.merge(Site(id=site["site_id"], organisation_id=organisation_id, name=site["name"],
                       address=site["address"], city=site["city"], region=site["region"],
                       directions=list(site["directions"]), online=site["online"]))


def save_enrolment(session, data):
    """Registry's enrolment of a student, unless a higher version of it is known already."""
    enrolment = session.get(Enrolment, data["student_id"], with_for_update=True)
    if enrolment is None:
        session.add(Enrolment(student_id=data["student_id"], university_id=data["university_id"],
                              status=data["status"], reason=data["reason"], version=data["version"]))
    elif data["version"] > enrolment.version:
        enrolment.university_id, enrolment.status, enrolment.reason, enrolment.version = (
            data["university_id"], data["status"], data["reason"], data["version"])


# Projects

def add_project(session, site, organisation, data, actor):
    now = utcnow()
    project = Project(
        id=new_id(), site_id=site.id, organisation_id=organisation.id, region=site.region,
        city=data.get("city") or site.city, title=data["title"], description=data["description"],
        search_text=search_text(data["title"], data["description"]), direction=data["direction"],
        voucher_kind=data["voucher_kind"], places=data["places"], places_held=0,
        starts_on=data["starts_on"], ends_on=data["ends_on"], schedule=data["schedule"],
        online=data["online"], languages=",".join(sorted(set(data["languages"]))), status=rules.OPEN,
        created_at=now, created_by=actor, updated_at=now, updated_by=actor,
    )
    session.add(project)
    session.flush()
    return project


def search_text(title, description):
    return f"{title}\n{description}".casefold()


def project_row(session, project_id):
    """(project, site, organisation) or None."""
    if not is_id(project_id):
        return None
    return session.execute(project_select().where(Project.id == project_id)).first()


def project_select():
    return (select(Project, Site, Organisation)
            .join(Site, Site.id == Project.site_id)
            .join(Organisation, Organisation.id == Project.organisation_id))


def search_projects(session, principal, query):
    statement = project_select().where(access.projects_condition(principal, listing=True))
    for condition in project_filters(query):
        statement = statement.where(condition)
    return page(session, statement.order_by(*project_order(query["sort"])), query["limit"], query["offset"],
                rows=True)


def project_filters(query):
    equal = {"region": Project.region, "direction": Project.direction, "voucher_kind": Project.voucher_kind,
             "online": Project.online, "status": Project.status}
    conditions = [column == query[name] for name, column in equal.items() if name in query]
    if "city" in query:
        conditions.append(func.lower(Project.city) == query["city"].lower())
    if "language" in query:
        conditions.append(Project.languages.contains(query["language"]))
    if "starts_from" in query:
        conditions.append(Project.starts_on >= query["starts_from"])
    if "ends_until" in query:
        conditions.append(Project.ends_on <= query["ends_until"])
    if "has_free_places" in query:
        has_free = Project.places_held < Project.places
        conditions.append(has_free if query["has_free_places"] else ~has_free)
    for word in query.get("q", "").casefold().split():
        conditions.append(Project.search_text.contains(word, autoescape=True))
    return conditions


def project_order(sort):
    column = PROJECT_SORT_COLUMNS[sort.lstrip("-")]
    return (column.desc() if sort.startswith("-") else column.asc(), Project.id)


def project_view(project, site, organisation):
    return {
        **{name: getattr(project, name) for name in (
            "id", "title", "description", "direction", "voucher_kind", "places", "starts_on", "ends_on",
            "schedule", "online", "region", "city", "site_id", "organisation_id", "status")},
        "created_at": as_utc(project.created_at),
        "free_places": rules.free_places(project.places, project.places_held),
        "languages": project.languages.split(","),
        "site_name": site.name,
        "organisation_name": organisation.name,
    }


# Places and the waitlist

def take_place(session, project_id):
    """Hold one of the project's places, or raise Conflict when none is free."""
    taken = session.execute(update(Project).where(Project.id == project_id, Project.places_held < Project.places)
                            .values(places_held=Project.places_held + 1)
                            .execution_options(synchronize_session=False)).rowcount
    if not taken:
        places, held = session.execute(select(Project.places, Project.places_held)
                                       .where(Project.id == project_id)).one()
        rules.check_place_free(places, held)


def release_place(session, project_id, actor):
    """Give a place back and offer what is free to the waitlist, oldest first."""
    session.execute(update(Project).where(Project.id == project_id, Project.places_held > 0)
                    .values(places_held=Project.places_held - 1)
                    .execution_options(synchronize_session=False))
    offer_free_places(session, project_id, actor)


def offer_free_places(session, project_id, actor):
    while (application := first_waitlisted(session, project_id)) is not None:
        try:
            take_place(session, project_id)
        except Conflict:
            return
        change_status(application, rules.OFFERED, actor)
        session.flush()
        record_interview_offered(session, application)


def first_waitlisted(session, project_id):
    return session.scalar(
        select(Application).where(Application.project_id == project_id, Application.status == rules.WAITLISTED)
        .order_by(Application.created_at, Application.id).limit(1)
        .with_for_update().execution_options(populate_existing=True))


def waitlist_position(session, application):
    if application.status != rules.WAITLISTED:
        return None
    return 1 + session.scalar(select(func.count()).where(
        Application.project_id == application.project_id, Application.status == rules.WAITLISTED,
        Application.created_at < application.created_at))


# Applications and interviews

def add_application(session, project, principal, motivation):
    now = utcnow()
    application = Application(
        id=new_id(), project_id=project.id, site_id=project.site_id, region=project.region,
        student_id=principal.user_id, student_name=principal.name, university_id=principal.university_id,
        voucher_kind=project.voucher_kind, motivation=motivation,
        status=rules.status_on_applying(rules.free_places(project.places, project.places_held)),
        created_at=now, updated_at=now, updated_by=principal.user_id)
    session.add(application)
    session.flush()
    return application


def change_status(application, status, actor, reason=None):
    application.status = status
    application.reason = reason
    application.updated_at = utcnow()
    application.updated_by = actor


def get_application(session, application_id, lock=False):
    return find(session, Application, application_id, lock)


def student_applications_in_progress(session, student_id):
    return session.scalars(select(Application).where(Application.student_id == student_id,
                                                     Application.status.in_(rules.IN_PROGRESS))).all()


def student_placements(session, student_id):
    return session.scalars(select(Placement).where(Placement.student_id == student_id)).all()


def list_applications(session, principal, query):
    statement = select(Application).where(access.records_condition(principal, Application))
    if "project_id" in query:
        statement = statement.where(Application.project_id == query["project_id"])
    if "status" in query:
        statement = statement.where(Application.status == query["status"])
    return page(session, statement.order_by(Application.created_at, Application.id), query["limit"], query["offset"])


def interview_of(session, application_id):
    return session.scalar(select(InterviewSlot).where(InterviewSlot.application_id == application_id))


def project_title(session, project_id):
    return session.scalar(select(Project.title).where(Project.id == project_id))


def application_view(session, application, show_booking=False):
    interview = interview_of(session, application.id)
    placement = session.scalar(select(Placement.id).where(Placement.application_id == application.id))
    return {
        **{name: getattr(application, name) for name in (
            "id", "project_id", "student_id", "student_name", "voucher_kind", "motivation", "status", "reason")},
        "project_title": project_title(session, application.project_id),
        "waitlist_position": waitlist_position(session, application),
        "interview": slot_view(interview, show_booking) if interview else None,
        "placement_id": placement,
        "created_at": as_utc(application.created_at),
        "updated_at": as_utc(application.updated_at),
    }


def add_slots(session, project_id, slots, actor):
    now = utcnow()
    rows = [InterviewSlot(id=new_id(), project_id=project_id, starts_at=slot["starts_at"],
                          online_link=slot.get("online_link"), address=slot.get("address"),
                          created_at=now, created_by=actor) for slot in slots]
    session.add_all(rows)
    session.flush()
    return rows


def first_free_slot_at(session, project_id):
    """When the project's earliest free interview slot to come starts, or None."""
    return as_utc(session.scalar(select(func.min(InterviewSlot.starts_at)).where(
        InterviewSlot.project_id == project_id, InterviewSlot.application_id.is_(None),
        InterviewSlot.starts_at > utcnow())))


def awaiting_interview(session, project_id):
    """The project's applications that may book an interview and have none booked yet."""
    booked = select(InterviewSlot.id).where(InterviewSlot.application_id == Application.id).exists()
    return session.scalars(select(Application).where(
        Application.project_id == project_id, Application.status.in_(rules.INTERVIEWABLE), ~booked)
        .order_by(Application.created_at, Application.id)).all()


def get_slot(session, slot_id):
    return find(session, InterviewSlot, slot_id)


def project_slots(session, project_id, free_future_only=False):
    statement = select(InterviewSlot).where(InterviewSlot.project_id == project_id)
    if free_future_only:
        statement = statement.where(InterviewSlot.application_id.is_(None), InterviewSlot.starts_at > utcnow())
    return session.scalars(statement.order_by(InterviewSlot.starts_at, InterviewSlot.id)).all()


def slot_view(slot, show_booking):
    return {"id": slot.id, "project_id": slot.project_id, "starts_at": as_utc(slot.starts_at),
            "online_link": slot.online_link, "address": slot.address, "booked": slot.application_id is not None,
            "application_id": slot.application_id if show_booking else None}


def book_slot(session, slot, application_id):
    """Book a free slot; Conflict when someone booked it first."""
    booked = session.execute(update(InterviewSlot)
                             .where(InterviewSlot.id == slot.id, InterviewSlot.application_id.is_(None))
                             .values(application_id=application_id)
                             .execution_options(synchronize_session=False)).rowcount
    if not booked:
        raise Conflict("the interview slot is booked by someone else", {"slot_id": ["already booked"]})


def free_slot_of(session, application_id):
    session.execute(update(InterviewSlot).where(InterviewSlot.application_id == application_id)
                    .values(application_id=None).execution_options(synchronize_session=False))


def end_application(session, application, status, actor, reason=None):
    """Withdraw, reject, record a no-show or supersede: frees the interview and any reserved place."""
    held = rules.holds_place(application.status)
    change_status(application, status, actor, reason)
    if status in (rules.WITHDRAWN, rules.SUPERSEDED):  # the interview will not happen: others may book it
        free_slot_of(session, application.id)
    session.flush()
    if held:
        release_place(session, application.project_id, actor)


# Application events: what the student and the site hear about an application

def application_event(session, application, **details):
    return {"application_id": application.id, "student_id": application.student_id,
            "student_name": application.student_name, "project_id": application.project_id,
            "project_title": project_title(session, application.project_id), "site_id": application.site_id,
            "region": application.region, **details}


def record_interview_offered(session, application):
    record_event(session, OutboxEvent, contracts.INTERVIEW_OFFERED, application_event(
        session, application, first_slot_at=first_free_slot_at(session, application.project_id)))


def record_interview_booked(session, application, slot):
    record_event(session, OutboxEvent, contracts.INTERVIEW_BOOKED, application_event(
        session, application, slot_id=slot.id, starts_at=as_utc(slot.starts_at), online_link=slot.online_link,
        address=slot.address))


def record_decision(session, application, placement=None):
    """The outcome just recorded (the application's status now) and the placement an acceptance started."""
    record_event(session, OutboxEvent, contracts.APPLICATION_DECIDED, application_event(
        session, application, outcome=application.status, reason=application.reason,
        placement_id=placement.id if placement else None))


# Placements

def accept(session, application, project, site, organisation, actor):
    """Place the student: a place (unless one was reserved for them), the placement, its event."""
    rules.check_accredited(organisation.status)
    rules.check_voucher_free(application.voucher_kind, rules.held_voucher_kinds(
        student_placements(session, application.student_id), programme.programme_year(project.starts_on)))
    if not rules.holds_place(application.status):
        take_place(session, project.id)
    change_status(application, rules.ACCEPTED, actor)
    placement = Placement(
        id=new_id(), application_id=application.id, student_id=application.student_id,
        student_name=application.student_name, university_id=application.university_id,
        project_id=project.id, project_title=project.title, site_id=project.site_id,
        organisation_id=project.organisation_id, region=project.region, direction=project.direction,
        voucher_kind=project.voucher_kind, hours_required=programme.voucher(project.voucher_kind).hours,
        starts_on=project.starts_on, ends_on=project.ends_on, status=rules.PLACEMENT_ACTIVE,
        created_at=utcnow(), created_by=actor)
    session.add(placement)
    flush_placement(session)
    for other in rules.superseded_by_acceptance(application.id, application.voucher_kind,
                                                student_applications_in_progress(session, application.student_id)):
        end_application(session, other, rules.SUPERSEDED, actor,
                        f"placed with a {application.voucher_kind} voucher elsewhere")
    record_event(session, OutboxEvent, contracts.PLACEMENT_STARTED, {
        **{name: getattr(placement, name) for name in (
            "student_id", "student_name", "university_id", "project_id", "project_title", "direction",
            "site_id", "organisation_id", "region", "voucher_kind", "hours_required", "starts_on", "ends_on")},
        "placement_id": placement.id, "site_name": site.name, "organisation_name": organisation.name,
    })
    return placement


def flush_placement(session):
    try:
        session.flush()
    except IntegrityError:  # a concurrent acceptance placed the student with this voucher kind first
        raise Conflict("the student was placed with a voucher of this kind at the same moment",
                       {"voucher_kind": ["already held"]})


def end_placement(session, placement, status, reason, actor):
    rules.check_placement_active(placement.status)
    placement.status = status
    placement.end_reason = reason
    placement.ended_at = utcnow()
    placement.ended_by = actor
    session.flush()
    release_place(session, placement.project_id, actor)
    record_event(session, OutboxEvent, contracts.PLACEMENT_WITHDRAWN,
                 {"placement_id": placement.id, "student_id": placement.student_id, "reason": reason})


def get_placement(session, placement_id, lock=False):
    return find(session, Placement, placement_id, lock)


def complete_placement(session, placement_id, accepted_at, accepted_by):
    """Timesheet accepted the placement's report: it is completed (the voucher earned), unless it ended."""
    placement = session.get(Placement, placement_id, with_for_update=True)
    if placement is None:
        log.warning("a report was accepted for placement %s, which placement does not know", placement_id)
        return
    status = rules.completed_status(placement.status)
    if status == placement.status:
        if status != rules.PLACEMENT_COMPLETED:
            log.warning("placement %s is %s, yet its report was accepted; it stays so", placement_id, status)
        return
    placement.status, placement.ended_at, placement.ended_by = status, accepted_at, accepted_by


def list_placements(session, principal, query):
    statement = select(Placement).where(access.records_condition(principal, Placement))
    if "project_id" in query:
        statement = statement.where(Placement.project_id == query["project_id"])
    if "status" in query:
        statement = statement.where(Placement.status == query["status"])
    return page(session, statement.order_by(Placement.created_at, Placement.id), query["limit"], query["offset"])


PLACEMENT_FIELDS = ("id", "application_id", "student_id", "student_name", "university_id", "project_id",
                    "project_title", "direction", "site_id", "organisation_id", "region", "voucher_kind",
                    "hours_required", "starts_on", "ends_on", "status", "end_reason")


def placement_view(placement):
    return {**{name: getattr(placement, name) for name in PLACEMENT_FIELDS},
            "created_at": as_utc(placement.created_at)}


def placement_counts(session, region=None):
    """Active placements by region, direction and voucher kind."""
    statement = (select(Placement.region, Placement.direction, Placement.voucher_kind, func.count())
                 .where(Placement.status == rules.PLACEMENT_ACTIVE)
                 .group_by(Placement.region, Placement.direction, Placement.voucher_kind)
                 .order_by(Placement.region, Placement.direction, Placement.voucher_kind))
    if region:
        statement = statement.where(Placement.region == region)
    return [{"region": r, "direction": d, "voucher_kind": k, "placements": n}
            for r, d, k, n in session.execute(statement)]
