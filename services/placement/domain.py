"""Placement's domain: a project with its places, waitlist and interviews decides what happens to its
applications and placements, by placement's pure rules, and records the events that causes.

Nothing here knows of sessions, transactions or nameko: the repository loads (and locks) what a
change needs, the unit of work in the entrypoint commits the rows and publishes the recorded events.
Rows are the models' instances; a new one is returned for the repository to add.
"""
import logging

from common import programme
from common.clock import as_utc
from common.contracts import placement as contracts
from common.contracts.base import values_of
from common.domain import Aggregate
from common.ids import new_id
from services.placement import rules
from services.placement.models import Application, Enrolment, InterviewSlot, Placement
from services.placement.models import Project as ProjectRow

log = logging.getLogger(__name__)


class Student:
    """What the voucher rules look at for one student: their placements, their applications in
    progress with the interviews they booked, the projects of those holding a place (`projects`,
    by id), which get the place back if the application ends, and their enrolment (None: never
    confirmed)."""

    def __init__(self, placements, applications, interviews, projects, enrolment=None):
        self.enrolment = enrolment
        self.placements = placements
        self.applications = applications
        self.interviews = interviews
        self.projects = projects

    def held_voucher_kinds(self, year):
        return rules.held_voucher_kinds(self.placements, year)

    def has_application_to(self, project_id):
        return any(a.project_id == project_id for a in self.applications)

    def check_enrolled(self):
        rules.check_enrolled(self.enrolment and self.enrolment.status, self.enrolment and self.enrolment.reason)


class Project(Aggregate):
    """A project (`row`) at its site, with the waitlisted applications in line for a freed place
    (oldest first) and the start of its earliest free interview slot to come."""

    def __init__(self, row, site, organisation, waitlist=(), first_free_slot_at=None):
        self.row, self.site, self.organisation = row, site, organisation
        self.waitlist = list(waitlist)
        self.first_free_slot_at = first_free_slot_at

    @classmethod
    def publish(cls, site, organisation, data, actor, now):
        rules.check_publishable(organisation.status, site.directions, site.online, data["direction"], data["online"])
        row = ProjectRow(
            id=new_id(), site_id=site.id, organisation_id=organisation.id, region=site.region,
            city=data.get("city") or site.city, title=data["title"], description=data["description"],
            search_text=search_text(data["title"], data["description"]), direction=data["direction"],
            voucher_kind=data["voucher_kind"], places=data["places"], places_held=0,
            starts_on=data["starts_on"], ends_on=data["ends_on"], schedule=data["schedule"],
            online=data["online"], languages=",".join(sorted(set(data["languages"]))), status=rules.OPEN,
            created_at=now, created_by=actor, updated_at=now, updated_by=actor)
        return cls(row, site, organisation)

    def set_status(self, status, actor, now):
        rules.check_project_transition(self.row.status, status)
        self.row.status, self.row.updated_at, self.row.updated_by = status, now, actor

    # Interviews

    def add_slots(self, slots, awaiting, actor, now):
        """New slots (rows); the applications `awaiting` one are told they may book."""
        rules.check_slots_ahead([slot["starts_at"] for slot in slots], now)
        rows = [InterviewSlot(id=new_id(), project_id=self.row.id, starts_at=slot["starts_at"],
                              online_link=slot.get("online_link"), address=slot.get("address"),
                              created_at=now, created_by=actor) for slot in slots]
        self.first_free_slot_at = min(filter(None, [self.first_free_slot_at, *(r.starts_at for r in rows)]))
        for application in awaiting:
            self.record_interview_offered(application)
        return rows

    def book(self, application, slot, has_interview, now):
        rules.check_bookable(application.status, as_utc(slot.starts_at), slot.application_id is not None, has_interview, now)
        slot.application_id = application.id
        self.record(contracts.INTERVIEW_BOOKED, self.application_event(
            application, slot_id=slot.id, starts_at=as_utc(slot.starts_at), online_link=slot.online_link,
            address=slot.address))

    # Applications

    def apply(self, principal, motivation, student, now):
        student.check_enrolled()
        rules.check_can_apply(self.row.status, self.row.voucher_kind,
                              student.held_voucher_kinds(programme.programme_year(self.row.starts_on)),
                              student.has_application_to(self.row.id))
        application = Application(
            id=new_id(), project_id=self.row.id, site_id=self.row.site_id, region=self.row.region,
            student_id=principal.user_id, student_name=principal.name, university_id=principal.university_id,
            voucher_kind=self.row.voucher_kind, motivation=motivation,
            status=rules.status_on_applying(rules.free_places(self.row.places, self.row.places_held)),
            created_at=now, updated_at=now, updated_by=principal.user_id)
        # Offered places and slots added later tell the applicant then; a new one hears of slots already there.
        if application.status == rules.APPLIED and self.first_free_slot_at:
            self.record_interview_offered(application)
        return application

    def withdraw(self, application, interview, actor, now):
        rules.check_withdrawable(application.status, as_utc(interview.starts_at) if interview else None, now)
        self.end_application(application, rules.WITHDRAWN, actor, now, interview=interview)

    def decide(self, application, outcome, reason, interview, student, actor, now, idempotent=False):
        """The interview's outcome: an acceptance places the student (the new placement is returned);
        `application.decided` either way. `idempotent`: the outcome the application has already is
        no change (nothing returned, nothing recorded)."""
        if idempotent and rules.decided_already(application.status, outcome):
            return None
        rules.check_decidable(application.status, interview is not None)
        placement = None
        if outcome == rules.ACCEPTED:
            placement = self.accept(application, student, actor, now)
        else:
            self.end_application(application, outcome, actor, now, reason=reason)
        self.record(contracts.APPLICATION_DECIDED, self.application_event(
            application, outcome=application.status, reason=application.reason,
            placement_id=placement.id if placement else None))
        return placement

    def accept(self, application, student, actor, now):
        """Place the student: a place (unless one was reserved for them), the placement, its event; their
        other applications for this voucher kind are superseded."""
        rules.check_accredited(self.organisation.status)
        rules.check_voucher_free(application.voucher_kind, student.held_voucher_kinds(
            programme.programme_year(self.row.starts_on)))
        if not rules.holds_place(application.status):
            self.take_place()
        change_status(application, rules.ACCEPTED, actor, now)
        row = self.row
        placement = Placement(
            id=new_id(), application_id=application.id, student_id=application.student_id,
            student_name=application.student_name, university_id=application.university_id,
            project_id=row.id, project_title=row.title, site_id=row.site_id, organisation_id=row.organisation_id,
            region=row.region, direction=row.direction, voucher_kind=row.voucher_kind,
            hours_required=programme.voucher(row.voucher_kind).hours, starts_on=row.starts_on,
            ends_on=row.ends_on, status=rules.PLACEMENT_ACTIVE, created_at=now, created_by=actor)
        for other in rules.superseded_by_acceptance(application.id, application.voucher_kind, student.applications):
            owner = self if other.project_id == row.id else student.projects.get(other.project_id, self)
            owner.end_application(other, rules.SUPERSEDED, actor, now, interview=student.interviews.get(other.id),
                                  reason=f"placed with a {application.voucher_kind} voucher elsewhere")
        self.record(contracts.PLACEMENT_STARTED, {
            **values_of(contracts.PlacementFacts, placement), "placement_id": placement.id,
            "site_name": self.site.name, "organisation_name": self.organisation.name})
        return placement

    def end_application(self, application, status, actor, now, reason=None, interview=None):
        """Withdraw, reject, record a no-show or supersede: frees the interview (`interview`, its slot)
        when it will not happen, and the place reserved for the application (`self` must be its project)."""
        held = rules.holds_place(application.status)
        change_status(application, status, actor, now, reason)
        if interview is not None and status in (rules.WITHDRAWN, rules.SUPERSEDED):
            interview.application_id = None  # others may book it
            if as_utc(interview.starts_at) > now:
                self.first_free_slot_at = min(filter(None, [self.first_free_slot_at, as_utc(interview.starts_at)]))
        if held:
            self.release_place(actor, now)

    # Places and placements

    def take_place(self):
        rules.check_place_free(self.row.places, self.row.places_held)
        self.row.places_held += 1

    def release_place(self, actor, now):
        """A place back, offered to the waitlist: the oldest waitlisted application gets it reserved."""
        self.row.places_held = max(self.row.places_held - 1, 0)
        while self.waitlist and rules.free_places(self.row.places, self.row.places_held):
            application = self.waitlist.pop(0)
            self.take_place()
            change_status(application, rules.OFFERED, actor, now)
            self.record_interview_offered(application)

    def end_placement(self, placement, status, reason, actor, now):
        """The student withdraws, or the coordinator cancels: the place goes to the waitlist."""
        rules.check_placement_active(placement.status)
        placement.status, placement.end_reason, placement.ended_at, placement.ended_by = status, reason, now, actor
        self.release_place(actor, now)
        self.record(contracts.PLACEMENT_WITHDRAWN,
                    {"placement_id": placement.id, "student_id": placement.student_id, "reason": reason})

    # What the student and the site hear about an application

    def application_event(self, application, **details):
        return {**values_of(contracts.ApplicationEvent, application, application_id=application.id,
                            project_title=self.row.title), **details}

    def record_interview_offered(self, application):
        self.record(contracts.INTERVIEW_OFFERED,
                    self.application_event(application, first_slot_at=self.first_free_slot_at))


