"""The placement rules, pure."""
import datetime as dt
from types import SimpleNamespace

import pytest

from common import programme
from common.errors import Conflict, RuleViolation
from services.placement import rules

NOW = dt.datetime(2026, 9, 1, 10, 0, tzinfo=dt.timezone.utc)
H20, H50 = programme.VOUCHER_KINDS


YEAR = 2026


def placement(kind, status=rules.PLACEMENT_ACTIVE, starts_on=dt.date(YEAR, 9, 15)):
    return SimpleNamespace(voucher_kind=kind, status=status, starts_on=starts_on)


def application(app_id, kind, status):
    return SimpleNamespace(id=app_id, voucher_kind=kind, status=status)


def test_a_student_holds_at_most_one_voucher_of_each_kind():
    held = rules.held_voucher_kinds([placement(H20)], YEAR)
    with pytest.raises(RuleViolation) as refused:
        rules.check_voucher_free(H20, held)
    assert refused.value.fields == {"voucher_kind": ["already held this year"]}
    rules.check_voucher_free(H50, held)
    both = rules.held_voucher_kinds([placement(H20), placement(H50)], YEAR)
    assert both == set(programme.VOUCHER_KINDS) and len(both) == 2
    for kind in programme.VOUCHER_KINDS:
        with pytest.raises(RuleViolation):
            rules.check_voucher_free(kind, both)


def test_a_placement_that_ended_early_frees_its_voucher_kind():
    assert rules.held_voucher_kinds([placement(H20, rules.PLACEMENT_WITHDRAWN),
                                     placement(H50, rules.PLACEMENT_CANCELLED)], YEAR) == set()


def test_defect2_a_completed_placement_holds_its_voucher_and_cannot_end():
    assert rules.held_voucher_kinds([placement(H20, rules.PLACEMENT_COMPLETED)], YEAR) == {H20}
    assert rules.completed_status(rules.PLACEMENT_ACTIVE) == rules.PLACEMENT_COMPLETED
    for ended in (rules.PLACEMENT_WITHDRAWN, rules.PLACEMENT_CANCELLED, rules.PLACEMENT_COMPLETED):
        assert rules.completed_status(ended) == ended
    with pytest.raises(RuleViolation):
        rules.check_placement_active(rules.PLACEMENT_COMPLETED)


def test_programme_year_both_vouchers_one_year_then_again_the_next():
    """Both vouchers completed in 2026 hold both kinds for 2026 only; a placement that starts on
    31 December and runs into January counts in the year it started."""
    done = [placement(H20, rules.PLACEMENT_COMPLETED, dt.date(2026, 2, 1)),
            placement(H50, rules.PLACEMENT_ACTIVE, dt.date(2026, 12, 31))]
    assert rules.held_voucher_kinds(done, 2026) == {H20, H50}
    assert rules.held_voucher_kinds(done, 2027) == set()
    rules.check_voucher_free(H50, rules.held_voucher_kinds(done, programme.programme_year(dt.date(2027, 1, 1))))


def test_applying():
    rules.check_can_apply(rules.OPEN, H20, set(), has_application_in_progress=False)
    with pytest.raises(RuleViolation):
        rules.check_can_apply(rules.PAUSED, H20, set(), False)
    with pytest.raises(RuleViolation):
        rules.check_can_apply(rules.OPEN, H20, {H20}, False)
    with pytest.raises(Conflict):
        rules.check_can_apply(rules.OPEN, H20, set(), True)
    assert rules.status_on_applying(free=1) == rules.APPLIED
    assert rules.status_on_applying(free=0) == rules.WAITLISTED


def test_acceptance_supersedes_the_other_applications_for_the_same_voucher_kind():
    applications = [application("a", H20, rules.ACCEPTED), application("b", H20, rules.APPLIED),
                    application("c", H20, rules.WAITLISTED), application("d", H50, rules.APPLIED),
                    application("e", H20, rules.REJECTED)]
    assert [a.id for a in rules.superseded_by_acceptance("a", H20, applications)] == ["b", "c"]


