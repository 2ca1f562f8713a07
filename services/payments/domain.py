"""Payments' domain: a payout on its way to the student's account moves through its states
(`PayoutStatus`, common/contracts/payments.py), each move audited, posted to the double-entry ledger
and told as an event; payout files, batches and the bank's messages move payouts by payments' pure
rules.

Nothing here knows of sessions, transactions or nameko: the repository loads (and locks) what a
change needs, the unit of work commits the rows and publishes the recorded events. A payout writes
its audit and ledger lines through its row (`changes`, `ledger_entries`); other new rows (details,
files, batches, statements, reconciliations) are returned for the repository to add.
"""
import datetime as dt
from decimal import Decimal

from common.clock import utcnow
from common.contracts import payments as contracts
from common.contracts.base import values_of
from common.contracts.payments import BatchStatus, FileStatus, PayoutStatus
from common.domain import Aggregate
from common.ids import new_id
from services.payments import iso20022, rules
from services.payments.bank import DUPLICATE
from services.payments.models import (BankFile, BankStatement, LedgerEntry, PayoutBatch, PayoutChange,
                                      PayoutDetails, PayoutDetailsChange, Reconciliation)
from services.payments.models import Payout as PayoutRow

SYSTEM = "payments"  # who moved a payout: the sender itself, the bank's answers, or a person's id
BANK = "bank"
DETAIL_COLUMNS = ("method", "iban", "bank_code", "bank_name", "bic", "iin", "holder_name")


# Payout details

def empty_details(student_id, now):
    """A student's details row before their first save (the repository adds it, then it is set)."""
    return PayoutDetails(student_id=student_id, version=0, method=rules.IBAN, holder_name="", updated_at=now,
                         updated_by=student_id)


def set_details(details, values, by, now):
    """Replace a student's details (`details`, locked) with `values` (`rules.checked_details`); answers
    the audit row of the new version, masked."""
    for column in DETAIL_COLUMNS:
        setattr(details, column, values.get(column))
    details.version += 1
    details.updated_at, details.updated_by = now, by
    return PayoutDetailsChange(id=new_id(), student_id=details.student_id, version=details.version,
                               method=details.method, masked=rules.mask_iban(details.iban),
                               bank_name=details.bank_name, holder_name=details.holder_name, changed_at=now,
                               changed_by=by)


def snapshot(details):
    """What a payout is sent with; kept on the payout once it has gone to the bank."""
    return {**{column: getattr(details, column) for column in DETAIL_COLUMNS}, "version": details.version}


# A payout