def change_status(application, status, actor, now, reason=None):
    application.status, application.reason, application.updated_at, application.updated_by = (
        status, reason, now, actor)


def search_text(title, description):
    return f"{title}\n{description}".casefold()


# Registry's organisations and timesheet's reports, as placement hears of them

def learn_organisation(organisation, status, event, name=None, region=None):
    """The organisation's status from `event` (an `Event`), unless a newer one set it already."""
    if rules.organisation_fact_is_newer(event.occurred_at, event.event_id, as_utc(organisation.status_at),
                                        organisation.status_event_id):
        organisation.status, organisation.status_at, organisation.status_event_id = (
            status, event.occurred_at, event.event_id)
    organisation.name = name or organisation.name
    organisation.region = region or organisation.region


def learn_enrolment(enrolment, data):
    """Registry's enrolment of a student (`student.enrolment_changed`), unless a higher version of it is
    known already: the events converge whatever order they arrive in. Returns a new row to add, if any."""
    if enrolment is None:
        return Enrolment(student_id=data["student_id"], university_id=data["university_id"],
                         status=data["status"], reason=data["reason"], version=data["version"])
    if data["version"] > enrolment.version:
        enrolment.university_id, enrolment.status, enrolment.reason, enrolment.version = (
            data["university_id"], data["status"], data["reason"], data["version"])
    return None


def complete(placement, accepted_at, accepted_by):
    """Timesheet accepted the placement's report: it is completed (the voucher earned), unless it ended."""
    status = rules.completed_status(placement.status)
    if status == placement.status:
        if status != rules.PLACEMENT_COMPLETED:
            log.warning("placement %s is %s, yet its report was accepted; it stays so", placement.id, status)
        return
    placement.status, placement.ended_at, placement.ended_by = status, accepted_at, accepted_by