def test_capacity_is_never_exceeded():
    rules.check_place_free(places=10, places_held=9)
    for held in (10, 11):
        with pytest.raises(Conflict):
            rules.check_place_free(places=10, places_held=held)
    assert rules.free_places(10, 3) == 7
    assert rules.free_places(10, 12) == 0


def test_only_an_offered_application_holds_a_place():
    assert rules.holds_place(rules.OFFERED)
    assert not any(rules.holds_place(s) for s in (rules.APPLIED, rules.WAITLISTED, rules.ACCEPTED))


def test_publishing_needs_an_accredited_site_in_the_direction():
    rules.check_publishable("accredited", ["tutoring"], True, "tutoring", online=True)
    for status in ("suspended", "rejected", "pending", None):
        with pytest.raises(RuleViolation):
            rules.check_publishable(status, ["tutoring"], True, "tutoring", online=False)
    with pytest.raises(RuleViolation) as refused:
        rules.check_publishable("accredited", ["tutoring"], True, "elderly_care", online=False)
    assert "direction" in refused.value.fields
    with pytest.raises(RuleViolation):
        rules.check_publishable("accredited", ["tutoring"], False, "tutoring", online=True)


def test_project_states():
    rules.check_project_transition(rules.OPEN, rules.PAUSED)
    rules.check_project_transition(rules.PAUSED, rules.OPEN)
    rules.check_project_transition(rules.PAUSED, rules.CLOSED)
    for current, new in ((rules.CLOSED, rules.OPEN), (rules.OPEN, rules.OPEN), (rules.CLOSED, rules.PAUSED)):
        with pytest.raises(RuleViolation):
            rules.check_project_transition(current, new)


def test_booking_an_interview():
    later = NOW + dt.timedelta(hours=1)
    rules.check_bookable(rules.APPLIED, later, slot_booked=False, has_interview=False, now=NOW)
    rules.check_bookable(rules.OFFERED, later, False, False, NOW)
    with pytest.raises(RuleViolation):
        rules.check_bookable(rules.APPLIED, NOW, False, False, NOW)
    with pytest.raises(Conflict):
        rules.check_bookable(rules.APPLIED, later, slot_booked=True, has_interview=False, now=NOW)
    with pytest.raises(Conflict):
        rules.check_bookable(rules.APPLIED, later, slot_booked=False, has_interview=True, now=NOW)
    with pytest.raises(RuleViolation):
        rules.check_bookable(rules.WAITLISTED, later, False, False, NOW)
    with pytest.raises(RuleViolation):
        rules.check_slots_ahead([later, NOW - dt.timedelta(seconds=1)], NOW)
    rules.check_slots_ahead([later], NOW)


def test_withdrawing_before_the_interview_only():
    rules.check_withdrawable(rules.APPLIED, None, NOW)
    rules.check_withdrawable(rules.WAITLISTED, None, NOW)
    rules.check_withdrawable(rules.OFFERED, NOW + dt.timedelta(minutes=1), NOW)
    with pytest.raises(RuleViolation):
        rules.check_withdrawable(rules.APPLIED, NOW, NOW)
    for status in (rules.ACCEPTED, rules.REJECTED, rules.WITHDRAWN, rules.NO_SHOW):
        with pytest.raises(RuleViolation):
            rules.check_withdrawable(status, None, NOW)


def test_an_outcome_needs_an_interview():
    rules.check_decidable(rules.APPLIED, has_interview=True)
    with pytest.raises(RuleViolation):
        rules.check_decidable(rules.APPLIED, has_interview=False)
    with pytest.raises(RuleViolation):
        rules.check_decidable(rules.ACCEPTED, has_interview=True)
    with pytest.raises(RuleViolation):
        rules.check_decidable(rules.WAITLISTED, has_interview=True)


def test_only_a_confirmed_enrolment_lets_a_student_apply():
    rules.check_enrolled("confirmed")
    for status, reason, why in ((None, None, "pending"), ("pending", None, "pending"),
                                ("refused", "not a full-time student", "refused: not a full-time student")):
        with pytest.raises(RuleViolation) as refused:
            rules.check_enrolled(status, reason)
        assert refused.value.fields == {"enrolment": [why]}