class Payout(Aggregate):
    """One student's reward for one placement (`row`), from the accepted report to the money on their
    account; every move goes through `PayoutStatus`'s table."""

    def __init__(self, row):
        self.row = row

    @classmethod
    def earn(cls, report, has_details, batched):
        """The payout an accepted report earns, owed from the programme's budget (ledger: accepted)."""
        row = PayoutRow(
            id=new_id(), key=rules.payout_key(report["placement_id"], report["voucher_kind"]),
            placement_id=report["placement_id"], report_id=report["report_id"],
            student_id=report["student_id"], student_name=report["student_name"], region=report["region"],
            voucher_kind=report["voucher_kind"], amount_kzt=rules.payout_amount(report["voucher_kind"]),
            batched=batched, round=1, attempts=0, created_at=utcnow(),
            status=PayoutStatus.READY if has_details else PayoutStatus.AWAITING_DETAILS)
        payout = cls(row)
        payout.audit(report["accepted_by"], "report accepted")
        payout.post("accepted")
        return payout

    @property
    def waits_for_student(self):
        return rules.waits_for_student(self.row.status, self.row.reason_code)

    def move(self, status, by, note=None):
        PayoutStatus.check_transition(self.row.status, status, "payout")
        self.row.status = status
        self.audit(by, note)

    def audit(self, by, note=None):
        self.row.changes.add(PayoutChange(id=new_id(), status=self.row.status, note=note, changed_at=utcnow(),
                                          changed_by=by))

    def post(self, kind):
        """One balanced ledger transaction for this payout's amount (`rules.MOVEMENTS[kind]`)."""
        lines = rules.posting(kind, self.row.amount_kzt)
        if not rules.is_balanced(lines):
            raise ValueError(f"an unbalanced {kind} posting")
        transaction_id, now = new_id(), utcnow()
        for account, debit, credit in lines:
            self.row.ledger_entries.add(LedgerEntry(id=new_id(), transaction_id=transaction_id, kind=kind,
                                                    account=account, debit=debit, credit=credit, created_at=now))

    def tell(self, event_type):
        self.record(event_type, values_of(contracts.PayoutChanged, self.row, payout_id=self.row.id))

    # Its way to the bank

    def release(self, batched, by):
        """The student gave payout details: ready to go."""
        self.row.batched = batched
        self.row.next_attempt_at = None
        self.move(PayoutStatus.READY, by, note="payout details given")

    def claim(self, claim, details, now):
        """Taken into a payout file being written, with the details it goes with (its file's audit says)."""
        PayoutStatus.check_transition(self.row.status, PayoutStatus.SENDING, "payout")
        row = self.row
        row.status, row.claim, row.claimed_at = PayoutStatus.SENDING, claim, now
        row.destination = snapshot(details)
        row.end_to_end_id = rules.end_to_end_id(row.id, row.round)
        row.attempts += 1

    def sent(self, file_ref, by=BANK):
        """The bank has the payout's file: the money is on its way (payable → at the bank)."""
        row = self.row
        row.bank_ref, row.sent_at, row.claim, row.next_attempt_at = file_ref, utcnow(), None, None
        self.move(PayoutStatus.SENT, by, note=f"file {file_ref} received by the bank")
        self.post("sent")
        self.tell(contracts.PAYOUT_SENT)

    def failed(self, reason, by=BANK, code=None):
        row = self.row
        row.reason, row.reason_code, row.failed_at, row.claim = reason, code, utcnow(), None
        was_at_bank = row.status == PayoutStatus.SENT
        self.move(PayoutStatus.FAILED, by, note=reason)
        if was_at_bank:
            self.post("returned")
        self.tell(contracts.PAYOUT_FAILED)

    def paid(self, booked_on):
        """The bank debited the Operator's account for it; a repeat, or news of an earlier round, changes
        nothing. Answers whether it changed anything."""
        row = self.row
        if row.status in (PayoutStatus.PAID, PayoutStatus.RETURNED):
            return False
        if row.status in (PayoutStatus.READY, PayoutStatus.SENDING):
            self.sent(row.file_id)  # the bank's news overtook its answer to the file
        was_failed = row.status == PayoutStatus.FAILED
        row.paid_at, row.booked_on = utcnow(), booked_on
        row.reason = row.reason_code = None
        self.move(PayoutStatus.PAID, BANK, note=f"booked by the bank on {booked_on}")
        self.post("paid_late" if was_failed else "paid")
        self.tell(contracts.PAYOUT_PAID)
        return True

    def returned(self, code, returned_on, paid_on=None):
        """Paid, then sent back by the student's bank: owed again, and the student must act."""
        row = self.row
        if row.status == PayoutStatus.RETURNED:
            return False
        if row.status != PayoutStatus.PAID:
            self.paid(paid_on)  # the return is the proof that it was paid
        row.reason, row.reason_code = rules.reason_text(code), code
        row.returned_at, row.returned_on = utcnow(), returned_on
        self.move(PayoutStatus.RETURNED, BANK, note=f"returned by the bank: {row.reason}")
        self.post("reversed")
        self.tell(contracts.PAYOUT_RETURNED)
        return True

    # The Operator's retry

    def retry(self, details, bank_file, file_failures, by):
        """The Operator sends a failed or returned payout again. When the bank never answered about its
        file (`bank_file`, locked), the outcome is unknown: the same file goes again, byte for byte, so
        the bank recognises it (DUPL) and its answers about that file, whenever they come, settle this
        payout and the others that failed with it (`file_failures`: the file's failed payouts). Otherwise
        a new round goes to the student's current details (`details`, None if none) under a new
        EndToEndId."""
        row = self.row
        details_changed = details is not None and (
            row.destination is None or details.version > row.destination["version"])
        rules.check_retryable(row.status, self.waits_for_student, details_changed)
        if row.status == PayoutStatus.FAILED and bank_file is not None \
                and bank_file.status == FileStatus.UNANSWERED:
            resend(bank_file, file_failures, by)
        else:
            self.new_round(details is not None, by)

    def new_round(self, has_details, by):
        """Sent again as a new credit transfer; what the earlier round came to is kept for statements."""
        row = self.row
        row.earlier_rounds = (row.earlier_rounds or []) + [{
            "end_to_end_id": row.end_to_end_id, "file_id": row.file_id, "status": row.status,
            "reason_code": row.reason_code, "booked_on": _iso(row.booked_on), "returned_on": _iso(row.returned_on)}]
        row.round += 1
        row.attempts = 0
        row.next_attempt_at = None
        row.batched = False
        row.reason = row.reason_code = row.bank_status = None
        row.end_to_end_id = row.file_id = None
        row.booked_on = row.returned_on = None
        self.move(PayoutStatus.READY if has_details else PayoutStatus.AWAITING_DETAILS, by,
                  note=f"retried by the Operator (round {row.round})")


