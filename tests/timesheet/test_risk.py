"""The risk flags of a completion report: each with a report that raises it and one that does not;
the sample of unflagged reports set aside for manual review; bulk acceptance refusing both."""
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from common.errors import RuleViolation
from services.timesheet import risk, rules

UTC = dt.timezone.utc
START = dt.datetime(2026, 10, 1, 6, 0, tzinfo=UTC)  # 11:00 in Almaty


def entry(day, hours="8", logged_on=None, minute=0, by="coord-1", entry_id=None, corrects=None, resolved=False):
    """An entry for work on October `day`, logged on October `logged_on` (the work day by default)."""
    created = START.replace(day=logged_on or day, minute=minute)
    return SimpleNamespace(id=entry_id or f"e{day}-{minute}-{hours}", work_date=dt.date(2026, 10, day),
                           hours=Decimal(hours), created_by=by, created_at=created, corrects_id=corrects,
                           resolved_at=created if resolved else None)


def codes(found):
    return found and found["code"]


def test_hours_of_many_days_logged_on_one_or_two_days():
    backfilled = [entry(1, logged_on=5), entry(2, logged_on=5), entry(3, "4", logged_on=6)]
    found = risk.logged_on_few_days(backfilled)
    assert codes(found) == risk.FEW_LOGGING_DAYS
    assert found["reason"] == "the hours of 3 work days were logged on 2 day(s)"
    as_worked = [entry(1), entry(2), entry(3, "4")]
    assert risk.logged_on_few_days(as_worked) is None


def test_many_entries_by_one_coordinator_in_one_minute():
    burst = [entry(day, "4", logged_on=9, minute=30) for day in range(1, 6)]
    assert codes(risk.many_at_one_minute(burst)) == risk.SAME_MINUTE
    # Four in that minute, or five spread over two coordinators, is not many.
    assert risk.many_at_one_minute(burst[:4]) is None
    shared = [entry(day, "4", logged_on=9, minute=30, by=f"coord-{day % 2}") for day in range(1, 6)]
    assert risk.many_at_one_minute(shared) is None


def test_hours_corrected_after_a_dispute():
    disputed = entry(1, entry_id="e1", resolved=True)
    correction = entry(1, "-2", logged_on=2, entry_id="c1", corrects="e1")
    found = risk.corrected_after_dispute([disputed, correction, entry(2)])
    assert codes(found) == risk.CORRECTED_AFTER_DISPUTE
    # A correction nobody disputed, or a dispute answered without changing the hours, raises nothing.
    assert risk.corrected_after_dispute([entry(1, entry_id="e1"), correction]) is None
    assert risk.corrected_after_dispute([disputed, entry(2)]) is None


def test_signer_with_the_students_surname_at_a_small_site():
    found = risk.same_surname_at_small_site("Сәрсенова Айгерім", "САРСЕНОВА ДАНА", 5)
    assert found is None  # a different spelling is a different surname
    found = risk.same_surname_at_small_site("Сәрсенова Айгерім", "СӘРСЕНОВА ДАНА АСЕТОВНА", 5)
    assert codes(found) == risk.SAME_SURNAME
    assert risk.same_surname_at_small_site("Сәрсенова Айгерім", "СӘРСЕНОВА ДАНА", 6) is None
    assert risk.same_surname_at_small_site("Сәрсенова Айгерім", None, 1) is None


def test_a_site_whose_students_all_complete_in_the_minimum_time():
    assert risk.minimum_days(20) == 3 and risk.minimum_days(50) == 7
    fastest = [(20, 3), (50, 7), (20, 3)]
    assert codes(risk.site_all_in_minimum_time(fastest)) == risk.MINIMUM_TIME_SITE
    assert risk.site_all_in_minimum_time(fastest[:2]) is None  # too few reports to tell
    assert risk.site_all_in_minimum_time([*fastest, (20, 4)]) is None


def test_days_worked_net_of_corrections():
    worked = [entry(1), entry(1, "-8", logged_on=2, corrects="x"), entry(2), entry(3, "4")]
    assert risk.days_worked(worked) == 2


def test_all_flags_of_a_report():
    entries = [entry(day, "4", logged_on=9, minute=30) for day in range(1, 6)]
    found = risk.flags_of(entries, "Ахметова Айгерім", "АХМЕТОВА ДАНА", 2, [(20, 5)])
    assert [item["code"] for item in found] == [risk.FEW_LOGGING_DAYS, risk.SAME_MINUTE, risk.SAME_SURNAME]
    assert risk.flags_of([entry(1), entry(2), entry(3, "4")], "Ахметова Айгерім", "БЕКОВА ДАНА", 2, [(20, 3)]) == []


def test_a_deployment_raises_the_flags_it_names():
    entries = [entry(day, "4", logged_on=9, minute=30) for day in range(1, 6)]
    without_timing = risk.raised_flags(" corrected_after_dispute, same_surname,minimum_time_site ")
    found = risk.flags_of(entries, "Ахметова Айгерім", "АХМЕТОВА ДАНА", 2, [(20, 5)], without_timing)
    assert [item["code"] for item in found] == [risk.SAME_SURNAME]
    assert risk.raised_flags(None) == risk.raised_flags("") == risk.RISK_FLAGS
    assert risk.flags_of(entries, "Ахметова Айгерім", "АХМЕТОВА ДАНА", 2, [(20, 5)], risk.raised_flags("none")) == []
    with pytest.raises(ValueError, match=r"unknown flags \['same_day'\]"):
        risk.raised_flags("same_minute,same_day")


def test_the_sample_is_a_share_of_submissions_decided_by_their_identity():
    picks = [risk.sampled(f"report-{n}", 1, 0.05) for n in range(4000)]
    assert 120 < sum(picks) < 280  # about 5 %
    assert picks == [risk.sampled(f"report-{n}", 1, 0.05) for n in range(4000)]
    assert not any(risk.sampled(f"report-{n}", 1, 0) for n in range(100))
    assert all(risk.sampled(f"report-{n}", 1, 1) for n in range(100))
    with pytest.raises(ValueError):
        risk.check_sample_rate("1.5")


def test_bulk_acceptance_takes_only_unflagged_unsampled_reports():
    rules.check_bulk_acceptable([], False)
    with pytest.raises(RuleViolation) as flagged:
        rules.check_bulk_acceptable([risk.SAME_MINUTE], False)
    assert flagged.value.fields == {"flags": [risk.SAME_MINUTE]}
    with pytest.raises(RuleViolation, match="sampled"):
        rules.check_bulk_acceptable([], True)
