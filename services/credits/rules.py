"""The programme's rules for re-counting credits: pure functions, no I/O.

Requests are passed in as objects with `status` and `credits` (the models, or anything shaped so).
"""
import base64
import datetime as dt
from zoneinfo import ZoneInfo

from common import programme
from common.auth import ADMIN, OPERATOR, REGISTRAR, STUDENT
from common.contracts.credits import CONFIRMED, PENDING
from common.errors import Conflict

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


def refusal_reason(claimed, due):
    """Why a request for `due` more credits must be refused, or None when it fits the programme's
    yearly cap (`claimed`: the credits of the same programme year)."""
    total = claimed + due
    if total <= programme.MAX_CREDITS:
        return None
    return (f"the programme re-counts at most {programme.MAX_CREDITS} credits per student a programme year; "
            f"{claimed} are already re-counted or awaiting a university, and {due} more would make {total}")


def ensure_pending(status):
    """A registrar decides a request once; a decided or refused one cannot be decided again."""
    if status != PENDING:
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


def can_see(principal, request):
    """Who may see a request: the Operator and admins, the student it belongs to, and the registrar of
    the university that holds it. Anyone else with one of those roles is told it does not exist."""
    if principal.has(OPERATOR, ADMIN):
        return True
    if principal.has(REGISTRAR) and principal.university_id == request.university_id:
        return True
    return principal.has(STUDENT) and principal.user_id == request.student_id


VIEWER_ROLES = (OPERATOR, ADMIN, REGISTRAR, STUDENT)