def resend(bank_file, file_failures, by):
    """The unanswered file goes again, byte for byte, with its payouts that failed for want of an answer."""
    move_file(bank_file, FileStatus.SENDING)
    bank_file.attempts, bank_file.next_attempt_at = 0, None
    for member in file_failures:
        if member.row.reason_code is None:
            member.row.reason, member.row.failed_at, member.row.claim = None, None, bank_file.id
            member.move(PayoutStatus.SENDING, by,
                        note=f"retried by the Operator: file {bank_file.id} again, its outcome was unknown")


def _iso(day):
    return day.isoformat() if day else None


def _day(text):
    return dt.date.fromisoformat(text) if text else None


def claim(payouts, details, claim_id=None):
    """Claim payouts due to go (locked) with each student's details (`details`: by student id)."""
    claim_id, now = claim_id or new_id(), utcnow()
    for payout in payouts:
        payout.claim(claim_id, details[payout.row.student_id], now)
    return payouts


# Payout files

def move_file(bank_file, status):
    FileStatus.check_transition(bank_file.status, status, "payout file")
    bank_file.status = status


def payout_file(payouts, bank, execution_date, check=iso20022.pain001_problems):
    """The pain.001 for these claimed payouts, checked against the XSD (`check`). The repository adds
    it, then `file_written` puts the payouts in it."""
    now = utcnow()
    bank_file = BankFile(id=rules.file_id(now, new_id()), status=FileStatus.SENDING, execution_date=execution_date,
                         payouts=len(payouts), amount_kzt=sum(payout.row.amount_kzt for payout in payouts),
                         attempts=0, problems=[], created_at=now, document="")
    transfers = [iso20022.Transfer(
        end_to_end_id=row.end_to_end_id, amount_kzt=row.amount_kzt,
        name=row.destination["holder_name"], iban=row.destination["iban"], bic=row.destination["bic"],
        iin=row.destination["iin"],
        remittance=f"{bank.programme}: {row.voucher_kind} voucher reward, IIN {row.destination['iin']}",
    ) for row in (payout.row for payout in payouts)]
    document = iso20022.build_pain001(bank_file.id, now, bank.debtor, execution_date, transfers, bank.codes)
    bank_file.document = document.decode("utf-8")
    bank_file.problems = check(document)
    return bank_file


def file_written(bank_file, payouts, by=SYSTEM):
    """The payouts are in `bank_file`. A file that does not validate is never sent: it is kept with its
    problems and its payouts fail with them, for the Operator to see."""
    for payout in payouts:
        payout.row.file_id = payout.row.claim = bank_file.id
    if bank_file.problems:
        move_file(bank_file, FileStatus.INVALID)
        for payout in payouts:
            payout.failed("the payout file did not validate against the ISO 20022 schema: " + bank_file.problems[0],
                          by=by)


