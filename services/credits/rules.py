"""The programme's rules for re-counting credits: pure functions, no I/O, no clock.

Requests are passed in as objects with `status` and `credits` (the models, or anything shaped so).
Each check raises the error the platform answers with: RuleViolation (422) for what the programme
forbids (past the yearly cap), Conflict (409) for what the request's state forbids (decided already).
"""
import base64
import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

from marshmallow import ValidationError

from common import programme
from common.clock import as_utc
from common.contracts.base import shared
from common.contracts.credits import (CONFIRM, CONFIRMED, MAX_DECISIONS_FILE_ROWS, ORDER_FIELDS, PENDING,
                                      REJECTED, DecisionRowIn, RequestStatus)
from common.errors import Conflict, NotFound, RuleViolation, ValidationFailed

CODE_GROUP = 4
PAYOUT_STAGES = {"sent": 1, "paid": 2, "failed": 2}  # the bank's answer comes after the sending


def credits_due(voucher_kind):
    """Credits a university re-counts for a completed voucher of this kind (2 or 5)."""
    return programme.voucher(voucher_kind).credits


def counted_credits(requests):
    """Credits the universities have confirmed."""
    return sum(r.credits for r in requests if r.status == CONFIRMED)


def pending_credits(requests):
    return sum(r.credits for r in requests if r.status == PENDING)


def claimed_credits(requests):
    """Credits confirmed or awaiting a decision: what a new request is weighed against."""
    return counted_credits(requests) + pending_credits(requests)


def request_year(starts_on, accepted_at):
    """The programme year a request counts in: its placement's (by its first day), or, for a report
    that did not say, the year it was accepted in."""
    return programme.programme_year(starts_on if starts_on is not None else accepted_at)


def year_of(request):
    """The programme year a stored request counts in."""
    return request.programme_year if request.programme_year is not None else programme.programme_year(
        request.accepted_at)


def of_year(requests, year):
    """The requests that count in programme year `year`."""
    return [r for r in requests if year_of(r) == year]


def check_within_cap(claimed, due):
    """A request for `due` more credits fits the programme's yearly cap (`claimed`: the credits of the
    same programme year), or is refused (422) with the numbers."""
    total = claimed + due
    if total > programme.MAX_CREDITS:
        reason = (f"the programme re-counts at most {programme.MAX_CREDITS} credits per student a programme year; "
                  f"{claimed} are already re-counted or awaiting a university, and {due} more would make {total}")
        raise RuleViolation(reason, {"credits": [reason]})


def check_decidable(status, new):
    """A registrar decides a request once; a decided or refused one cannot be decided again (409)."""
    if new not in RequestStatus.TRANSITIONS.get(status, ()):
        raise Conflict(f"this request is already {status}", {"status": [status]})


def moves_with_student(status):
    """On a transfer, requests still awaiting a decision follow the student; decided ones stay."""
    return status == PENDING


def payout_supersedes(stored_status, stored_at, status, occurred_at):
    """Whether a payout event (`status` at `occurred_at`) replaces the state recorded so far. Events
    may arrive out of order: the later one wins, and of two at the same instant the later stage."""
    if stored_at is None:
        return True
    if occurred_at != stored_at:
        return occurred_at > stored_at
    return PAYOUT_STAGES[status] > PAYOUT_STAGES[stored_status]


def received_window(received_from, received_to, timezone=programme.TIMEZONE):
    """The UTC instants [start, end) covering the given local days; either side may be open (None)."""
    zone = ZoneInfo(timezone)

    def day_start(day):
        return dt.datetime.combine(day, dt.time.min, tzinfo=zone).astimezone(dt.timezone.utc)

    start = day_start(received_from) if received_from else None
    end = day_start(received_to + dt.timedelta(days=1)) if received_to else None
    return start, end


def verification_code(random_bytes):
    """A certificate's code from random bytes: base32 in groups of four, easy to read out and type."""
    text = base64.b32encode(random_bytes).decode("ascii").rstrip("=")
    return "-".join(text[i:i + CODE_GROUP] for i in range(0, len(text), CODE_GROUP))


def normalise_code(code):
    """A code as a person may type it (lower case, spaces) in its canonical form."""
    compact = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(compact[i:i + CODE_GROUP] for i in range(0, len(compact), CODE_GROUP))


# Decisions on many requests at once


def bulk_decision(row, for_all):
    """A row of a bulk confirmation as one decision: its own discipline and order, else the ones for all."""
    return {"request_id": row["request_id"], "decision": CONFIRM,
            **{name: row[name] if row.get(name) is not None else for_all.get(name) for name in ORDER_FIELDS}}


def decided_so(request, decision):
    """Whether the request already stands as `decision` says (confirmed under the same order and
    discipline, or rejected for the same reason): answered as such, with nothing changed."""
    if decision["decision"] == CONFIRM:
        return request.status == CONFIRMED and (request.order_number, request.order_date, request.discipline) == (
            decision["order_number"].strip(), decision.get("order_date"), decision["discipline"].strip())
    return request.status == REJECTED and request.reason == decision["reason"].strip()


