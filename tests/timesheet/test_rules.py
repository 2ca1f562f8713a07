"""Timesheet's pure rules."""
import datetime as dt
from decimal import Decimal

import pytest

from common.errors import Conflict, NotFound, RuleViolation
from services.timesheet import rules

D = Decimal
START, END, TODAY = dt.date(2026, 9, 1), dt.date(2026, 12, 31), dt.date(2026, 10, 10)


def test_today_is_the_calendar_day_in_almaty():
    late_evening_utc = dt.datetime(2026, 10, 9, 20, 30, tzinfo=dt.timezone.utc)  # 01:30 next day in Almaty
    assert rules.local_today(late_evening_utc) == dt.date(2026, 10, 10)
    assert rules.local_today(dt.datetime(2026, 10, 9, 12, 0, tzinfo=dt.timezone.utc)) == dt.date(2026, 10, 9)


def test_only_the_coordinators_site():
    rules.check_at_site("site-1", "site-1")
    with pytest.raises(NotFound):
        rules.check_at_site("site-1", "site-2")
    with pytest.raises(NotFound):
        rules.check_at_site("site-1", None)


@pytest.mark.parametrize("hours", ["0.25", "1", "2.5", "7.75", "8"])
def test_logged_hours_in_quarter_hour_steps(hours):
    rules.check_hours(D(hours))


@pytest.mark.parametrize("hours", ["0", "-1", "0.1", "2.3", "8.25", "9"])
def test_logged_hours_refused(hours):
    with pytest.raises(RuleViolation) as refused:
        rules.check_hours(D(hours))
    assert "hours" in refused.value.fields


def test_negative_hours_only_as_a_correction():
    rules.check_hours(D("-1.5"), correction=True)
    with pytest.raises(RuleViolation):
        rules.check_hours(D("0"), correction=True)
    with pytest.raises(RuleViolation):
        rules.check_hours(D("-0.3"), correction=True)


def test_date_within_window_and_not_in_the_future():
    rules.check_work_date(TODAY, START, END, TODAY)
    rules.check_work_date(START, START, END, TODAY)
    with pytest.raises(RuleViolation, match="future"):
        rules.check_work_date(TODAY + dt.timedelta(days=1), START, END, TODAY)
    with pytest.raises(RuleViolation, match="window"):
        rules.check_work_date(START - dt.timedelta(days=1), START, END, TODAY)
    with pytest.raises(RuleViolation, match="window"):
        rules.check_work_date(dt.date(2027, 1, 5), START, END, dt.date(2027, 2, 1))


def test_at_most_eight_hours_a_day():
    rules.check_day_total(D("6"), D("2"))
    with pytest.raises(RuleViolation, match="8"):
        rules.check_day_total(D("6"), D("2.25"))
    with pytest.raises(RuleViolation, match="below zero"):
        rules.check_day_total(D("1"), D("-1.25"))


def test_a_correction_never_takes_an_entry_below_zero():
    rules.check_correction(D("4"), D("-4"))
    with pytest.raises(RuleViolation):
        rules.check_correction(D("4"), D("-4.25"))


def test_submitted_and_accepted_reports_freeze_entries():
    for status in (None, rules.REJECTED):
        rules.check_not_frozen(status)
    for status in (rules.SUBMITTED, rules.ACCEPTED):
        with pytest.raises(Conflict, match="frozen"):
            rules.check_not_frozen(status)


def test_the_students_answers():
    rules.check_answerable(rules.PENDING, rules.CONFIRMED)
    rules.check_answerable(rules.DISPUTED, rules.CONFIRMED)
    rules.check_answerable(rules.CONFIRMED, rules.DISPUTED)
    with pytest.raises(Conflict):
        rules.check_answerable(rules.CONFIRMED, rules.CONFIRMED)
    with pytest.raises(Conflict):
        rules.check_answerable(rules.DISPUTED, rules.DISPUTED)


def test_submission_needs_the_hours_confirmed_and_no_dispute():
    rules.check_submittable(D("20"), 20, 0, None)
    rules.check_submittable(D("20.5"), 20, 0, rules.REJECTED)
    with pytest.raises(RuleViolation, match="19.75 of 20"):
        rules.check_submittable(D("19.75"), 20, 0, None)
    with pytest.raises(RuleViolation, match="disputed"):
        rules.check_submittable(D("20"), 20, 1, None)
    with pytest.raises(Conflict):
        rules.check_submittable(D("20"), 20, 0, rules.SUBMITTED)


def test_review_once_and_a_rejection_says_why():
    rules.check_review(rules.SUBMITTED, "accept", None)
    rules.check_review(rules.SUBMITTED, "reject", "two dates missing")
    with pytest.raises(RuleViolation):
        rules.check_review(rules.SUBMITTED, "reject", None)
    for status in (rules.ACCEPTED, rules.REJECTED):
        with pytest.raises(Conflict):
            rules.check_review(status, "accept", None)


def test_attendance_rounds_down_to_the_quarter_hour():
    utc = dt.timezone.utc
    now = dt.datetime(2026, 10, 10, 12, 0, tzinfo=utc)
    checked_in = dt.datetime(2026, 10, 10, 4, 0, tzinfo=utc)  # 09:00 in Almaty
    assert rules.interval_hours(checked_in, checked_in + dt.timedelta(hours=2, minutes=44), now) == D("2.5")
    assert rules.interval_hours(checked_in, checked_in + dt.timedelta(minutes=10), now) == D("0")
    with pytest.raises(RuleViolation, match="after check-in"):
        rules.interval_hours(checked_in, checked_in, now)
    with pytest.raises(RuleViolation, match="future"):
        rules.interval_hours(checked_in, now + dt.timedelta(minutes=1), now)
    evening = dt.datetime(2026, 10, 9, 17, 0, tzinfo=utc)  # 22:00 in Almaty, out after local midnight
    with pytest.raises(RuleViolation, match="different days"):
        rules.interval_hours(evening, evening + dt.timedelta(hours=2), now)
