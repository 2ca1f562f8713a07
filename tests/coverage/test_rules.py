"""Coverage's rules: who reads which region, Asia/Almaty days and ISO weeks, figures against the target."""
import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from common.auth import Principal
from common.errors import Forbidden
from common import programme
from services.coverage import rules, spreadsheet


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


def test_hours_done_keep_the_larger_count_dated_by_the_earlier_event():
    submitted = SimpleNamespace(value=Decimal("21.5"), day=dt.date(2026, 9, 21), week_start=dt.date(2026, 9, 21))
    completed_before = rules.hours_done(submitted, "20", dt.datetime(2026, 9, 20, 6, tzinfo=dt.timezone.utc))
    assert completed_before == {"value": Decimal("21.5"), "day": dt.date(2026, 9, 20),
                                "week_start": dt.date(2026, 9, 14)}
    later_and_more = rules.hours_done(submitted, "22", dt.datetime(2026, 9, 28, 6, tzinfo=dt.timezone.utc))
    assert later_and_more == {"value": Decimal("22"), "day": dt.date(2026, 9, 21), "week_start": dt.date(2026, 9, 21)}


def test_the_figures_are_per_programme_year_across_the_new_year():
    """The default programme year is the financial year in Asia/Almaty: 31 December at 20:00 UTC is
    already the next one; another first day (e.g. an academic year) moves the bounds."""
    assert rules.year_bounds(2026) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert rules.this_year(dt.datetime(2026, 12, 31, 18, 59, tzinfo=dt.timezone.utc)) == 2026
    assert rules.this_year(dt.datetime(2026, 12, 31, 19, 0, tzinfo=dt.timezone.utc)) == 2027
    assert programme.year_bounds(2026, start=(9, 1)) == (dt.date(2026, 9, 1), dt.date(2027, 8, 31))
    assert programme.programme_year(dt.date(2027, 8, 31), start=(9, 1)) == 2026


def test_target_percent_of_the_annual_target():
    assert rules.target_percent(0) == Decimal("0.00")
    assert rules.target_percent(12_345) == Decimal("24.69")
    assert rules.target_percent(50_000) == Decimal("100.00")


COUNTS = {"registered": {"KZ-71": 4}, "placed": {("KZ-71", "tutoring"): (1, 1), ("KZ-71", "elderly_care"): (1, 1)},
          "placed_by_region": {"KZ-71": 1}, "placed_total": 1,
          "facts": {("KZ-71", "tutoring"): {rules.PAID_KZT: (1, Decimal("20000.00")),
                                            rules.HOURS_DONE: (1, Decimal("20.50"))}}}


def test_region_figures_add_up_their_directions_but_students_count_once():
    document = rules.coverage(2026, "KZ-71", None, COUNTS)
    [astana] = document["regions"]
    assert (astana["placements"], astana["students_placed"], astana["paid_kzt"]) == (2, 1, 20_000)
    assert document["totals"]["hours_done"] == Decimal("20.50") and document["totals"]["students_registered"] == 4
    text = rules.csv_text(document)
    assert text.startswith("\ufeffyear,region,region_name,direction")
    assert text.count("\r\n") == 1 + 6 + 1


def test_the_workbook_holds_the_csv_table_and_the_weeks_as_numbers():
    document = rules.coverage(2026, "KZ-71", None, COUNTS)
    weekly = rules.weekly(2026, "KZ-71", None, {"registered": {dt.date(2026, 8, 31): 4}, "placed": {},
                                                "first_placed": {}, "facts": {}})
    workbook = load_workbook(io.BytesIO(spreadsheet.workbook_bytes(document, weekly)))
    assert workbook.sheetnames == ["Coverage", "Weekly"]
    table = list(workbook["Coverage"].iter_rows(values_only=True))
    assert table[0] == rules.TABLE_COLUMNS and len(table) == 1 + 6 + 1
    rows = [dict(zip(table[0], row)) for row in table[1:]]
    region, total = rows[0], rows[-1]
    tutoring = next(row for row in rows if row["direction"] == "tutoring")
    assert (region["direction"], region["students_registered"], region["paid_kzt"]) == (None, 4, 20_000)
    assert (tutoring["students_registered"], tutoring["hours_done"], tutoring["placements"]) == (None, 20.5, 1)
    assert (total["region_name"], total["students_placed"]) == ("Итого", 1)
    sheet = workbook["Coverage"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert 12 <= sheet.column_dimensions["C"].width <= 40  # region names, not squeezed nor sprawling
    weeks = list(workbook["Weekly"].iter_rows(values_only=True))
    assert weeks[0] == rules.WEEKLY_COLUMNS
    assert weeks[1][:3] == ("2026-W36", dt.datetime(2026, 8, 31), 4)
