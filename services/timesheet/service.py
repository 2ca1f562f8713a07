"""Timesheet: hours, confirmations and completion reports (nameko entrypoints only)."""
import base64
import datetime as dt
import hashlib
import logging

from nameko.dependency_providers import Config
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from common.auth import (
    ADMIN, COORDINATOR, MINISTRY, MIO_OFFICER, NVS_OFFICER, OPERATOR, STUDENT, Caller,
)
from common.clock import as_utc, utcnow
from common.contracts import placement as placement_events
from common.contracts import timesheet as contracts
from common.db import Database
from common.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed, row_result
from common.outbox import OutboxRelay, handles
from common.rpc import rpc
from common.service import HealthMixin
from common.validation import load
from services.timesheet import checkin, repository, risk, rules
from services.timesheet.documents import content_key, report_document, signed_document_once
from services.timesheet.models import Attendance, HourEntry, OutboxEvent, Placement

NATIONAL = (OPERATOR, MINISTRY, ADMIN)
log = logging.getLogger(__name__)


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


class TimesheetService(HealthMixin):
    name = "timesheet"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)
    config = Config()

    # Placements, from placement's events

    @handles(placement_events.PLACEMENT_STARTED)
    def on_placement_started(self, event):
        repository.save_started_placement(self.db, event.data)

    @handles(placement_events.PLACEMENT_WITHDRAWN)
    def on_placement_withdrawn(self, event):
        repository.mark_withdrawn(self.db, event.data["placement_id"], event.occurred_at)

    # Hours, logged by the site's coordinator

    @rpc
    def log_hours(self, payload, idempotency_key=None):
        coordinator = self.caller().require(COORDINATOR)
        data = load(contracts.HoursIn, payload)

        def log():
            sheet = repository.day_sheet(self.db, data["work_date"], [data["placement_id"]])
            entry = self._log(coordinator, sheet, data["placement_id"], data["hours"], data["note"])
            return repository.entry_view(entry)

        return self._once(coordinator, idempotency_key, "log_hours", data, contracts.EntryOut, log)

    @rpc
    def log_day(self, payload, idempotency_key=None):
        """A day's attendance for many students: each row logged or refused on its own, all of them
        checked against one read of the day (a few queries for the whole sheet, not a few per row)."""
        coordinator = self.caller().require(COORDINATOR)
        data = load(contracts.DayIn, payload)

        def log_rows():
            sheet = repository.day_sheet(self.db, data["work_date"], [row["placement_id"] for row in data["rows"]])
            results = [self._log_row(coordinator, sheet, index, row) for index, row in enumerate(data["rows"])]
            logged = sum(1 for result in results if result["entry"] is not None)
            return {"work_date": data["work_date"], "logged": logged, "refused": len(results) - logged,
                    "results": results}

        return self._once(coordinator, idempotency_key, "log_day", data, contracts.DayOut, log_rows)

    def _log_row(self, coordinator, sheet, index, row):
        # Every check of a row runs before its single insert, so a refused row leaves nothing behind.
        return row_result(index, {"placement_id": row["placement_id"]}, "entry", lambda: repository.entry_view(
            self._log(coordinator, sheet, row["placement_id"], row["hours"], row["note"])), status=201)

    def _log(self, coordinator, sheet, placement_id, hours, note, source="coordinator"):
        placement = sheet.placement(placement_id)
        rules.ensure_at_site(placement.site_id, coordinator.site_id)
        rules.ensure_active(placement.status)
        rules.ensure_not_frozen(sheet.report_statuses.get(placement.id))
        rules.check_hours(hours)
        rules.check_work_date(sheet.work_date, placement.starts_on, placement.ends_on, rules.local_today(utcnow()))
        rules.check_day_total(sheet.logged_by(placement.student_id), hours)
        entry = repository.add_entry(self.db, placement, coordinator.user_id, sheet.work_date, hours, note, source)
        sheet.add(placement.student_id, entry.hours)
        repository.record_entry_event(self.db, contracts.HOURS_LOGGED, entry)
        return entry

    @rpc
    def correct_entry(self, entry_id, payload, idempotency_key=None):
        """A correction is a new entry against the original; correcting a disputed entry resolves it."""
        coordinator = self.caller().require(COORDINATOR)
        data = load(contracts.CorrectionIn, payload)

        def correct():
            entry, placement = self._coordinators_entry(coordinator, entry_id)
            repository.lock_student_placements(self.db, placement.student_id)
            rules.ensure_not_frozen(repository.report_status(self.db, placement.id))
            rules.check_hours(data["hours"], correction=True)
            original = repository.get_entry(self.db, entry.corrects_id) if entry.corrects_id else entry
            rules.check_correction(repository.entry_total(self.db, original), data["hours"])
            rules.check_day_total(repository.hours_on(self.db, placement.student_id, original.work_date),
                                  data["hours"])
            correction = repository.add_entry(self.db, placement, coordinator.user_id, original.work_date,
                                              data["hours"], data["reason"], corrects=original.id,
                                              reason=data["reason"])
            if entry.status == rules.DISPUTED:
                self._resolve(entry, coordinator, f"corrected by {data['hours']:+} h: {data['reason']}")
            return repository.entry_view(correction)

        return self._once(coordinator, idempotency_key, "correct_entry", {"entry_id": entry_id, **data},
                          contracts.EntryOut, correct)

    @rpc
    def resolve_dispute(self, entry_id, payload):
        """The coordinator answers a dispute; the entry goes back to the student to confirm."""
        coordinator = self.caller().require(COORDINATOR)
        data = load(contracts.ResolveIn, payload)
        with self.db.begin():
            entry, _ = self._coordinators_entry(coordinator, entry_id, lock=True)
            rules.ensure_disputed(entry.status)
            self._resolve(entry, coordinator, data["note"])
            return repository.entry_view(entry)

    def _coordinators_entry(self, coordinator, entry_id, lock=False):
        entry = repository.get_entry(self.db, entry_id, lock=lock)
        placement = repository.get_placement(self.db, entry.placement_id)
        if entry.site_id != coordinator.site_id:
            raise NotFound("no such entry", {"entry_id": ["unknown"]})
        return entry, placement

    @staticmethod
    def _resolve(entry, coordinator, note):
        entry.status, entry.resolution = rules.PENDING, note
        entry.resolved_by, entry.resolved_at = coordinator.user_id, utcnow()

    # The student's answer to each entry

    @rpc
    def confirm_entry(self, entry_id, payload):
        return self._answer(entry_id, rules.CONFIRMED, load(contracts.ConfirmIn, payload)["comment"])

    @rpc
    def dispute_entry(self, entry_id, payload):
        return self._answer(entry_id, rules.DISPUTED, load(contracts.DisputeIn, payload)["comment"])

    def _answer(self, entry_id, answer, comment):
        student = self.caller().require(STUDENT)
        with self.db.begin():
            sheet = repository.answer_sheet(self.db, student.user_id, [entry_id])
            entry = self._answer_entry(sheet, entry_id, answer, comment)
            self._complete_answered(sheet)
            return entry

    @rpc
    def confirm_entries(self, payload):
        """Many of the student's entries in one transaction: each confirmed or refused on its own,
        all of them checked against one read of their entries, placements and reports."""
        student = self.caller().require(STUDENT)
        data = load(contracts.ConfirmManyIn, payload)
        with self.db.begin():
            sheet = repository.answer_sheet(self.db, student.user_id, data["entry_ids"])
            results = [self._confirm_row(sheet, index, entry_id, data["comment"])
                       for index, entry_id in enumerate(data["entry_ids"])]
            self._complete_answered(sheet)
        confirmed = sum(1 for result in results if result["entry"] is not None)
        return {"confirmed": confirmed, "refused": len(results) - confirmed, "results": results}

    def _confirm_row(self, sheet, index, entry_id, comment):
        # Every check of a row runs before its change, so a refused row changes nothing.
        return row_result(index, {"entry_id": entry_id}, "entry",
                          lambda: self._answer_entry(sheet, entry_id, rules.CONFIRMED, comment))

    def _answer_entry(self, sheet, entry_id, answer, comment):
        entry = sheet.entry(entry_id)
        rules.ensure_not_frozen(sheet.report_statuses.get(entry.placement_id))
        rules.check_answerable(entry.status, answer)
        entry.status, entry.student_comment, entry.answered_at = answer, comment, utcnow()
        if answer == rules.CONFIRMED:
            sheet.confirmed_in.add(entry.placement_id)
        else:
            repository.record_entry_event(self.db, contracts.HOURS_DISPUTED, entry, comment)
        return repository.entry_view(entry)

    def _complete_answered(self, sheet):
        """Each placement that had entries confirmed: its voucher completed, if these reached it."""
        self.db.flush()
        for placement_id in sorted(sheet.confirmed_in):
            self._complete_once(sheet.placements[placement_id])

    def _complete_once(self, placement):
        _, confirmed, _ = repository.tally(self.db, placement.id)
        if rules.reached(confirmed, placement.hours_required) and \
                repository.claim_completion(self.db, placement.id):
            repository.record_hours_completed(self.db, placement, confirmed)

    @rpc
    def list_entries(self, query=None):
        principal = self.caller()
        filters = load(contracts.EntryQuery, query)
        items, total = repository.list_entries(self.db, filters, filters["limit"], filters["offset"],
                                               visibility(principal, HourEntry))
        return {"items": [repository.entry_view(e) for e in items], "total": total}

    @rpc
    def progress(self, query=None):
        """Hours logged and confirmed against the voucher's, per placement in the caller's scope."""
        principal = self.caller()
        filters = load(contracts.ProgressQuery, query)
        items, total = repository.list_progress(self.db, filters, filters["limit"], filters["offset"],
                                                visibility(principal, Placement))
        return {"items": items, "total": total}

    # Check-in and check-out by the student, approved by the coordinator

    @rpc
    def check_in(self, payload):
        student = self.caller().require(STUDENT)
        data = load(contracts.CheckInIn, payload)
        now = utcnow()
        at = as_utc(data.get("at") or now)
        with self.db.begin():
            placement = self._students_placement(student, data["placement_id"])
            rules.ensure_active(placement.status)
            rules.ensure_not_frozen(repository.report_status(self.db, placement.id))
            rules.check_not_future(at, now)
            rules.check_work_date(rules.local_today(at), placement.starts_on, placement.ends_on,
                                  rules.local_today(now))
            if repository.open_attendance(self.db, student.user_id):
                raise Conflict("you are already checked in", {"placement_id": ["check out first"]})
            attendance = Attendance(id=repository.new_id(), placement_id=placement.id,
                                    student_id=student.user_id, site_id=placement.site_id,
                                    checked_in_at=at, status=rules.OPEN)
            self.db.add(attendance)
            return repository.attendance_view(self.db, attendance)

    @rpc
    def check_out(self, attendance_id, payload):
        student = self.caller().require(STUDENT)
        data = load(contracts.CheckOutIn, payload)
        now = utcnow()
        at = as_utc(data.get("at") or now)
        with self.db.begin():
            attendance = repository.get_attendance(self.db, attendance_id, lock=True)
            if attendance.student_id != student.user_id:
                raise NotFound("no such attendance", {"attendance_id": ["unknown"]})
            if attendance.status != rules.OPEN:
                raise Conflict("already checked out", {"status": [attendance.status]})
            rules.interval_hours(as_utc(attendance.checked_in_at), at, now)
            attendance.checked_out_at, attendance.status = at, rules.AWAITING
            return repository.attendance_view(self.db, attendance)

    @rpc
    def decide_attendance(self, attendance_id, payload):
        """Approved attendance becomes an entry under every rule a logged entry meets."""
        coordinator = self.caller().require(COORDINATOR)
        data = load(contracts.AttendanceDecisionIn, payload)
        with self.db.begin():
            return self._decide(coordinator, attendance_id, data["approve"], data["note"])

    @rpc
    def decide_attendance_many(self, payload):
        """A day's check-ins decided at once: each row approved, declined or refused on its own (a
        refused row changes nothing), the daily cap counting the rows approved before it."""
        coordinator = self.caller().require(COORDINATOR)
        data = load(contracts.AttendanceDecisionsIn, payload)
        with self.db.begin():
            results = [self._decision_row(coordinator, index, row) for index, row in enumerate(data["rows"])]
        decided = sum(1 for result in results if result["attendance"] is not None)
        return {"decided": decided, "refused": len(results) - decided, "results": results}

    def _decision_row(self, coordinator, index, row):
        return row_result(index, {"attendance_id": row["attendance_id"]}, "attendance",
                          lambda: self._decide(coordinator, row["attendance_id"], row["approve"], row["note"]))

    def _decide(self, coordinator, attendance_id, approve, note):
        attendance = repository.get_attendance(self.db, attendance_id, lock=True)
        if attendance.site_id != coordinator.site_id:
            raise NotFound("no such attendance", {"attendance_id": ["unknown"]})
        if attendance.status != rules.AWAITING:
            raise Conflict(f"the attendance is {attendance.status}", {"status": [attendance.status]})
        if approve:
            attendance.entry_id = self._entry_from(attendance, coordinator, note).id
        attendance.status = rules.APPROVED if approve else rules.DECLINED
        attendance.note, attendance.decided_by, attendance.decided_at = note, coordinator.user_id, utcnow()
        return repository.attendance_view(self.db, attendance)

    def _entry_from(self, attendance, coordinator, note):
        checked_in, checked_out = as_utc(attendance.checked_in_at), as_utc(attendance.checked_out_at)
        hours = rules.interval_hours(checked_in, checked_out, utcnow())
        local_in = checked_in.astimezone(rules.LOCAL_TIME)
        local_out = checked_out.astimezone(rules.LOCAL_TIME)
        note = note or f"attendance {local_in:%H:%M}–{local_out:%H:%M}"
        sheet = repository.day_sheet(self.db, local_in.date(), [attendance.placement_id])
        entry = self._log(coordinator, sheet, attendance.placement_id, hours, note, "attendance")
        self.db.flush()  # the attendance refers to the entry, so the entry's row goes in first
        return entry

    @rpc
    def list_attendance(self, query=None):
        principal = self.caller()
        filters = load(contracts.AttendanceQuery, query)
        items, total = repository.list_attendance(self.db, filters, filters["limit"], filters["offset"],
                                                  visibility(principal, Attendance))
        return {"items": [repository.attendance_view(self.db, a) for a in items], "total": total}

    # Check-in and check-out with the site's code (a QR code at the door, or its short code typed)

    def _code_settings(self):
        return checkin.CodeSettings.from_config(self.config)

    def _code_view(self, settings, code):
        seconds = settings.windows[code.kind]
        start = checkin.window_start(code.window, seconds)
        return {"site_id": code.site_id, "kind": code.kind, "window_seconds": seconds, "valid_from": start,
                "valid_until": start + dt.timedelta(seconds=seconds),
                "accepted_until": start + dt.timedelta(seconds=2 * seconds),
                "value": checkin.scanned_value(settings.key, code),
                "short_code": checkin.short_code(settings.key, code)}

    def _coordinators_site(self):
        coordinator = self.caller().require(COORDINATOR)
        if not coordinator.site_id:
            raise Forbidden("check-in codes are shown by a site's coordinator", {"site_id": ["no site"]})
        return coordinator.site_id

    @rpc
    def check_in_code(self):
        """The code the site's screen shows now; it changes every window."""
        site_id, settings = self._coordinators_site(), self._code_settings()
        seconds = settings.windows[checkin.SCREEN]
        return self._code_view(settings, checkin.Code(checkin.SCREEN, site_id, checkin.window_of(utcnow(), seconds)))

    @rpc
    def check_in_sheet(self, query=None):
        """A day's printed codes for the site, each good for its own (longer) window only."""
        site_id, settings = self._coordinators_site(), self._code_settings()
        today = rules.local_today(utcnow())
        day = load(contracts.CodeSheetQuery, query).get("date") or today
        checkin.check_sheet_day(day, today)
        seconds = settings.windows[checkin.SHEET]
        return {"site_id": site_id, "date": day, "window_seconds": seconds,
                "codes": [self._code_view(settings, checkin.Code(checkin.SHEET, site_id, window))
                          for window in checkin.day_windows(day, seconds, rules.LOCAL_TIME)]}

    @rpc
    def check_in_by_code(self, payload):
        """Check-in or check-out at the server's time with the site's code, for a student placed there;
        the same code serves a student once for each."""
        student = self.caller().require(STUDENT)
        data = load(contracts.CodeCheckInIn, payload)
        settings, now, action = self._code_settings(), utcnow(), data["action"]
        try:
            with self.db.begin():
                placements = repository.lock_placements_of(self.db, [student.user_id]).values()
                code = self._read_code(settings, data["code"], placements, now)
                placement = checkin.placement_at(code.site_id, placements, rules.ACTIVE)
                checkin.check_not_replayed(repository.code_used(self.db, student.user_id, action, code), action)
                if action == checkin.CHECK_IN:
                    attendance = self._code_check_in(student, placement, code, now)
                else:
                    attendance = self._code_check_out(student, code, now)
                repository.record_code_use(self.db, student.user_id, action, code, attendance.id, now)
                return repository.attendance_view(self.db, attendance)
        except IntegrityError:  # the same scan, sent twice at once, committed first
            checkin.check_not_replayed(True, action)

    def _read_code(self, settings, text, placements, now):
        if checkin.is_short(text):
            sites = {placement.site_id for placement in placements if placement.status == rules.ACTIVE}
            return checkin.match_short(settings.key, text, sites, now, settings.windows)
        code = checkin.read_scanned(settings.key, text)
        checkin.check_window(code, now, settings.windows[code.kind])
        return code

    def _code_check_in(self, student, placement, code, now):
        rules.ensure_not_frozen(repository.report_status(self.db, placement.id))
        today = rules.local_today(now)
        rules.check_work_date(today, placement.starts_on, placement.ends_on, today)
        if repository.open_attendance(self.db, student.user_id, since=repository.day_start(today)):
            raise Conflict("you are already checked in", {"code": ["check out first"]})
        attendance = Attendance(id=repository.new_id(), placement_id=placement.id, student_id=student.user_id,
                                site_id=placement.site_id, checked_in_at=now, status=rules.OPEN,
                                checked_in_with=code.kind)
        self.db.add(attendance)
        self.db.flush()  # the code's use refers to the attendance
        return attendance

    def _code_check_out(self, student, code, now):
        # Only today's check-in: one left open on an earlier day (no check-out) never becomes hours.
        today = repository.day_start(rules.local_today(now))
        attendance = repository.open_attendance(self.db, student.user_id, since=today)
        if attendance is None:
            raise Conflict("you are not checked in", {"code": ["check in first"]})
        if attendance.site_id != code.site_id:
            raise RuleViolation("you checked in at another site", {"code": ["another site's code"]})
        rules.interval_hours(as_utc(attendance.checked_in_at), now, now)
        attendance.checked_out_at, attendance.status, attendance.checked_out_with = now, rules.AWAITING, code.kind
        return attendance

    def _students_placement(self, student, placement_id):
        placement = self.db.get(Placement, placement_id)
        if placement is None or placement.student_id != student.user_id:
            raise NotFound("no such placement", {"placement_id": ["unknown"]})
        return placement

    # The completion report and the Operator's review

    @rpc
    def report_document(self, placement_id):
        """The PDF the coordinator signs (detached CMS) to submit a placement's report, with what a
        signature over it is verified for: the organisation, and when its content was settled."""
        coordinator = self.caller().require(COORDINATOR)
        with self.db.begin():
            placement, entries, confirmed, submission, settled = self._signable(coordinator, placement_id)
            key, document = signed_document_once(placement, entries, confirmed, submission, settled)
        return {"document_base64": base64.b64encode(document).decode(), "content_key": key,
                "organisation_id": placement.organisation_id, "signable_since": settled}

    @rpc
    def report_submitted_with(self, placement_id, signature):
        """The report on record when the placement's current submission carries exactly this signature
        (the same signed report sent again, its first answer lost on the way); None otherwise."""
        coordinator = self.caller().require(COORDINATOR)
        with self.db.begin():
            placement = repository.get_placement(self.db, placement_id)
            rules.ensure_at_site(placement.site_id, coordinator.site_id)
            report = repository.report_of(self.db, placement.id)
            resubmitted = report is not None and report.status != rules.REJECTED
            kept = repository.current_signature(self.db, report) if resubmitted else None
            if kept is None or not rules.same_signature(kept.signature, signature):
                return None
            return repository.report_view(report, placement, repository.confirmed_entries(self.db, placement.id))

    @rpc
    def submit_report(self, payload, evidence=None, document=None):
        """The report goes to the Operator with the coordinator's signature over its PDF (`document`,
        as `report_document` rendered it), verified by registry (`evidence`, over exactly these
        bytes); nothing is recorded unless the report's content is still the one rendered."""
        coordinator = self.caller().require(COORDINATOR)
        data = load(contracts.ReportIn, payload)
        if evidence is None or document is None:
            raise RuleViolation("a report is submitted with its verified EDS signature",
                                {"signature": ["not verified"]})
        pdf = base64.b64decode(document["document_base64"])
        with self.db.begin():
            placement, entries, confirmed, submission, settled = \
                self._signable(coordinator, data["placement_id"], lock=True)
            rules.check_signed_document(evidence["document_sha256"], hashlib.sha256(pdf).hexdigest())
            rules.check_signed_document(document["content_key"],
                                        content_key(placement, entries, confirmed, submission, settled))
            report = repository.submit_report(self.db, placement, coordinator.user_id, confirmed)
            repository.add_signature(self.db, report, pdf, data["signature"], evidence)
            flags = repository.assess(self.db, report, placement, self._sample_rate())
            log.info("report %s submission %s assessed: flags %s, sampled for manual review: %s", report.id,
                     report.submissions, ",".join(item["code"] for item in flags) or "none", report.sampled)
            return repository.report_view(report, placement, entries)

    def _sample_rate(self):
        return risk.check_sample_rate(self.config.get("REVIEW_SAMPLE_RATE", 0))

    def _signable(self, coordinator, placement_id, lock=False):
        """The placement whose report the coordinator may submit, its confirmed entries and hours, the
        submission's number and when its content was settled: what the PDF to sign shows."""
        placement = repository.get_placement(self.db, placement_id, lock=lock)
        rules.ensure_at_site(placement.site_id, coordinator.site_id)
        rules.ensure_active(placement.status)
        _, confirmed, disputes = repository.tally(self.db, placement.id)
        report = repository.report_of(self.db, placement.id)
        rules.check_submittable(confirmed, placement.hours_required, disputes, report and report.status)
        entries = repository.confirmed_entries(self.db, placement.id)
        settled = repository.settled_at(self.db, placement.id, report)
        submission = (report.submissions if report else 0) + 1
        return placement, entries, confirmed, submission, settled

    @rpc
    def review_report(self, report_id, payload):
        """The Operator accepts (the trigger for payout and credits, recorded once) or rejects."""
        operator = self.caller().require(OPERATOR)
        data = load(contracts.ReviewIn, payload)
        with self.db.begin():
            report = repository.get_report(self.db, report_id)
            rules.check_review(report.status, data["decision"], data["reason"], signed=report.signed_at is not None)
            report = repository.review_report(self.db, report, data["decision"], data["reason"], operator)
            return repository.report_view(report, self.db.get(Placement, report.placement_id))

    @rpc
    def review_reports(self, payload):
        """The Operator accepts many reports at once, each exactly as one by one (its own conditional
        update, history row and `report.accepted`) or refused on its own: the listed ids, or the
        unflagged, unsampled ones of a queue filter. A flagged or sampled report is refused: it needs
        a look one by one."""
        operator = self.caller().require(OPERATOR)
        data = load(contracts.BulkReviewIn, payload)
        with self.db.begin():
            ids = data["report_ids"] or repository.bulk_acceptable(self.db, data["filter"], data["limit"])
            # Rows taken in id order (locks always in one order), answered in the order asked.
            results = sorted((self._accept_row(operator, index, report_id)
                              for index, report_id in sorted(enumerate(ids), key=lambda pair: pair[1])),
                             key=lambda result: result["index"])
        accepted = sum(1 for result in results if result["report"] is not None)
        return {"accepted": accepted, "refused": len(results) - accepted, "results": results}

    def _accept_row(self, operator, index, report_id):
        # Every check runs before the report's one conditional update, so a refused row changes nothing.
        def accept():
            report = repository.get_report(self.db, report_id)
            rules.check_review(report.status, "accept", None, signed=report.signed_at is not None)
            rules.check_bulk_acceptable([item.code for item in report.flags], report.sampled)
            report = repository.review_report(self.db, report, "accept", None, operator)
            return repository.report_view(report, self.db.get(Placement, report.placement_id))

        return row_result(index, {"report_id": report_id}, "report", accept)

    @rpc
    def list_reports(self, query=None):
        """The Operator's queue (filter by status, region, organisation, submission date)."""
        principal = self.caller()
        filters = load(contracts.ReportQuery, query)
        items, total = repository.list_reports(self.db, filters, filters["limit"], filters["offset"],
                                               visibility(principal, Placement))
        return {"items": items, "total": total}

    @rpc
    def get_report(self, report_id):
        report, placement = self._visible_report(report_id)
        return repository.report_view(report, placement, repository.confirmed_entries(self.db, placement.id))

    @rpc
    def report_pdf(self, report_id):
        """The report as the PDF the Operator keeps."""
        report, placement = self._visible_report(report_id)
        return report_document(report, placement, repository.confirmed_entries(self.db, placement.id))

    @rpc
    def report_signature(self, report_id):
        """The current submission's signed PDF, its CMS and the evidence of its verification."""
        report, _ = self._visible_report(report_id)
        kept = repository.current_signature(self.db, report)
        if kept is None:
            raise NotFound("the report carries no signature", {"report_id": ["not signed"]})
        return {"report_id": report.id, "submission": kept.submission, "signature": kept.signature,
                "document_base64": base64.b64encode(kept.document).decode(), "evidence": kept.evidence}

    def _visible_report(self, report_id):
        principal = self.caller()
        report = repository.get_report(self.db, report_id)
        visible = self.db.scalar(select(Placement).where(Placement.id == report.placement_id,
                                                         *visibility(principal, Placement)))
        if visible is None:
            raise NotFound("no such report", {"report_id": ["unknown"]})
        return report, visible

    # Idempotency-Key

    def _once(self, actor, key, operation, data, schema, action):
        """Runs `action` in one transaction; with a key, a repeated request gets the first answer (as stored,
        in its JSON form)."""
        if key is None:
            with self.db.begin():
                return action()
        if not 1 <= len(key) <= 128:
            raise ValidationFailed("the Idempotency-Key is 1 to 128 characters",
                                   {"Idempotency-Key": ["length"]})
        try:
            with self.db.begin():
                stored = repository.remembered(self.db, actor.user_id, key, operation, data)
                if stored is not None:
                    return stored
                result = action()
                repository.remember(self.db, actor.user_id, key, operation, data, schema().dump(result))
                return result
        except IntegrityError:  # the same key, sent at the same time, committed first
            with self.db.begin():
                return repository.remembered(self.db, actor.user_id, key, operation, data)
