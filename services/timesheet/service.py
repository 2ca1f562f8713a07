"""Timesheet: hours, confirmations, attendance and completion reports (nameko entrypoints only).

Each entrypoint authorises the caller, loads the request once, and asks the domain (`domain.py`)
inside a unit of work, which commits the rows and the events the domain recorded together; it answers
with a view (`views.py`) dumped through its contract once. Who sees what is `access.py`.
"""
import base64
import hashlib
import logging

from nameko.dependency_providers import Config
from sqlalchemy.exc import IntegrityError

from common.auth import COORDINATOR, OPERATOR, STUDENT, Caller
from common.clock import as_utc, utcnow
from common.contracts import placement as placement_events
from common.contracts import timesheet as contracts
from common.db import Database
from common.errors import NotFound, RuleViolation, ValidationFailed, row_result
from common.outbox import OutboxRelay, handles
from common.rpc import rpc
from common.service import HealthMixin
from common.unit_of_work import UnitOfWork
from common.validation import load
from services.timesheet import access, checkin, domain, repository, risk, rules, views
from services.timesheet.documents import content_key, report_document, signed_document_once
from services.timesheet.models import OutboxEvent

log = logging.getLogger(__name__)


class TimesheetService(HealthMixin):
    name = "timesheet"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)
    config = Config()

    def unit_of_work(self):
        return UnitOfWork(self.db, OutboxEvent)

    # Placements, from placement's events

    @handles(placement_events.PLACEMENT_STARTED)
    def on_placement_started(self, event):
        learned = domain.learn_started(*repository.placement_and_ending(self.db, event.data["placement_id"]),
                                       event.data)
        if learned is not None:
            repository.add(self.db, learned)

    @handles(placement_events.PLACEMENT_WITHDRAWN)
    def on_placement_withdrawn(self, event):
        placement_id = event.data["placement_id"]
        if repository.placement_ending(self.db, placement_id) is None:
            repository.add(self.db, domain.ending(placement_id, event.occurred_at))
        # Read after the ending is written: on SQLite that write waits for a start still being committed.
        domain.withdraw(repository.find_placement(self.db, placement_id, lock=True))

    # Hours, logged by the site's coordinator

    @rpc
    def log_hours(self, payload, idempotency_key=None):
        coordinator = self.caller().require(COORDINATOR)
        data = load(contracts.HoursIn, payload)

        def log_one():
            sheet = repository.day_sheet(self.db, data["work_date"], [data["placement_id"]])
            return views.entry(self._log(coordinator, sheet, data["placement_id"], data["hours"], data["note"]))

        return self._once(coordinator, idempotency_key, "log_hours", data, log_one)

    @rpc
    def log_day(self, payload, idempotency_key=None):
        """A day's attendance for many students: each row logged or refused on its own, all of them
        checked against one read of the day (a few queries for the whole sheet, not a few per row)."""
        coordinator = self.caller().require(COORDINATOR)
        data = load(contracts.DayIn, payload)

        def log_rows():
            sheet = repository.day_sheet(self.db, data["work_date"], [row["placement_id"] for row in data["rows"]])
            results = [row_result(index, {"placement_id": row["placement_id"]}, "entry",
                                  lambda row=row: views.entry_data(self._log(coordinator, sheet, row["placement_id"],
                                                                             row["hours"], row["note"])), status=201)
                       for index, row in enumerate(data["rows"])]
            logged = sum(1 for result in results if result["entry"] is not None)
            return views.dumped(contracts.DayOut, {"work_date": data["work_date"], "logged": logged,
                                                   "refused": len(results) - logged, "results": results})

        return self._once(coordinator, idempotency_key, "log_day", data, log_rows)

    def _log(self, coordinator, sheet, placement_id, hours, note):
        entry = sheet.log(coordinator, placement_id, hours, note, utcnow())
        repository.stage(self.db, entry)
        return entry

    @rpc
    def correct_entry(self, entry_id, payload, idempotency_key=None):
        """A correction is a new entry against the original; correcting a disputed entry resolves it."""
        coordinator = self.caller().require(COORDINATOR)
        data = load(contracts.CorrectionIn, payload)

        def correct():
            entry = access.own_site(coordinator, repository.get_entry(self.db, entry_id), "entry")
            placement = repository.get_placement(self.db, entry.placement_id)
            repository.lock_placements_of(self.db, [placement.student_id])
            original = repository.get_entry(self.db, entry.corrects_id) if entry.corrects_id else entry
            correction = domain.correct(
                entry, original, placement, repository.report_status(self.db, placement.id),
                repository.entry_total(self.db, original),
                repository.hours_on(self.db, placement.student_id, original.work_date), data["hours"], data["reason"],
                coordinator.user_id, utcnow())
            repository.add(self.db, correction)
            return views.entry(correction)

        return self._once(coordinator, idempotency_key, "correct_entry", {"entry_id": entry_id, **data}, correct)

    @rpc
    def resolve_dispute(self, entry_id, payload):
        """The coordinator answers a dispute; the entry goes back to the student to confirm."""
        coordinator = self.caller().require(COORDINATOR)
        data = load(contracts.ResolveIn, payload)
        with self.unit_of_work():
            entry = access.own_site(coordinator, repository.get_entry(self.db, entry_id, lock=True), "entry")
            domain.resolve(entry, coordinator.user_id, data["note"], utcnow())
            return views.entry(entry)

    # The student's answer to each entry

    @rpc
    def confirm_entry(self, entry_id, payload):
        return self._answer(entry_id, rules.CONFIRMED, load(contracts.ConfirmIn, payload)["comment"])

    @rpc
    def dispute_entry(self, entry_id, payload):
        return self._answer(entry_id, rules.DISPUTED, load(contracts.DisputeIn, payload)["comment"])

    def _answer(self, entry_id, answer, comment):
        student = self.caller().require(STUDENT)
        with self.unit_of_work():
            sheet = repository.answer_sheet(self.db, student.user_id, [entry_id])
            entry = sheet.answer(entry_id, answer, comment, utcnow())
            self._complete_answered(sheet)
            return views.entry(entry)

    @rpc
    def confirm_entries(self, payload):
        """Many of the student's entries in one transaction: each confirmed or refused on its own,
        all of them checked against one read of their entries, placements and reports."""
        student = self.caller().require(STUDENT)
        data = load(contracts.ConfirmManyIn, payload)
        with self.unit_of_work():
            sheet = repository.answer_sheet(self.db, student.user_id, data["entry_ids"])
            results = [row_result(index, {"entry_id": entry_id}, "entry", lambda entry_id=entry_id: views.entry_data(
                sheet.answer(entry_id, rules.CONFIRMED, data["comment"], utcnow())))
                for index, entry_id in enumerate(data["entry_ids"])]
            self._complete_answered(sheet)
        return views.rows(contracts.ConfirmManyOut, "confirmed", results)

    def _complete_answered(self, sheet):
        """Each placement that had entries confirmed: its voucher completed, if these reached it."""
        self.db.flush()
        sheet.complete(repository.tallies(self.db, sorted(sheet.confirmed_in)), utcnow())

    @rpc
    def list_entries(self, query=None):
        return views.list_entries(self.db, self.caller(), load(contracts.EntryQuery, query))

    @rpc
    def progress(self, query=None):
        """Hours logged and confirmed against the voucher's, per placement in the caller's scope."""
        return views.progress(self.db, self.caller(), load(contracts.ProgressQuery, query))

    # Check-in and check-out by the student, approved by the coordinator

    @rpc
    def check_in(self, payload):
        student = self.caller().require(STUDENT)
        data = load(contracts.CheckInIn, payload)
        now = utcnow()
        with self.unit_of_work():
            placement = access.own(student, repository.find_placement(self.db, data["placement_id"]), "placement")
            attendance = domain.check_in(student.user_id, placement, as_utc(data.get("at") or now), now,
                                         repository.report_status(self.db, placement.id),
                                         repository.open_attendance(self.db, student.user_id))
            repository.add(self.db, attendance)
            return views.attendance(self.db, attendance)

    @rpc
    def check_out(self, attendance_id, payload):
        student = self.caller().require(STUDENT)
        data = load(contracts.CheckOutIn, payload)
        now = utcnow()
        with self.unit_of_work():
            attendance = access.own(student, repository.get_attendance(self.db, attendance_id, lock=True),
                                    "attendance")
            domain.check_out(attendance, as_utc(data.get("at") or now), now)
            return views.attendance(self.db, attendance)

    @rpc
    def decide_attendance(self, attendance_id, payload):
        """Approved attendance becomes an entry under every rule a logged entry meets."""
        coordinator = self.caller().require(COORDINATOR)
        data = load(contracts.AttendanceDecisionIn, payload)
        with self.unit_of_work():
            return views.attendance(self.db, self._decide(coordinator, attendance_id, data["approve"], data["note"]))

    @rpc
    def decide_attendance_many(self, payload):
        """A day's check-ins decided at once: each row approved, declined or refused on its own (a
        refused row changes nothing), the daily cap counting the rows approved before it."""
        coordinator = self.caller().require(COORDINATOR)
        data = load(contracts.AttendanceDecisionsIn, payload)
        with self.unit_of_work():
            results = [row_result(index, {"attendance_id": row["attendance_id"]}, "attendance",
                                  lambda row=row: views.attendance_data(self.db, self._decide(
                                      coordinator, row["attendance_id"], row["approve"], row["note"])))
                       for index, row in enumerate(data["rows"])]
        return views.rows(contracts.AttendanceDecisionsOut, "decided", results)

    def _decide(self, coordinator, attendance_id, approve, note):
        attendance = access.own_site(coordinator, repository.get_attendance(self.db, attendance_id, lock=True),
                                     "attendance")
        entry = None
        if approve:
            sheet = repository.day_sheet(self.db, domain.attendance_day(attendance), [attendance.placement_id])
            entry = domain.approved_entry(attendance, note, coordinator, utcnow(), sheet)
            repository.add(self.db, entry)  # the attendance refers to the entry, so the entry's row goes in first
        domain.decide(attendance, entry, note, coordinator, utcnow())
        return attendance

    @rpc
    def list_attendance(self, query=None):
        return views.list_attendance(self.db, self.caller(), load(contracts.AttendanceQuery, query))

    # Check-in and check-out with the site's code (a QR code at the door, or its short code typed)

    def _code_settings(self):
        return checkin.CodeSettings.from_config(self.config)

    @rpc
    def check_in_code(self):
        """The code the site's screen shows now; it changes every window."""
        site_id = access.coordinated_site(self.caller().require(COORDINATOR))
        settings = self._code_settings()
        seconds = settings.windows[checkin.SCREEN]
        return views.code(settings, checkin.Code(checkin.SCREEN, site_id, checkin.window_of(utcnow(), seconds)))

    @rpc
    def check_in_sheet(self, query=None):
        """A day's printed codes for the site, each good for its own (longer) window only."""
        site_id = access.coordinated_site(self.caller().require(COORDINATOR))
        settings = self._code_settings()
        today = rules.local_today(utcnow())
        day = load(contracts.CodeSheetQuery, query).get("date") or today
        checkin.check_sheet_day(day, today)
        seconds = settings.windows[checkin.SHEET]
        return {"site_id": site_id, "date": day, "window_seconds": seconds,
                "codes": [views.code(settings, checkin.Code(checkin.SHEET, site_id, window))
                          for window in checkin.day_windows(day, seconds, rules.LOCAL_TIME)]}

    @rpc
    def check_in_by_code(self, payload):
        """Check-in or check-out at the server's time with the site's code, for a student placed there;
        the same code serves a student once for each."""
        student = self.caller().require(STUDENT)
        data = load(contracts.CodeCheckInIn, payload)
        settings, now, action = self._code_settings(), utcnow(), data["action"]
        try:
            with self.unit_of_work():
                placements = repository.lock_placements_of(self.db, [student.user_id]).values()
                code = self._read_code(settings, data["code"], placements, now)
                placement = checkin.placement_at(code.site_id, placements, rules.ACTIVE)
                checkin.check_not_replayed(repository.code_used(self.db, student.user_id, action, code), action)
                attendance = self._by_code(student, placement, code, action, now)
                repository.add_code_use(self.db, student.user_id, action, code, attendance.id, now)
                return views.attendance(self.db, attendance)
        except IntegrityError:  # the same scan, sent twice at once, committed first
            checkin.check_not_replayed(True, action)

    def _by_code(self, student, placement, code, action, now):
        # Only today's check-in: one left open on an earlier day (no check-out) never becomes hours.
        attendance = repository.open_attendance(self.db, student.user_id,
                                                since=repository.day_start(rules.local_today(now)))
        if action == checkin.CHECK_IN:
            attendance = domain.check_in(student.user_id, placement, now, now,
                                         repository.report_status(self.db, placement.id), attendance,
                                         field="code", code=code)
            repository.add(self.db, attendance)  # the code's use refers to the attendance
        else:
            rules.check_has_checked_in(attendance)
            domain.check_out(attendance, now, now, code)
        return attendance

    def _read_code(self, settings, text, placements, now):
        if checkin.is_short(text):
            sites = {placement.site_id for placement in placements if placement.status == rules.ACTIVE}
            return checkin.match_short(settings.key, text, sites, now, settings.windows)
        code = checkin.read_scanned(settings.key, text)
        checkin.check_window(code, now, settings.windows[code.kind])
        return code

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
            rules.check_at_site(placement.site_id, coordinator.site_id)
            report = repository.report_of(self.db, placement.id)
            resubmitted = report is not None and report.status != rules.REJECTED
            kept = repository.current_signature(self.db, report) if resubmitted else None
            if kept is None or not rules.same_signature(kept.signature, signature):
                return None
            return views.report(report, placement, repository.confirmed_entries(self.db, placement.id))

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
        with self.unit_of_work():
            placement, entries, confirmed, submission, settled = \
                self._signable(coordinator, data["placement_id"], lock=True)
            rules.check_signed_document(evidence["document_sha256"], hashlib.sha256(pdf).hexdigest())
            rules.check_signed_document(document["content_key"],
                                        content_key(placement, entries, confirmed, submission, settled))
            report = repository.report(self.db, placement, lock=True)
            repository.add_report(self.db, *report.submit(coordinator.user_id, confirmed, utcnow()))
            repository.add(self.db, report.sign(pdf, data["signature"], evidence))
            flags = report.assess(*repository.risk_facts(self.db, placement), self._sample_rate(),
                                  risk.raised_flags(self.config.get("REVIEW_RISK_FLAGS")))
            self.db.flush()
            log.info("report %s submission %s assessed: flags %s, sampled for manual review: %s", report.row.id,
                     report.row.submissions, ",".join(item["code"] for item in flags) or "none", report.row.sampled)
            return views.report(report.row, placement, entries)

    def _sample_rate(self):
        return risk.check_sample_rate(self.config.get("REVIEW_SAMPLE_RATE", 0))

    def _signable(self, coordinator, placement_id, lock=False):
        """The placement whose report the coordinator may submit, its confirmed entries and hours, the
        submission's number and when its content was settled: what the PDF to sign shows."""
        placement = repository.get_placement(self.db, placement_id, lock=lock)
        rules.check_at_site(placement.site_id, coordinator.site_id)
        rules.check_active(placement.status)
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
        with self.unit_of_work():
            report = repository.report_by_id(self.db, report_id)
            repository.add(self.db, report.review(data["decision"], data["reason"], operator, utcnow()))
            return views.report(report.row, report.placement)

    @rpc
    def review_reports(self, payload):
        """The Operator accepts many reports at once, each exactly as one by one (its row locked, its
        history row and `report.accepted`) or refused on its own: the listed ids, or the unflagged,
        unsampled ones of a queue filter. A flagged or sampled report is refused: it needs a look one
        by one."""
        operator = self.caller().require(OPERATOR)
        data = load(contracts.BulkReviewIn, payload)
        with self.unit_of_work():
            ids = data["report_ids"] or repository.bulk_acceptable(self.db, data["filter"], data["limit"])
            # Rows taken in id order (locks always in one order), answered in the order asked.
            results = sorted((row_result(index, {"report_id": report_id}, "report",
                                         lambda report_id=report_id: self._accept(operator, report_id))
                              for index, report_id in sorted(enumerate(ids), key=lambda pair: pair[1])),
                             key=lambda result: result["index"])
        return views.rows(contracts.BulkReviewOut, "accepted", results)

    def _accept(self, operator, report_id):
        # Every check runs before the report's change, so a refused row changes nothing.
        report = repository.report_by_id(self.db, report_id)
        repository.add(self.db, report.accept_in_bulk(operator, utcnow()))
        return views.report_data(report.row, report.placement)

    @rpc
    def list_reports(self, query=None):
        """The Operator's queue (filter by status, region, organisation, submission date)."""
        return views.list_reports(self.db, self.caller(), load(contracts.ReportQuery, query))

    @rpc
    def get_report(self, report_id):
        report, placement = views.visible_report(self.db, self.caller(), report_id)
        return views.report(report, placement, repository.confirmed_entries(self.db, placement.id))

    @rpc
    def report_pdf(self, report_id):
        """The report as the PDF the Operator keeps."""
        report, placement = views.visible_report(self.db, self.caller(), report_id)
        return report_document(report, placement, repository.confirmed_entries(self.db, placement.id))

    @rpc
    def report_signature(self, report_id):
        """The current submission's signed PDF, its CMS and the evidence of its verification."""
        report, _ = views.visible_report(self.db, self.caller(), report_id)
        kept = repository.current_signature(self.db, report)
        if kept is None:
            raise NotFound("the report carries no signature", {"report_id": ["not signed"]})
        return views.signature(report, kept)

    # Idempotency-Key

    def _once(self, actor, key, operation, data, action):
        """Runs `action` in one unit of work; with a key, a repeated request gets the first answer (as
        stored: `action` answers dumped through its contract)."""
        if key is None:
            with self.unit_of_work():
                return action()
        if not 1 <= len(key) <= 128:
            raise ValidationFailed("the Idempotency-Key is 1 to 128 characters",
                                   {"Idempotency-Key": ["length"]})
        try:
            with self.unit_of_work():
                stored = repository.remembered(self.db, actor.user_id, key, operation, data)
                if stored is not None:
                    return stored
                result = action()
                repository.remember(self.db, actor.user_id, key, operation, data, result)
                return result
        except IntegrityError:  # the same key, sent at the same time, committed first
            with self.db.begin():
                return repository.remembered(self.db, actor.user_id, key, operation, data)