def file_answered(bank_file, members, answer, error, settings):
    """The bank's answer to a file being sent (`answer`, or `error`: no answer), for its payouts still
    sending (`members`); answers the counts (received, refused, deferred) for a batch, or None while
    the file is tried again."""
    bank_file.attempts += 1
    if answer is not None and answer.received:
        move_file(bank_file, FileStatus.RECEIVED)
        bank_file.sent_at, bank_file.next_attempt_at = utcnow(), None
        for payout in members:
            payout.sent(bank_file.id + (" (already there)" if answer.duplicate else ""))
        return len(members), 0, 0
    if answer is not None:
        move_file(bank_file, FileStatus.REJECTED)
        bank_file.problems = [f"{answer.reason}: {answer.text or ''}".strip()]
        for payout in members:
            payout.failed(rules.reason_text(answer.reason, answer.text), code=answer.reason)
        return 0, len(members), 0
    if bank_file.attempts >= settings.max_attempts:
        move_file(bank_file, FileStatus.UNANSWERED)
        bank_file.problems = [f"no answer after {bank_file.attempts} attempts: {error}"]
        for payout in members:
            payout.failed(f"the bank did not answer after {bank_file.attempts} attempts ({error}); "
                          "it may still pay: a retry sends the same file again", by=SYSTEM)
        return 0, 0, len(members)
    bank_file.next_attempt_at = utcnow() + dt.timedelta(
        seconds=rules.retry_delay(bank_file.attempts, settings.retry_base_seconds, settings.retry_cap_seconds))
    for payout in members:
        payout.audit(SYSTEM, note=f"file {bank_file.id}, attempt {bank_file.attempts}: {error}")
    return None


# Batches

def new_batch(day, by):
    return PayoutBatch(id=new_id(), day=day, status=BatchStatus.REQUESTED, payouts=0, amount_kzt=0, accepted=0,
                       refused=0, deferred=0, created_at=utcnow(), created_by=by)


def batch_claimed(batch, payouts):
    """The day's batch holds every payout that waited for it; one with none is done."""
    for payout in payouts:
        payout.row.batch_id = batch.id
    batch.payouts, batch.amount_kzt = len(payouts), sum(payout.row.amount_kzt for payout in payouts)
    if not payouts:
        batch_done(batch)


def batch_done(batch, counts=None):
    if counts is not None:
        batch.accepted, batch.refused, batch.deferred = counts
    if batch.status != BatchStatus.SENT:
        BatchStatus.check_transition(batch.status, BatchStatus.SENT, "batch")
        batch.status = BatchStatus.SENT


# The bank's messages, each applied once; each answers a one-line summary kept with its MsgId.
# `payouts`: the payouts whose current round the message names, by EndToEndId, locked.

def apply_status_report(report, bank_file, group_members, payouts):
    """A pain.002 about `bank_file` (locked; None: not one of ours); `group_members`: its payouts
    sending or sent, for a rejection of the whole file."""
    if bank_file is None:
        return f"status report about file {report['original_msg_id']}, not one of ours"
    if report["group_reason"] == DUPLICATE:
        return f"file {bank_file.id} sent again, recognised as a duplicate"
    bank_file.group_status = report["group_status"] or bank_file.group_status
    bank_file.answered_at = utcnow()
    rejected = 0
    if report["group_status"] == "RJCT" and not report["transactions"]:
        if bank_file.status != FileStatus.REJECTED:
            move_file(bank_file, FileStatus.REJECTED)
        bank_file.problems = [rules.reason_text(report["group_reason"], report["group_detail"])]
        for payout in group_members:
            payout.failed(bank_file.problems[0], code=report["group_reason"])
            rejected += 1
    for item in report["transactions"]:
        payout = payouts.get(item["end_to_end_id"])
        if payout is None or payout.row.file_id != bank_file.id:
            continue
        payout.row.bank_status = item["status"]
        if item["status"] == "RJCT" and payout.row.status in (PayoutStatus.SENDING, PayoutStatus.SENT):
            payout.failed(rules.reason_text(item["reason"], item["detail"]), code=item["reason"])
            rejected += 1
    return f"status {bank_file.group_status} for file {bank_file.id}: {rejected} rejected"


def apply_notification(notification, account, payouts):
    """A camt.054: the debits of the Operator's `account` pay their payouts."""
    paid = 0
    for entry in notification["entries"]:
        if entry["account"] != account or entry["direction"] != "DBIT":
            continue  # a return's credit: the pacs.004 says which payout and why
        payout = payouts.get(entry["end_to_end_id"])
        if payout is not None and payout.paid(entry["booked_on"]):
            paid += 1
    return f"{paid} paid"


