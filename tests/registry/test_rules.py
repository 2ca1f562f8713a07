"""IIN and BIN check digits against published numbers, and registry's other pure rules."""
import datetime as dt

import pytest

from common.auth import Principal
from services.registry import rules

# Published IINs (examples in the READMEs of the open-source validators kz-iin-validator and
# py-kz-validators) and BINs (Halyk Bank's branches, from its published requisites).
PUBLISHED_IINS = {"061211600012": (dt.date(2006, 12, 11), "female"),
                  "791028302728": (dt.date(1979, 10, 28), "male")}
PUBLISHED_BINS = ("940140000385", "950341000052", "961141000023", "070941024691")


@pytest.mark.parametrize("iin", PUBLISHED_IINS)
def test_published_iins_are_valid_and_give_birth_date_and_sex(iin):
    assert rules.iin_problem(iin) is None
    person = rules.person_from_iin(iin)
    assert (person.birth_date, person.sex) == PUBLISHED_IINS[iin]


@pytest.mark.parametrize("iin, problem", [
    ("791028302727", "check digit"),        # last digit changed
    ("791028302782", "check digit"),        # two digits swapped
    ("79102830272", "12 digits"),
    ("79102830272a", "12 digits"),
    ("791328302728", "birth date"),         # month 13
    ("790230302728", "birth date"),         # 30 February
    ("791028702728", "7th digit"),          # century/sex digit 7
    (None, "12 digits"),
])
def test_invalid_iins_say_why(iin, problem):
    assert problem in rules.iin_problem(iin)
    assert not rules.is_valid_iin(iin)


def test_second_weights_are_used_when_the_first_remainder_is_ten():
    # digits whose first weighted sum leaves 10: the check digit comes from weights 3..11, 1, 2
    first = "00000000010"  # 1 * weight 10 = 10
    assert sum(int(d) * w for d, w in zip(first, rules.FIRST_WEIGHTS)) % 11 == 10
    assert rules.check_digit(first) == 1  # second weight of the 10th digit is 1


def test_no_check_digit_when_both_passes_leave_ten():
    first = next(f"{n:011d}" for n in range(10 ** 6)
                 if sum(int(d) * w for d, w in zip(f"{n:011d}", rules.FIRST_WEIGHTS)) % 11 == 10
                 and sum(int(d) * w for d, w in zip(f"{n:011d}", rules.SECOND_WEIGHTS)) % 11 == 10)
    assert rules.check_digit(first) is None
    assert all(not rules.is_valid_bin(first + str(d)) for d in range(10))


@pytest.mark.parametrize("bin_", PUBLISHED_BINS)
def test_published_bins_are_valid(bin_):
    assert rules.bin_problem(bin_) is None


@pytest.mark.parametrize("bin_, problem", [
    ("940140000386", "check digit"),
    ("941340000385", "month"),
    ("940170000385", "entity type"),
    ("94014000038", "12 digits"),
])
def test_invalid_bins_say_why(bin_, problem):
    assert problem in rules.bin_problem(bin_)


def test_staff_scope_by_role():
    assert rules.staff_scope_problems("mio_officer", {"region": "KZ-71"}) == {}
    assert rules.staff_scope_problems("mio_officer", {}) == {"region": ["required for the role mio_officer"]}
    assert rules.staff_scope_problems("coordinator", {"organisation_id": "o", "site_id": "s"}) == {}
    assert "site_id" in rules.staff_scope_problems("registrar", {"university_id": "u", "site_id": "s"})
    assert "region" in rules.staff_scope_problems("admin", {"region": "KZ-71"})
    assert "role" in rules.staff_scope_problems("student", {})


def test_organisation_decisions_and_who_may_take_them():
    assert rules.next_status("pending", "accredit") == "accredited"
    assert rules.next_status("suspended", "accredit") == "accredited"
    assert rules.next_status("accredited", "reject") is None
    assert rules.next_status("pending", "suspend") is None
    mio = Principal("m", ("mio_officer",), {"region": "KZ-71"})
    assert rules.may_decide(mio, "KZ-71") and not rules.may_decide(mio, "KZ-75")
    assert not rules.may_decide(Principal("a", ("admin",)), "KZ-71")
    representative = Principal("r", ("coordinator",), {"organisation_id": "o1", "region": "KZ-71"})
    assert rules.is_representative(representative)
    assert rules.may_add_site(representative, "o1", "KZ-71") and not rules.may_add_site(representative, "o2", "KZ-71")
    assert not rules.may_see_organisation(representative, "o2", "KZ-71", "pending")
    assert rules.may_see_organisation(representative, "o2", "KZ-71", "accredited")
