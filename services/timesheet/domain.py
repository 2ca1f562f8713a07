"""Timesheet's domain: a day's sheet of hours logs entries, a student's answers confirm or dispute them
and complete the voucher, attendance becomes hours, a completion report is submitted, signed,
assessed and reviewed; each by timesheet's pure rules, recording the events it causes.

Nothing here knows of sessions, transactions or nameko: the repository loads (and locks) what a
change needs, the unit of work in the entrypoint commits the rows and publishes the recorded events.
Rows are the models' instances; a new one is returned for the repository to add.
"""
import datetime as dt
from decimal import Decimal

from common.clock import as_utc
from common.contracts import timesheet as contracts
from common.contracts.base import values_of
from common.contracts.placement import PlacementStarted
from common.domain import Aggregate
from common.ids import new_id
from common.errors import NotFound
from services.timesheet import risk, rules
from services.timesheet.models import (
    Attendance, HourEntry, Placement, PlacementEnding, ReportFlag, ReportHistory, ReportSignature,
)
from services.timesheet.models import Report as ReportRow

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# The read model keeps what `placement.started` tells (PlacementFacts and the names placement adds),
# `placement_id` as its id: declared once, in placement's contract.
STARTED_FACTS = tuple(name for name in PlacementStarted._declared_fields if name != "placement_id")


def facts_of(contract, placement, **given):
    """The fields of `contract` that are a placement's facts, read from the read model (its id as
    `placement_id`), and those `given`."""
    facts = {name: getattr(placement, name) for name in contract._declared_fields if name in STARTED_FACTS}
    if "placement_id" in contract._declared_fields:
        facts["placement_id"] = placement.id
    return {**facts, **given}


# Placements, as placement's events tell timesheet

def learn_started(placement, ending, data):
    """`placement.started`: a new placement starts active, unless it was already heard to have ended (a
    new row, for the repository to add); a copy heard again keeps its status."""
    facts = {name: data[name] for name in STARTED_FACTS}
    if placement is None:
        return Placement(id=data["placement_id"], status=rules.placement_status(ending is not None), **facts)
    for name, value in facts.items():
        setattr(placement, name, value)
    return None


def ending(placement_id, ended_at):
    """`placement.withdrawn`, kept apart from the placement: it may come before `placement.started`."""
    return PlacementEnding(placement_id=placement_id, ended_at=ended_at)


def withdraw(placement):
    """The placement ended for good: whether or not its start has arrived yet, it is never active again."""
    if placement is not None:
        placement.status = rules.WITHDRAWN


def entry_event(entry, comment=None):
    return values_of(contracts.HoursEntryEvent, entry, entry_id=entry.id, comment=comment)


# Hours logged by the site

class DaySheet(Aggregate):
    """What logging hours on one day checks, for many placements read at once: the placements (their
    students' placements locked), their reports' statuses, and each student's hours logged that day,
    kept up to date as rows are logged."""

    def __init__(self, work_date, placements, report_statuses, logged):
        self.work_date, self.placements, self.report_statuses, self.logged = (
            work_date, placements, report_statuses, logged)

    def placement(self, placement_id):
        placement = self.placements.get(placement_id)
        if placement is None:
            raise NotFound("no such placement", {"placement_id": ["unknown"]})
        return placement

    def logged_by(self, student_id):
        return self.logged.get(student_id, ZERO)

    def log(self, coordinator, placement_id, hours, note, now, source="coordinator"):
        """A new entry (every check runs before it, so a refused row leaves nothing); `hours.logged`."""
        placement = self.placement(placement_id)
        rules.check_at_site(placement.site_id, coordinator.site_id)
        rules.check_active(placement.status)
        rules.check_not_frozen(self.report_statuses.get(placement.id))
        rules.check_hours(hours)
        rules.check_work_date(self.work_date, placement.starts_on, placement.ends_on, rules.local_today(now))
        rules.check_day_total(self.logged_by(placement.student_id), hours)
        entry = new_entry(placement, coordinator.user_id, self.work_date, hours, note, now, source)
        self.logged[placement.student_id] = self.logged_by(placement.student_id) + entry.hours
        self.record(contracts.HOURS_LOGGED, entry_event(entry))
        return entry


def new_entry(placement, actor, work_date, hours, note, now, source="coordinator", corrects=None, reason=None):
    return HourEntry(
        id=new_id(), placement_id=placement.id, student_id=placement.student_id, site_id=placement.site_id,
        work_date=work_date, hours=hours.quantize(CENT), note=note, source=source, corrects_id=corrects,
        reason=reason, status=rules.PENDING, created_by=actor, created_at=now)


