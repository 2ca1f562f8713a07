"""Placement: projects, applications, interviews and placements (nameko entrypoints only).

Each entrypoint authorises the caller, loads the request once, and asks the domain
(`domain.py`) inside a unit of work, which commits the rows and the events the domain recorded
together; it answers with a view (`views.py`) dumped through its contract once.
"""
import logging

from common.auth import COORDINATOR, MINISTRY, REGIONAL_OFFICERS, STUDENT, Caller
from common.clock import utcnow
from common.contracts import placement as contracts
from common.contracts import registry as registry_events
from common.contracts import timesheet as timesheet_events
from common.db import Database
from common.errors import Forbidden, NotFound
from common.outbox import OutboxRelay, handles
from common.rpc import rpc
from common.service import HealthMixin
from common.unit_of_work import UnitOfWork
from common.validation import load
from services.placement import access, domain, repository, rules, views
from services.placement.models import OutboxEvent, Site

log = logging.getLogger(__name__)


class PlacementService(HealthMixin):
    name = "placement"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)

    def unit_of_work(self):
        return UnitOfWork(self.db, OutboxEvent)

    # Registry's organisations and sites: which sites may publish projects

    @handles(registry_events.ORGANISATION_ACCREDITED)
    def on_organisation_accredited(self, event):
        data = event.data
        domain.learn_organisation(repository.organisation(self.db, data["organisation_id"]),
                                  rules.ORGANISATION_ACCREDITED, event, data["name"], data["region"])
        for site in data["sites"]:
            repository.add_site(self.db, data["organisation_id"], site)

    @handles(registry_events.SITE_ADDED)
    def on_site_added(self, event):
        repository.add_site(self.db, event.data["organisation_id"], event.data)

    @handles(registry_events.ORGANISATION_SUSPENDED)
    def on_organisation_suspended(self, event):
        self._organisation_status(event, rules.OrganisationStatus.SUSPENDED)

    @handles(registry_events.ORGANISATION_REJECTED)
    def on_organisation_rejected(self, event):
        self._organisation_status(event, rules.OrganisationStatus.REJECTED)

    def _organisation_status(self, event, status):
        organisation = repository.organisation(self.db, event.data["organisation_id"], event.data["region"])
        domain.learn_organisation(organisation, status, event, region=event.data["region"])

    @handles(registry_events.STUDENT_ENROLMENT_CHANGED)
    def on_student_enrolment_changed(self, event):
        learned = domain.learn_enrolment(repository.enrolment(self.db, event.data["student_id"]), event.data)
        if learned is not None:
            repository.add(self.db, learned)

    # Timesheet's acceptance of the completion report: the voucher is earned

    @handles(timesheet_events.REPORT_ACCEPTED)
    def on_report_accepted(self, event):
        placement = repository.get_placement(self.db, event.data["placement_id"], lock=True)
        if placement is None:
            log.warning("a report was accepted for placement %s, which placement does not know",
                               event.data["placement_id"])
            return
        domain.complete(placement, event.data["accepted_at"], event.data["accepted_by"])

    # Projects

    @rpc
    def create_project(self, payload):
        principal = self.caller().require(COORDINATOR)
        data = load(contracts.ProjectIn, payload)
        with self.unit_of_work():
            site, organisation = self._coordinated_site(principal)
            project = domain.Project.publish(site, organisation, data, principal.user_id, utcnow())
            repository.add(self.db, project.row)
            return views.project(project)

    @rpc
    def search_projects(self, query):
        principal = self.caller().require(*access.READERS)
        return views.search_projects(self.db, principal, load(contracts.ProjectQuery, query))

    @rpc
    def get_project(self, project_id):
        principal = self.caller().require(*access.READERS)
        return views.project(access.found(repository.project(self.db, project_id, principal), "project"))

    @rpc
    def set_project_status(self, project_id, payload):
        principal = self.caller().require(COORDINATOR)
        status = load(contracts.ProjectStatusIn, payload)["status"]
        with self.unit_of_work():
            project = self._own_project(principal, project_id, lock=True)
            project.set_status(status, principal.user_id, utcnow())
            return views.project(project)

    # Interview slots

    @rpc
    def add_slots(self, project_id, payload):
        principal = self.caller().require(COORDINATOR)
        slots = load(contracts.SlotsIn, payload)["slots"]
        with self.unit_of_work():
            project = self._own_project(principal, project_id, lock=True)
            rows = project.add_slots(slots, repository.awaiting_interview(self.db, project_id), principal.user_id,
                                     utcnow())
            repository.add(self.db, *rows)
            return views.slots(rows, show_booking=True)

    @rpc
    def list_slots(self, project_id):
        principal = self.caller().require(COORDINATOR, STUDENT)
        if principal.has(COORDINATOR):
            self._own_project(principal, project_id)
        elif not repository.applied_to(self.db, principal.user_id, project_id):
            raise NotFound("no such project among the student's applications")
        return views.project_slots(self.db, project_id, show_booking=principal.has(COORDINATOR))

    # Applications

    @rpc
    def apply(self, project_id, payload):
        principal = self.caller().require(STUDENT)
        data = load(contracts.ApplicationIn, payload)
        if not principal.university_id:
            raise Forbidden("the student's token names no university")
        with self.unit_of_work():
            project = access.found(repository.project(self.db, project_id, principal, lock=True), "project")
            application = project.apply(principal, data.get("motivation"),
                                        repository.student(self.db, principal.user_id), utcnow())
            repository.add(self.db, application)
            return views.application(self.db, application)

    @rpc
    def book_interview(self, application_id, payload):
        principal = self.caller().require(STUDENT)
        slot_id = load(contracts.BookingIn, payload)["slot_id"]
        with self.unit_of_work():
            application, project = self._own_application(principal, application_id)
            slot = repository.get_slot(self.db, slot_id, lock=True)
            if slot is None or slot.project_id != application.project_id:
                raise NotFound("no such interview slot for this project", {"slot_id": ["unknown"]})
            project.book(application, slot, repository.interview_of(self.db, application.id) is not None, utcnow())
            return views.application(self.db, application)

    @rpc
    def withdraw_application(self, application_id):
        principal = self.caller().require(STUDENT)
        with self.unit_of_work():
            application, project = self._own_application(principal, application_id)
            project.withdraw(application, repository.interview_of(self.db, application.id), principal.user_id,
                             utcnow())
            return views.application(self.db, application)

    @rpc
    def decide(self, application_id, payload):
        """The interview's outcome: accepted (a placement and `placement.started`), rejected, no_show;
        `application.decided` either way."""
        principal = self.caller().require(COORDINATOR)
        data = load(contracts.OutcomeIn, payload)
        with self.unit_of_work():
            return self._decide(principal, application_id, data)

    @rpc
    def decide_many(self, payload):
        """Many interviews' outcomes, each row decided as one by one (at the coordinator's own site) or
        refused on its own, changing nothing; a row already decided with its outcome answers as it is."""
        principal = self.caller().require(COORDINATOR)
        rows = load(contracts.OutcomesIn, payload)["decisions"]
        with self.unit_of_work() as uow:
            results = uow.rows(rows, "application_id", "application",
                               lambda row: self._decide(principal, row["application_id"], row, idempotent=True))
        decided = sum(1 for result in results if result["error"] is None)
        return {"decided": decided, "refused": len(results) - decided, "results": results}

    def _decide(self, principal, application_id, data, idempotent=False):
        application = access.own_site_record(
            principal, repository.get_application(self.db, application_id, lock=True), "application")
        project = repository.project(self.db, application.project_id, lock=True)
        placement = project.decide(
            application, data["outcome"], data.get("reason"), repository.interview_of(self.db, application.id),
            repository.student(self.db, application.student_id), principal.user_id, utcnow(), idempotent)
        if placement is not None:
            repository.add_placement(self.db, placement)
        return views.application(self.db, application, show_booking=True)

    @rpc
    def list_applications(self, query):
        principal = self.caller().require(*access.READERS)
        return views.list_applications(self.db, principal, load(contracts.ApplicationQuery, query))

    @rpc
    def get_application(self, application_id):
        principal = self.caller().require(*access.READERS)
        application = access.readable(principal, repository.get_application(self.db, application_id), "application")
        return views.application(self.db, application, show_booking=principal.has(COORDINATOR))

    # Placements

    @rpc
    def list_placements(self, query):
        principal = self.caller().require(*access.READERS)
        return views.list_placements(self.db, principal, load(contracts.PlacementQuery, query))

    @rpc
    def get_placement(self, placement_id):
        principal = self.caller().require(*access.READERS)
        return views.placement(access.readable(principal, repository.get_placement(self.db, placement_id),
                                               "placement"))

    @rpc
    def withdraw_placement(self, placement_id, payload):
        """The student leaves the placement; the place goes to the waitlist."""
        principal = self.caller().require(STUDENT)
        return self._end_placement(principal, placement_id, payload, access.own_record, rules.PLACEMENT_WITHDRAWN)

    @rpc
    def cancel_placement(self, placement_id, payload):
        """The coordinator ends a placement (e.g. the student never came); the place goes to the waitlist."""
        principal = self.caller().require(COORDINATOR)
        return self._end_placement(principal, placement_id, payload, access.own_site_record,
                                   rules.PLACEMENT_CANCELLED)

    def _end_placement(self, principal, placement_id, payload, owned, status):
        reason = load(contracts.PlacementEndIn, payload)["reason"]
        with self.unit_of_work():
            placement = owned(principal, repository.get_placement(self.db, placement_id, lock=True), "placement")
            project = repository.project(self.db, placement.project_id, lock=True)
            project.end_placement(placement, status, reason, principal.user_id, utcnow())
            return views.placement(placement)

    @rpc
    def placement_counts(self):
        """Active placements by region × direction × voucher kind: national for the Ministry, the
        officer's region for MIO and NVS."""
        principal = self.caller().require(MINISTRY, *REGIONAL_OFFICERS)
        national = principal.has(MINISTRY)
        if not national and not principal.region:
            raise Forbidden("the officer's token names no region")
        return views.placement_counts(self.db, None if national else principal.region)

    # Loading what the caller may act on

    def _coordinated_site(self, principal):
        if not principal.site_id:
            raise Forbidden("you coordinate no site: a representative coordinates the organisation's only "
                            "site, or creates a coordinator for each of its sites", {"site_id": ["no site"]})
        site = self.db.get(Site, principal.site_id)
        if site is None or site.organisation_id != principal.organisation_id:
            raise Forbidden("the coordinator's site is not one of an accredited organisation")
        return site, repository.organisation(self.db, site.organisation_id)

    def _own_project(self, principal, project_id, lock=False):
        project = repository.project(self.db, project_id, lock=lock)
        access.own_site_record(principal, project.row if project else None, "project")
        return project

    def _own_application(self, principal, application_id):
        """The student's application (locked) and its project (locked, tracked)."""
        application = access.own_record(principal, repository.get_application(self.db, application_id, lock=True),
                                        "application")
        return application, repository.project(self.db, application.project_id, lock=True)
