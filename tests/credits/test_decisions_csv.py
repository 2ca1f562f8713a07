"""The registrar's CSV, without I/O: the export's rows and pages, and reading a file of decisions with
each bad row's problems named by row and column."""
import csv
import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest

from common.contracts.credits import CONFIRMED, PENDING, REJECTED
from common.errors import NotFound, RuleViolation, ValidationFailed
from services.credits import rules

ID_A, ID_B, ID_C = "a" * 32, "b" * 32, "c" * 32
HEADER = ";".join(rules.CSV_COLUMNS)


def line(request_id, decision="", order_number="", order_date="", discipline="", reason=""):
    info = [request_id, "950101300038", "Сейтқали Айгерім", "Care Home", "Main", "elderly_care", "h20", "20.00",
            "2", "pending", "2026-10-01"]
    return ";".join(info + [decision, order_number, order_date, discipline, reason])


def read(*lines, header=HEADER):
    return rules.read_decisions("\ufeff" + "\r\n".join((header,) + lines) + "\r\n")


def test_the_export_opens_in_excel_with_cyrillic_and_formulas_stay_text():
    request = SimpleNamespace(id=ID_A, student_name="Сейтқали Айгерім", organisation_name="=HYPERLINK(\"x\")",
                              site_name="Main", direction="elderly_care", voucher_kind="h20", hours=Decimal("20.00"),
                              credits=2, status=PENDING,
                              received_at=dt.datetime(2026, 9, 30, 20, 30))  # SQLite's naive UTC: 1 October in Almaty
    first = rules.export_csv([rules.export_row(request, "950101300038")], first_page=True)
    assert first.startswith("\ufeffrequest_id;student_iin;student_name;")
    rows = list(csv.reader(io.StringIO(first.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == list(rules.CSV_COLUMNS)
    assert rows[1][:11] == [ID_A, "950101300038", "Сейтқали Айгерім", "'=HYPERLINK(\"x\")", "Main", "elderly_care",
                            "h20", "20.00", "2", "pending", "2026-10-01"]
    assert rows[1][11:] == [""] * 5
    later = rules.export_csv([rules.export_row(request, None)], first_page=False)
    assert not later.startswith("\ufeff") and later.split(";")[:2] == [ID_A, ""]
    # The cursor names the last request; a forged one is refused.
    moment, request_id = rules.read_cursor(rules.cursor_of(request))
    assert (moment, request_id) == (dt.datetime(2026, 9, 30, 20, 30, tzinfo=dt.timezone.utc), ID_A)
    assert rules.read_cursor(None) is None
    with pytest.raises(ValidationFailed):
        rules.read_cursor("yesterday|x")


def test_the_export_comes_back_with_its_decisions_and_undecided_rows_are_skipped():
    decisions, problems, skipped = read(
        line(ID_A, "confirm", "No. 128-П", "01.10.2026", "Әлеуметтік практика"),  # a date as Excel saves it
        line(ID_B, " Reject ", reason="not our student"),
        line(ID_C), ";" * 15)
    assert problems == {} and skipped == 1
    assert decisions == [
        {"row": 2, "request_id": ID_A, "decision": "confirm", "order_number": "No. 128-П",
         "order_date": dt.date(2026, 10, 1), "discipline": "Әлеуметтік практика"},
        {"row": 3, "request_id": ID_B, "decision": "reject", "reason": "not our student"}]
    # Commas, as another spreadsheet may save it, read the same.
    comma = rules.read_decisions(f"request_id,decision,order_number,order_date,discipline,reason\n"
                                 f"{ID_A},confirm,7,2026-10-01,Practice,\n")
    assert comma[0][0]["order_date"] == dt.date(2026, 10, 1) and comma[1] == {}


def test_each_bad_row_is_named_with_its_column_and_reason():
    decisions, problems, _ = read(
        line(ID_A, "confirm", "", "2026-10-01", "Practice"),  # no order number
        line(ID_B, "confirm", "12", "31.02.2026", "Practice"),  # no such day
        line(ID_C, "approve", "12"),  # no such decision
        line("", "reject", reason="x"),  # no request
        line(ID_B, "reject"),  # no reason, and ID_B decided twice
        line(ID_A, "confirm", "12", "2026-10-01", "Practice"),  # ID_A again
        line("d" * 32, "reject", reason="a\x00b"))
    assert decisions == []
    assert problems == {
        2: {"order_number": ["required to confirm"]},
        3: {"order_date": ["Not a valid date."]},
        4: {"decision": ["Must be one of: confirm, reject."]},
        5: {"request_id": ["Missing data for required field."]},
        6: {"reason": ["required to reject"], "request_id": ["decided again: also on row 3"]},
        7: {"request_id": ["decided again: also on row 2"]},
        8: {"reason": ["must be printable text, not blank"]},
    }
    with pytest.raises(RuleViolation) as file_refused:
        rules.check_no_problems(problems)
    rules.check_no_problems({})  # no bad row: the file is applied
    refused = file_refused.value
    assert refused.status == 422 and refused.message == "7 row(s) of the file are wrong: nothing was applied"
    assert list(refused.fields["rows"]) == ["2", "3", "4", "5", "6", "7", "8"]
    assert rules.row_problem(NotFound("no such re-count request")) == {"request_id": ["no such re-count request"]}


@pytest.mark.parametrize("text, field", [
    ("", "file"), ("just some text\nand more", "file"), ("request_id;decision\nx;confirm", "file"),
    (HEADER + "\n" + "\n".join(line(ID_A) for _ in range(3)), "file"), (HEADER + '\n"a"b;confirm', "file")])
def test_a_file_that_is_no_csv_of_the_queue_is_refused_whole(text, field):
    with pytest.raises(ValidationFailed) as refused:
        rules.read_decisions(text, max_rows=2)
    assert set(refused.value.fields) == {field}


def test_a_decision_already_standing_is_answered_as_such():
    confirmed = SimpleNamespace(status=CONFIRMED, order_number="12", order_date=dt.date(2026, 10, 1),
                                discipline="Practice", reason=None)
    same = {"decision": "confirm", "order_number": " 12 ", "order_date": dt.date(2026, 10, 1), "discipline": "Practice"}
    assert rules.decided_so(confirmed, same)
    assert not rules.decided_so(confirmed, {**same, "order_number": "13"})
    assert not rules.decided_so(confirmed, {**same, "order_date": None})
    rejected = SimpleNamespace(status=REJECTED, reason="not ours")
    assert rules.decided_so(rejected, {"decision": "reject", "reason": "not ours"})
    assert not rules.decided_so(rejected, same)
    # A row's own order wins over the one for all; an absent one takes it.
    for_all = {"order_number": "12", "order_date": dt.date(2026, 10, 1), "discipline": "Practice"}
    assert rules.bulk_decision({"request_id": ID_A, "order_number": "13"}, for_all) == {
        "request_id": ID_A, "decision": "confirm", "order_number": "13", "order_date": dt.date(2026, 10, 1),
        "discipline": "Practice"}