def apply_return(message, payouts):
    """A pacs.004: payouts sent back by the students' banks."""
    returned = 0
    for item in message["returns"]:
        payout = payouts.get(item["end_to_end_id"])
        if payout is not None and payout.returned(item["reason"], item["returned_on"], item["paid_on"]):
            returned += 1
    return f"{returned} returned"


def statement_row(statement, payouts):
    """A camt.053 of the Operator's account, to keep (and check: `check_statement`); the day a return
    was booked is on it."""
    for entry in statement["entries"]:
        payout = payouts.get(entry["end_to_end_id"]) if entry["direction"] == "CRDT" else None
        if payout is not None and payout.row.status == PayoutStatus.RETURNED and payout.row.returned_on is None:
            payout.row.returned_on = entry["booked_on"]
    debits = sum(entry["amount"] for entry in statement["entries"] if entry["direction"] == "DBIT")
    credits = sum(entry["amount"] for entry in statement["entries"] if entry["direction"] == "CRDT")
    return BankStatement(
        id=statement["statement_id"], day=statement["day"],
        sequence=int(statement["sequence"]) if (statement["sequence"] or "").isdigit() else None,
        opening=statement["opening"], closing=statement["closing"], debits_kzt=int(debits), credits_kzt=int(credits),
        entries=[{"end_to_end_id": entry["end_to_end_id"], "amount": str(entry["amount"]),
                  "direction": entry["direction"]} for entry in statement["entries"]],
        problems=[], clean=True, received_at=utcnow())


def statement_summary(row):
    return f"statement of {row.day}: {len(row.entries)} entries, {'clean' if row.clean else 'problems'}"


# Reconciliation

def check_statement(row, payouts):
    """Compare one stored statement with `payouts` (rows): those it names or that were booked or
    returned on its day. Keeps and answers the problems."""
    rounds = {}
    for payout in payouts:
        for earlier in payout.earlier_rounds or []:
            rounds[earlier["end_to_end_id"]] = (payout.key, earlier["status"], payout.amount_kzt,
                                                _day(earlier["booked_on"]), _day(earlier["returned_on"]))
        rounds[payout.end_to_end_id] = (payout.key, payout.status, payout.amount_kzt, payout.booked_on,
                                        payout.returned_on)
    row.problems = rules.statement_problems(statement_values(row), rounds)
    row.clean = not row.problems
    return row.problems


def statement_values(row):
    return {"day": row.day, "opening": Decimal(str(row.opening)), "closing": Decimal(str(row.closing)),
            "entries": [{**entry, "amount": Decimal(entry["amount"])} for entry in row.entries]}


def ledger(lines):
    """The ledger's totals from its accounts' (account, debits, credits)."""
    lines = [(account, int(debit), int(credit)) for account, debit, credit in lines]
    return {"balanced": rules.is_balanced(lines), "debits_kzt": sum(line[1] for line in lines),
            "credits_kzt": sum(line[2] for line in lines), "accounts": rules.balances(lines)}


def reconcile(statements, payouts_of, ledger_lines, booked_after_last, checked, by):
    """The ledger against every statement the bank sent (oldest first, each checked again with
    `payouts_of(statement)`: a notification may have come after it), and what the bank paid net of
    returns against the ledger's paid-out balance, less what was booked after the last statement
    (`booked_after_last`: the next one shows it). Answers the run to keep."""
    mismatches = []
    for row in statements:
        mismatches += [{**problem, "day": row.day.isoformat()} for problem in check_statement(row, payouts_of(row))]
    bank_paid = sum(row.debits_kzt - row.credits_kzt for row in statements)
    totals = ledger(ledger_lines)
    ledger_paid = totals["accounts"][rules.PAID_OUT] - booked_after_last
    if ledger_paid != bank_paid and not mismatches:
        mismatches.append({"key": "*", "kind": "totals_differ", "amount": ledger_paid, "bank_amount": bank_paid})
    return Reconciliation(id=new_id(), run_at=utcnow(), run_by=by, checked=checked,
                          clean=not mismatches and totals["balanced"], ledger_balanced=totals["balanced"],
                          ledger_paid_kzt=ledger_paid, bank_paid_kzt=bank_paid, mismatches=mismatches)