# The registrar's CSV: the queue exported, its decision columns filled in, imported back. Semicolons,
# as Excel splits on them in Russian and Kazakh locales; UTF-8 with a byte-order mark, so Excel reads
# Cyrillic as such.
CSV_DELIMITER = ";"
BYTE_ORDER_MARK = "\ufeff"
EXPORT_COLUMNS = ("request_id", "student_iin", "student_name", "organisation", "site", "direction",
                  "voucher_kind", "hours", "credits", "status", "received_on")
DECISION_COLUMNS = ("decision", "order_number", "order_date", "discipline", "reason")
CSV_COLUMNS = EXPORT_COLUMNS + DECISION_COLUMNS
EXPORT_PAGE = 1000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})\Z")  # how Excel saves a date in ru/kk


def safe_cell(value):
    """Text a spreadsheet shows as text: a name starting like a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export_row(request, iin, timezone=programme.TIMEZONE):
    received_on = as_utc(request.received_at).astimezone(ZoneInfo(timezone)).date().isoformat()
    return [safe_cell(value) for value in (
        request.id, iin, request.student_name, request.organisation_name, request.site_name, request.direction,
        request.voucher_kind, request.hours, request.credits, request.status, received_on)] + [""] * len(DECISION_COLUMNS)


def export_csv(rows, first_page):
    """One page of the export as CSV text; the first begins with the byte-order mark and the header."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    if first_page:
        out.write(BYTE_ORDER_MARK)
        writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def cursor_of(request):
    """Where the next page of the export starts: after this request, in (received_at, id) order."""
    return f"{as_utc(request.received_at).astimezone(dt.timezone.utc).isoformat()}|{request.id}"


def read_cursor(after):
    if after is None:
        return None
    moment, _, request_id = after.partition("|")
    try:
        return dt.datetime.fromisoformat(moment), request_id
    except ValueError:
        raise ValidationFailed("not a cursor of this export", {"after": ["not a cursor of this export"]})


def read_decisions(text, max_rows=MAX_DECISIONS_FILE_ROWS):
    """The decisions a CSV in the export's layout carries: `(decisions, problems, skipped)`. Each decision
    is a dict with its `row` (the header is row 1); `problems` maps a row to {column: [reasons]}; rows
    whose decision columns are all empty are skipped. A file that is not such a CSV at all (no header
    with the decision columns, too many rows) is refused whole (400)."""
    decisions, problems, skipped, first_rows = [], {}, 0, {}
    try:
        header, lines = queue_csv(text)
        for row, cells in enumerate(lines, start=2):
            if row - 1 > max_rows:
                raise ValidationFailed(f"the file has more than {max_rows} rows: split it",
                                       {"file": [f"more than {max_rows} rows"]})
            values = {name: cells[i].strip() for i, name in enumerate(header) if i < len(cells)}
            if not any(values.values()):  # an empty line, as spreadsheets leave at the end
                continue
            if not any(values.get(name) for name in DECISION_COLUMNS):
                skipped += 1
                continue
            decision, errors = read_decision(values)
            request_id = values.get("request_id")
            if request_id in first_rows and "request_id" not in errors:
                errors["request_id"] = [f"decided again: also on row {first_rows[request_id]}"]
            first_rows.setdefault(request_id, row)
            if errors:
                problems[row] = errors
            else:
                decisions.append({"row": row, **decision})
    except csv.Error as exc:
        raise ValidationFailed("the file is not a readable CSV", {"file": [str(exc)]})
    return decisions, problems, skipped


def queue_csv(text):
    """The header (its names in lower case) and the rows of a CSV in the queue's layout, split on
    semicolons or, as another spreadsheet may save it, commas; one without the decision columns is refused."""
    text = text.removeprefix(BYTE_ORDER_MARK)
    first_line = text.partition("\n")[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    lines = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = [name.strip().lower() for name in next(lines, [])]
    missing = [name for name in ("request_id",) + DECISION_COLUMNS if name not in header]
    if missing:
        raise ValidationFailed("the file is not a CSV of the re-count queue: its header row lacks columns",
                               {"file": [f"missing columns: {', '.join(missing)}"]})
    return header, lines


def read_decision(values):
    """One row's decision through the row's contract, and its problems by column."""
    given = {name: values[name] for name in ("request_id",) + DECISION_COLUMNS if values.get(name)}
    given["decision"] = given.get("decision", "").lower()
    found = DAY_MONTH_YEAR.match(given.get("order_date", ""))
    if found:
        day, month, year = found.groups()
        given["order_date"] = f"{year}-{int(month):02d}-{int(day):02d}"
    try:
        decision = shared(DecisionRowIn).load(given)
    except ValidationError as exc:
        return None, exc.messages
    needed = ("order_number", "discipline") if decision["decision"] == CONFIRM else ("reason",)
    errors = {name: [f"required to {decision['decision']}"] for name in needed if name not in decision}
    return decision, errors


def row_problem(error):
    """A decision refused on its row (as one by one it would be) as the row's problem, by column."""
    return {"request_id" if isinstance(error, NotFound) else "decision": [error.message]}


def check_no_problems(problems):
    """A file with bad rows is refused whole: every row's problems named, nothing applied."""
    if problems:
        raise RuleViolation(f"{len(problems)} row(s) of the file are wrong: nothing was applied",
                            {"rows": {str(row): problems[row] for row in sorted(problems)}})
