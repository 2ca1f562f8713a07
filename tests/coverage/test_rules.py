"""Coverage's rules: who reads which region, Asia/Almaty days and ISO weeks, figures against the target."""
import datetime as dt
from decimal import Decimal

import pytest

from common.auth import Principal
from common.errors import Forbidden
from services.coverage import rules


def principal(role, **scope):
    return Principal("u1", (role,), scope)


def test_ministry_and_admins_read_any_region_officers_only_their_own():
    assert rules.readable_region(principal("ministry"), None) is None
    assert rules.readable_region(principal("admin"), "KZ-75") == "KZ-75"
    assert rules.readable_region(principal("mio_officer", region="KZ-75"), None) == "KZ-75"
    assert rules.readable_region(principal("nvs_officer", region="KZ-75"), "KZ-75") == "KZ-75"
    for caller, region in ((principal("mio_officer", region="KZ-75"), "KZ-71"), (principal("nvs_officer"), None),
                           (principal("operator"), None), (principal("student", region="KZ-75"), None)):
        with pytest.raises(Forbidden):
            rules.readable_region(caller, region)


def test_days_are_almaty_days_and_weeks_iso_weeks():
    late_evening_utc = dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.timezone.utc)
    assert rules.local_day(late_evening_utc) == dt.date(2027, 1, 1)
    assert rules.local_day(dt.datetime(2026, 9, 1, 12, 0)) == dt.date(2026, 9, 1)  # naive: UTC
    assert rules.week_start(dt.date(2026, 9, 6)) == dt.date(2026, 8, 31)
    assert rules.iso_week(dt.date(2026, 8, 31)) == "2026-W36"
    assert rules.iso_week(dt.date(2025, 12, 29)) == "2026-W01"


def test_target_percent_of_the_annual_target():
    assert rules.target_percent(0) == Decimal("0.00")
    assert rules.target_percent(12_345) == Decimal("24.69")
    assert rules.target_percent(50_000) == Decimal("100.00")


def test_region_figures_add_up_their_directions_but_students_count_once():
    counts = {"registered": {"KZ-71": 4}, "placed": {("KZ-71", "tutoring"): (1, 1), ("KZ-71", "elderly_care"): (1, 1)},
              "placed_by_region": {"KZ-71": 1}, "placed_total": 1,
              "facts": {("KZ-71", "tutoring"): {rules.PAID_KZT: (1, Decimal("20000.00")),
                                                rules.HOURS_DONE: (1, Decimal("20.50"))}}}
    document = rules.coverage(2026, "KZ-71", None, counts)
    [astana] = document["regions"]
    assert (astana["placements"], astana["students_placed"], astana["paid_kzt"]) == (2, 1, 20_000)
    assert document["totals"]["hours_done"] == Decimal("20.50") and document["totals"]["students_registered"] == 4
    text = rules.csv_text(document)
    assert text.startswith("\ufeffyear,region,region_name,direction")
    assert text.count("\r\n") == 1 + 6 + 1
