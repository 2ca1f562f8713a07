"""The programme's re-count rules, without I/O."""
import datetime as dt
from types import SimpleNamespace

import pytest

from common import programme
from common.auth import Principal
from common.contracts.credits import CONFIRMED, PENDING, REFUSED, REJECTED
from common.errors import Conflict, RuleViolation
from services.credits import access, rules


def request(status, credits, student_id="s1", university_id="u1"):
    return SimpleNamespace(status=status, credits=credits, student_id=student_id, university_id=university_id)


def test_credits_due_come_from_the_programme():
    assert rules.credits_due("h20") == programme.VOUCHERS["h20"].credits == 2
    assert rules.credits_due("h50") == programme.VOUCHERS["h50"].credits == 5
    with pytest.raises(KeyError):
        rules.credits_due("h70")


def test_only_confirmed_credits_count_and_pending_ones_are_claimed():
    requests = [request(CONFIRMED, 2), request(PENDING, 5), request(REJECTED, 2), request(REFUSED, 2)]
    assert rules.counted_credits(requests) == 2
    assert rules.pending_credits(requests) == 5
    assert rules.claimed_credits(requests) == 7
    assert rules.claimed_credits([]) == 0


@pytest.mark.parametrize("claimed, due", [(0, 2), (0, 5), (2, 5), (5, 2), (0, 7)])
def test_up_to_the_maximum_is_allowed(claimed, due):
    assert rules.check_within_cap(claimed, due) is None


@pytest.mark.parametrize("claimed, due, total", [(7, 2, 9), (7, 5, 12), (5, 5, 10), (6, 2, 8)])
def test_past_the_maximum_is_refused_with_the_numbers(claimed, due, total):
    with pytest.raises(RuleViolation) as refused:
        rules.check_within_cap(claimed, due)
    reason = refused.value.message
    assert refused.value.fields == {"credits": [reason]}
    assert f"at most {programme.MAX_CREDITS} credits" in reason
    assert f"{claimed} are already" in reason and f"would make {total}" in reason


def test_only_a_pending_request_can_be_decided():
    for decision in (CONFIRMED, REJECTED, REFUSED):
        rules.check_decidable(PENDING, decision)
    for status in (CONFIRMED, REJECTED, REFUSED):
        with pytest.raises(Conflict) as error:
            rules.check_decidable(status, CONFIRMED)
        assert status in error.value.message


def test_only_open_requests_follow_a_transfer():
    assert rules.moves_with_student(PENDING)
    assert not any(rules.moves_with_student(s) for s in (CONFIRMED, REJECTED, REFUSED))


def test_a_payout_event_applies_unless_an_older_one_arrives_late():
    t = dt.datetime(2026, 9, 1, 12, tzinfo=dt.timezone.utc)
    later, earlier = t + dt.timedelta(seconds=1), t - dt.timedelta(seconds=1)
    assert rules.payout_supersedes(None, None, "sent", t)
    assert rules.payout_supersedes("paid", t, "sent", later)  # sent again after a retry
    assert not rules.payout_supersedes("sent", t, "paid", earlier)
    assert rules.payout_supersedes("sent", t, "paid", t)  # same instant: the bank's answer wins
    assert rules.payout_supersedes("sent", t, "failed", t)
    assert not rules.payout_supersedes("paid", t, "sent", t)
    assert not rules.payout_supersedes("sent", t, "sent", t)


def test_received_window_covers_whole_local_days():
    start, end = rules.received_window(dt.date(2026, 9, 1), dt.date(2026, 9, 2), timezone="Asia/Almaty")
    assert start.utcoffset() == dt.timedelta(0) and start.hour != 0  # Almaty's midnight, in UTC
    assert end - start == dt.timedelta(days=2)
    assert rules.received_window(None, None) == (None, None)
    assert rules.received_window(dt.date(2026, 9, 1), None)[1] is None


def test_verification_codes_are_long_grouped_and_normalised():
    code = rules.verification_code(bytes(range(15)))
    groups = code.split("-")
    assert len("".join(groups)) == 24 and all(len(g) == 4 for g in groups)
    assert rules.verification_code(bytes(15)) != rules.verification_code(b"\x01" + bytes(14))
    assert rules.normalise_code(" " + code.lower().replace("-", " ") + " ") == code


def test_who_sees_a_request():
    held = request(PENDING, 2, student_id="s1", university_id="u1")

    def principal(role, user_id="x", **scope):
        return Principal(user_id=user_id, roles=(role,), scope=scope)

    assert access.can_see(principal("operator"), held)
    assert access.can_see(principal("registrar", university_id="u1"), held)
    assert not access.can_see(principal("registrar", university_id="u2"), held)
    assert not access.can_see(principal("registrar"), held)
    assert access.can_see(principal("student", user_id="s1"), held)
    assert not access.can_see(principal("student", user_id="s2"), held)
    assert not access.can_see(principal("coordinator"), held)