def correct(entry, original, placement, report_status, original_total, day_total, hours, reason, actor, now):
    """A correction is a new entry against the original (returned); correcting a disputed entry resolves it."""
    rules.check_not_frozen(report_status)
    rules.check_hours(hours, correction=True)
    rules.check_correction(original_total, hours)
    rules.check_day_total(day_total, hours)
    correction = new_entry(placement, actor, original.work_date, hours, reason, now, corrects=original.id,
                           reason=reason)
    if entry.status == rules.DISPUTED:
        resolve(entry, actor, f"corrected by {hours:+} h: {reason}", now)
    return correction


def resolve(entry, actor, note, now):
    """The site answers a dispute; the entry goes back to the student to confirm."""
    rules.check_disputed(entry.status)
    entry.status, entry.resolution, entry.resolved_by, entry.resolved_at = rules.PENDING, note, actor, now


# The student's answers

class AnswerSheet(Aggregate):
    """What a student's answers to entries check, read at once: the student's entries among those
    asked for, their placements (locked, so the answer reaching the voucher's hours sees the others),
    their reports' statuses, and which placements got a confirmation."""

    def __init__(self, entries, placements, report_statuses):
        self.entries, self.placements, self.report_statuses = entries, placements, report_statuses
        self.confirmed_in = set()

    def answer(self, entry_id, answer, comment, now):
        """Every check runs before the change, so a refused row changes nothing; a dispute is told."""
        entry = self.entries.get(entry_id)
        if entry is None:  # also someone else's entry: it does not exist for this student
            raise NotFound("no such entry", {"entry_id": ["unknown"]})
        rules.check_not_frozen(self.report_statuses.get(entry.placement_id))
        rules.check_answerable(entry.status, answer)
        entry.status, entry.student_comment, entry.answered_at = answer, comment, now
        if answer == rules.CONFIRMED:
            self.confirmed_in.add(entry.placement_id)
        else:
            self.record(contracts.HOURS_DISPUTED, entry_event(entry, comment))
        return entry

    def complete(self, tallies, now):
        """Each placement that had entries confirmed: its voucher completed, once, if these reached its
        hours (`tallies`: {placement id: (logged, confirmed, disputes)} read after the answers). The
        placements are locked, so of two answers at once the second sees the first's `completed_at`."""
        for placement_id in sorted(self.confirmed_in):
            placement, (_, confirmed, _) = self.placements[placement_id], tallies[placement_id]
            if rules.reached(confirmed, placement.hours_required) and placement.completed_at is None:
                placement.completed_at = now
                self.record(contracts.HOURS_COMPLETED, facts_of(contracts.HoursCompleted, placement, hours=confirmed))


# Attendance: check-in and check-out by the student, approved by the coordinator

def check_in(student_id, placement, at, now, report_status, open_attendance, field="placement_id", code=None):
    """A new check-in (returned) at the aware instant `at`."""
    rules.check_active(placement.status)
    rules.check_not_frozen(report_status)
    rules.check_not_future(at, now)
    rules.check_work_date(rules.local_today(at), placement.starts_on, placement.ends_on, rules.local_today(now))
    rules.check_not_checked_in(open_attendance, field)
    return Attendance(id=new_id(), placement_id=placement.id, student_id=student_id, site_id=placement.site_id,
                      checked_in_at=at, status=rules.OPEN, checked_in_with=code and code.kind)


def check_out(attendance, at, now, code=None):
    rules.check_checked_in(attendance.status)
    if code is not None:
        rules.check_same_site(attendance.site_id, code.site_id)
    rules.interval_hours(as_utc(attendance.checked_in_at), at, now)
    attendance.checked_out_at, attendance.status, attendance.checked_out_with = (
        at, rules.AWAITING, code and code.kind)


def attendance_day(attendance):
    """The local day the attendance was on: the day sheet its hours go to."""
    return as_utc(attendance.checked_in_at).astimezone(rules.LOCAL_TIME).date()


