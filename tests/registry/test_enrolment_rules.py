"""Enrolment decisions and roster files, pure: what a registrar's roster CSV says, row by row."""
from common.auth import MIO_OFFICER, REGISTRAR, Principal
from common.iin import check_digit
from services.registry import rules
from tests.registry.pki import random_iin
from tests.registry.support import refused

UNIVERSITY, OTHER = "u-enu", "u-kaznu"


def wrong_check_digit(iin):
    return iin[:11] + str((int(iin[11]) + 1) % 10)


def test_a_roster_is_read_row_by_row_with_each_rows_problems():
    first, second = random_iin(), random_iin()
    text = ("\ufeffFull name;IIN;Decision;Reason\n"  # a spreadsheet's semicolons and byte order mark
            f"Aigerim;{first};;\n"
            "\n"
            f"Dana;{second};refuse;left the university\n"
            f"Dana again;{second};confirm;\n"
            "Short;12345;confirm;\n"
            f"Nobody;{random_iin()};expel;\n"
            f"No reason;{random_iin()};refuse;\n")
    rows = rules.read_roster(text)
    assert [(r.row, r.decision, r.reason, r.problems) for r in rows] == [
        (2, "confirm", None, {}),
        (4, "refuse", "left the university", {}),
        (5, "confirm", None, {"iin": ["repeats row 4"]}),
        (6, "confirm", None, {"iin": ["an IIN is 12 digits"]}),
        (7, "expel", None, {"decision": ["must be one of: confirm, refuse"]}),
        (8, "refuse", None, {"reason": ["required to refuse"]}),
    ]
    assert rows[0].iin == first


def test_a_roster_without_its_header_or_rows_is_refused_whole():
    assert refused(rules.read_roster, "").message == "the first line must be a header row naming the iin column"
    assert refused(rules.read_roster, f"{random_iin()}\n").message.startswith(
        "the header row must name the iin column")
    assert refused(rules.read_roster, "iin,decision\n\n").message == "the roster has no rows under its header"


def test_each_row_applies_to_the_registrars_own_students_or_waits_for_an_unregistered_one():
    iin = random_iin()
    row = rules.read_roster(f"iin\n{iin}\n")[0]
    assert rules.roster_outcome(row, UNIVERSITY, None) == (rules.PRE_CONFIRMED, None)
    assert rules.roster_outcome(row, UNIVERSITY, (UNIVERSITY, "pending", None)) == ("confirmed", None)
    assert rules.roster_outcome(row, UNIVERSITY, (UNIVERSITY, "confirmed", None)) == (rules.UNCHANGED, None)
    assert rules.roster_outcome(row, UNIVERSITY, (OTHER, "pending", None)) == (
        None, {"iin": ["registered as a student of another university"]})
    bad = rules.read_roster(f"iin\n{wrong_check_digit(iin)}\n")[0]
    assert rules.roster_outcome(bad, UNIVERSITY, None) == (None, {"iin": ["the IIN's check digit is wrong"]})
    # a test CA's student: registered with an IIN that has no check digit, confirmed all the same
    assert rules.roster_outcome(bad, UNIVERSITY, (UNIVERSITY, "pending", None)) == ("confirmed", None)
    refusal = rules.read_roster(f"iin,decision,reason\n{iin},refuse,not full-time\n")[0]
    assert rules.roster_outcome(refusal, UNIVERSITY, None) == (
        None, {"iin": ["not registered as a student: nothing to refuse"]})
    assert check_digit(iin[:11]) == int(iin[11])


def test_decisions_change_the_enrolment_or_nothing():
    assert rules.enrolment_change("pending", None, "confirm", None) == ("confirmed", None)
    assert rules.enrolment_change("confirmed", None, "confirm", None) is None
    assert rules.enrolment_change("confirmed", None, "refuse", "not full-time") == ("refused", "not full-time")
    assert rules.enrolment_change("refused", "not full-time", "refuse", "not full-time") is None
    assert rules.enrolment_change("refused", "not full-time", "refuse", "expelled") == ("refused", "expelled")
    assert refused(rules.check_enrolment_decision, "refuse", None).fields == {"reason": ["required to refuse"]}
    assert rules.enrolment_on_arrival(pre_confirmed=True) == "confirmed"
    assert rules.enrolment_on_arrival(pre_confirmed=False) == "pending"


def test_only_a_registrar_of_the_students_university_decides():
    assert rules.may_decide_enrolment(Principal("r", (REGISTRAR,), {"university_id": UNIVERSITY}), UNIVERSITY)
    assert not rules.may_decide_enrolment(Principal("r", (REGISTRAR,), {"university_id": OTHER}), UNIVERSITY)
    assert not rules.may_decide_enrolment(Principal("m", (MIO_OFFICER,), {"region": "KZ-71"}), UNIVERSITY)
