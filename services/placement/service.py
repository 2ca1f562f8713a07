"""Placement: projects, applications, interviews and placements (nameko entrypoints only)."""

from common import programme
from common.auth import COORDINATOR, MINISTRY, REGIONAL_OFFICERS, STUDENT, Caller
from common.contracts import placement as contracts
from common.contracts import registry as registry_events
from common.contracts import timesheet as timesheet_events
from common.db import Database
from common.errors import Forbidden, NotFound
from common.outbox import OutboxRelay, handles, utcnow
from common.rpc import rpc
from common.service import HealthMixin
from common.validation import load
from services.placement import access, repository, rules
from services.placement.models import Enrolment, Organisation, OutboxEvent, Project, Site


class PlacementService(HealthMixin):
    name = "placement"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)

    # Registry's organisations and sites: which sites may publish projects

    @handles(registry_events.ORGANISATION_ACCREDITED)
    def on_organisation_accredited(self, event):
        data = event.data
        repository.save_organisation(self.db, data["organisation_id"], rules.ORGANISATION_ACCREDITED,
                                     data["name"], data["region"], event=event)
        for site in data["sites"]:
            repository.save_site(self.db, data["organisation_id"], site)

    @handles(registry_events.SITE_ADDED)
    def on_site_added(self, event):
        repository.save_site(self.db, event.data["organisation_id"], event.data)

    @handles(registry_events.ORGANISATION_SUSPENDED)
    def on_organisation_suspended(self, event):
        repository.save_organisation(self.db, event.data["organisation_id"], "suspended",
                                     region=event.data["region"], event=event)

    @handles(registry_events.ORGANISATION_REJECTED)
    def on_organisation_rejected(self, event):
        repository.save_organisation(self.db, event.data["organisation_id"], "rejected",
                                     region=event.data["region"], event=event)

    @handles(registry_events.STUDENT_ENROLMENT_CHANGED)
    def on_student_enrolment_changed(self, event):
        repository.save_enrolment(self.db, event.data)

    # Timesheet's acceptance of the completion report: the voucher is earned

    @handles(timesheet_events.REPORT_ACCEPTED)
    def on_report_accepted(self, event):
        repository.complete_placement(self.db, event.data["placement_id"], event.data["accepted_at"],
                                      event.data["accepted_by"])

    # Projects

    @rpc
    def create_project(self, payload):
        principal = self.caller().require(COORDINATOR)
        data = load(contracts.ProjectIn, payload)
        with self.db.begin():
            if not principal.site_id:
                raise Forbidden("you coordinate no site: a representative coordinates the organisation's only "
                                "site, or creates a coordinator for each of its sites", {"site_id": ["no site"]})
            site = self.db.get(Site, principal.site_id)
            if site is None or site.organisation_id != principal.organisation_id:
                raise Forbidden("the coordinator's site is not one of an accredited organisation")
            organisation = self.db.get(Organisation, site.organisation_id)
            rules.check_publishable(organisation.status, site.directions, site.online, data["direction"],
                                    data["online"])
            project = repository.add_project(self.db, site, organisation, data, principal.user_id)
            return contracts.ProjectOut().dump(repository.project_view(project, site, organisation))

    @rpc
    def search_projects(self, query):
        principal = self.caller().require(*access.READERS)
        query = load(contracts.ProjectQuery, query)
        rows, total = repository.search_projects(self.db, principal, query)
        return contracts.ProjectPage().dump({"items": [repository.project_view(*row) for row in rows],
                                             "total": total, "limit": query["limit"], "offset": query["offset"]})

    @rpc
    def get_project(self, project_id):
        principal = self.caller().require(*access.READERS)
        return contracts.ProjectOut().dump(repository.project_view(*self._visible_project(principal, project_id)))

    @rpc
    def set_project_status(self, project_id, payload):
        principal = self.caller().require(COORDINATOR)
        new_status = load(contracts.ProjectStatusIn, payload)["status"]
        with self.db.begin():
            project, site, organisation = self._own_project(principal, project_id, lock=True)
            rules.check_project_transition(project.status, new_status)
            project.status = new_status
            project.updated_at, project.updated_by = utcnow(), principal.user_id
            return contracts.ProjectOut().dump(repository.project_view(project, site, organisation))

    # Interview slots

    @rpc
    def add_slots(self, project_id, payload):
        principal = self.caller().require(COORDINATOR)
        slots = load(contracts.SlotsIn, payload)["slots"]
        rules.check_slots_ahead([slot["starts_at"] for slot in slots], utcnow())
        with self.db.begin():
            self._own_project(principal, project_id)
            rows = repository.add_slots(self.db, project_id, slots, principal.user_id)
            for application in repository.awaiting_interview(self.db, project_id):
                repository.record_interview_offered(self.db, application)
            return contracts.SlotList().dump({"items": [repository.slot_view(s, True) for s in rows]})

    @rpc
    def list_slots(self, project_id):
        """The coordinator sees every slot and its booking; an applicant the free slots to come."""
        principal = self.caller().require(COORDINATOR, STUDENT)
        if principal.has(COORDINATOR):
            self._own_project(principal, project_id)
            slots = [repository.slot_view(s, True) for s in repository.project_slots(self.db, project_id)]
        else:
            if not any(a.project_id == project_id
                       for a in repository.student_applications_in_progress(self.db, principal.user_id)):
                raise NotFound("no such project among the student's applications")
            slots = [repository.slot_view(s, False)
                     for s in repository.project_slots(self.db, project_id, free_future_only=True)]
        return contracts.SlotList().dump({"items": slots})

    # Applications

    @rpc
    def apply(self, project_id, payload):
        principal = self.caller().require(STUDENT)
        data = load(contracts.ApplicationIn, payload)
        if not principal.university_id:
            raise Forbidden("the student's token names no university")
        with self.db.begin():
            project, _, _ = self._visible_project(principal, project_id)
            enrolment = self.db.get(Enrolment, principal.user_id)
            rules.check_enrolled(enrolment and enrolment.status, enrolment and enrolment.reason)
            held = rules.held_voucher_kinds(repository.student_placements(self.db, principal.user_id),
                                            programme.programme_year(project.starts_on))
            in_progress = repository.student_applications_in_progress(self.db, principal.user_id)
            rules.check_can_apply(project.status, project.voucher_kind, held,
                                  any(a.project_id == project.id for a in in_progress))
            application = repository.add_application(self.db, project, principal, data.get("motivation"))
            # Offered places and slots added later tell the applicant then; a new one hears of slots already there.
            if application.status == rules.APPLIED and repository.first_free_slot_at(self.db, project.id):
                repository.record_interview_offered(self.db, application)
            return self._application_out(application)

    @rpc
    def book_interview(self, application_id, payload):
        principal = self.caller().require(STUDENT)
        slot_id = load(contracts.BookingIn, payload)["slot_id"]
        with self.db.begin():
            application = self._own_application(principal, application_id)
            slot = repository.get_slot(self.db, slot_id)
            if slot is None or slot.project_id != application.project_id:
                raise NotFound("no such interview slot for this project", {"slot_id": ["unknown"]})
            rules.check_bookable(application.status, repository.as_utc(slot.starts_at),
                                 slot.application_id is not None,
                                 repository.interview_of(self.db, application.id) is not None, utcnow())
            repository.book_slot(self.db, slot, application.id)
            repository.record_interview_booked(self.db, application, slot)
            return self._application_out(application)

    @rpc
    def withdraw_application(self, application_id):
        principal = self.caller().require(STUDENT)
        with self.db.begin():
            application = self._own_application(principal, application_id)
            interview = repository.interview_of(self.db, application.id)
            rules.check_withdrawable(application.status, repository.as_utc(interview.starts_at) if interview else None,
                                     utcnow())
            repository.end_application(self.db, application, rules.WITHDRAWN, principal.user_id)
            return self._application_out(application)

    @rpc
    def decide(self, application_id, payload):
        """The interview's outcome: accepted (a placement and `placement.started`), rejected, no_show;
        `application.decided` either way."""
        principal = self.caller().require(COORDINATOR)
        data = load(contracts.OutcomeIn, payload)
        with self.db.begin():
            application = access.own_site_record(
                principal, repository.get_application(self.db, application_id, lock=True), "application")
            rules.check_decidable(application.status, repository.interview_of(self.db, application.id) is not None)
            placement = None
            if data["outcome"] == rules.ACCEPTED:
                project, site, organisation = repository.project_row(self.db, application.project_id)
                placement = repository.accept(self.db, application, project, site, organisation, principal.user_id)
            else:
                repository.end_application(self.db, application, data["outcome"], principal.user_id,
                                           data.get("reason"))
            repository.record_decision(self.db, application, placement)
            return self._application_out(application, show_booking=True)

    @rpc
    def list_applications(self, query):
        principal = self.caller().require(*access.READERS)
        query = load(contracts.ApplicationQuery, query)
        items, total = repository.list_applications(self.db, principal, query)
        return contracts.ApplicationPage().dump({
            "items": [repository.application_view(self.db, a, principal.has(COORDINATOR)) for a in items],
            "total": total, "limit": query["limit"], "offset": query["offset"]})

    @rpc
    def get_application(self, application_id):
        principal = self.caller().require(*access.READERS)
        application = access.readable(principal, repository.get_application(self.db, application_id), "application")
        return self._application_out(application, show_booking=principal.has(COORDINATOR))

    # Placements

    @rpc
    def list_placements(self, query):
        principal = self.caller().require(*access.READERS)
        query = load(contracts.PlacementQuery, query)
        items, total = repository.list_placements(self.db, principal, query)
        return contracts.PlacementPage().dump({"items": [repository.placement_view(p) for p in items],
                                               "total": total, "limit": query["limit"], "offset": query["offset"]})

    @rpc
    def get_placement(self, placement_id):
        principal = self.caller().require(*access.READERS)
        placement = access.readable(principal, repository.get_placement(self.db, placement_id), "placement")
        return contracts.PlacementOut().dump(repository.placement_view(placement))

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
        with self.db.begin():
            placement = owned(principal, repository.get_placement(self.db, placement_id, lock=True), "placement")
            repository.end_placement(self.db, placement, status, reason, principal.user_id)
            return contracts.PlacementOut().dump(repository.placement_view(placement))

    @rpc
    def placement_counts(self):
        """Active placements by region × direction × voucher kind: national for the Ministry, the
        officer's region for MIO and NVS."""
        principal = self.caller().require(MINISTRY, *REGIONAL_OFFICERS)
        national = principal.has(MINISTRY)
        if not national and not principal.region:
            raise Forbidden("the officer's token names no region")
        counts = repository.placement_counts(self.db, None if national else principal.region)
        return contracts.PlacementCounts().dump({"items": counts, "total": sum(c["placements"] for c in counts)})

    # Helpers

    def _visible_project(self, principal, project_id):
        row = repository.is_id(project_id) and self.db.execute(repository.project_select().where(
            Project.id == project_id, access.projects_condition(principal, listing=False))).first()
        if not row:
            raise NotFound("no such project")
        return row

    def _own_project(self, principal, project_id, lock=False):
        row = repository.project_row(self.db, project_id)
        if row is None or row[0].site_id != principal.site_id:
            raise NotFound("no such project")
        if lock:
            self.db.refresh(row[0], with_for_update=True)
        return row

    def _own_application(self, principal, application_id):
        return access.own_record(principal, repository.get_application(self.db, application_id, lock=True),
                                 "application")

    def _application_out(self, application, show_booking=False):
        return contracts.ApplicationOut().dump(repository.application_view(self.db, application, show_booking))