def approved_entry(attendance, note, coordinator, now, sheet):
    """The entry approved attendance becomes, under every rule a logged entry meets (`sheet`, its day's)."""
    rules.check_awaiting_decision(attendance.status)
    checked_in, checked_out = as_utc(attendance.checked_in_at), as_utc(attendance.checked_out_at)
    hours = rules.interval_hours(checked_in, checked_out, now)
    local_in, local_out = checked_in.astimezone(rules.LOCAL_TIME), checked_out.astimezone(rules.LOCAL_TIME)
    return sheet.log(coordinator, attendance.placement_id, hours,
                     note or f"attendance {local_in:%H:%M}–{local_out:%H:%M}", now, "attendance")


def decide(attendance, entry, note, coordinator, now):
    """Approved (with the `entry` it became, already added) or declined (`entry` None)."""
    rules.check_awaiting_decision(attendance.status)
    attendance.entry_id = entry and entry.id
    attendance.status = rules.APPROVED if entry is not None else rules.DECLINED
    attendance.note, attendance.decided_by, attendance.decided_at = note, coordinator.user_id, now


# The completion report

class Report(Aggregate):
    """A placement's completion report (`row`, None before its first submission) with its placement."""

    def __init__(self, row, placement):
        self.row, self.placement = row, placement

    def submit(self, actor, hours, now):
        """A new report, or the rejected one again (the history keeps every submission); returns the
        new rows (the report, if new, and its history)."""
        new = []
        if self.row is None:
            self.row = ReportRow(id=new_id(), placement_id=self.placement.id, submissions=0)
            new.append(self.row)
        row = self.row
        row.status, row.hours, row.submitted_at, row.submitted_by = rules.SUBMITTED, hours, now, actor
        row.submissions += 1
        row.reviewed_at = row.reviewed_by = row.reviewer_name = None
        self.record(contracts.REPORT_SUBMITTED, facts_of(contracts.ReportSubmitted, self.placement,
                                                         report_id=row.id, hours=hours))
        return new + [self.history("submitted", actor, now)]

    def history(self, action, actor, at, reason=None):
        return ReportHistory(report_id=self.row.id, action=action, hours=self.row.hours, reason=reason, actor=actor,
                             at=at)

    def sign(self, document, signature, evidence):
        """The submission's signed PDF, its CMS and evidence (returned); the verified signer on the report."""
        signer, row = evidence["signer"], self.row
        row.signer_name, row.signer_iin = signer["name"], signer["iin"]
        row.signer_role, row.signer_bin = signer["role"], signer["bin"]
        row.signed_at = dt.datetime.fromisoformat(evidence["signed_at"])
        return ReportSignature(report_id=row.id, submission=row.submissions, document=document,
                               signature=signature, evidence=evidence)

    def assess(self, entries, site_placements, site_reports, sample_rate, raised=risk.RISK_FLAGS):
        """The risk flags (among those `raised`) of the current submission (its entries, its signer,
        its site); an unflagged one may be sampled for manual review."""
        row, placement = self.row, self.placement
        found = risk.flags_of(entries, placement.student_name, row.signer_name, site_placements,
                              [(placement.hours_required, risk.days_worked(entries)), *site_reports], raised)
        row.flags = [ReportFlag(code=item["code"], reason=item["reason"]) for item in found]
        row.flag_count = len(found)
        row.sampled = not found and risk.sampled(row.id, row.submissions, sample_rate)
        return found

    def review(self, decision, reason, operator, now):
        """The Operator accepts (the trigger for payout and credits) or rejects, once; returns the
        history row. The report's row is locked, so of two reviews at once the second sees the first."""
        row = self.row
        rules.check_review(row.status, decision, reason, signed=row.signed_at is not None)
        status = rules.review_status(decision)
        row.status, row.reviewed_at, row.reviewed_by, row.reviewer_name = status, now, operator.user_id, operator.name
        if status == rules.REJECTED:
            row.reason = reason
            self.record(contracts.REPORT_REJECTED, facts_of(contracts.ReportRejected, self.placement,
                                                            report_id=row.id, reason=reason))
        else:
            self.record(contracts.REPORT_ACCEPTED, facts_of(
                contracts.ReportAccepted, self.placement, report_id=row.id, hours=row.hours, accepted_at=now,
                accepted_by=operator.user_id))
        return self.history(status, operator.user_id, now, reason)

    def accept_in_bulk(self, operator, now):
        """Bulk acceptance takes a routine report exactly as one by one; a flagged or sampled one is refused."""
        rules.check_review(self.row.status, "accept", None, signed=self.row.signed_at is not None)
        rules.check_bulk_acceptable([item.code for item in self.row.flags], self.row.sampled)
        return self.review("accept", None, operator, now)
