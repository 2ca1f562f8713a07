"""IIN and BIN check digits against published numbers, and registry's other pure rules."""
import datetime as dt

import pytest

from common.auth import Principal
from services.registry import rules
from tests.registry.support import refused

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
    iin = next(iter(PUBLISHED_IINS))
    assert refused(rules.check_staff, "mio_officer", {"region": "KZ-71"}, iin) is None
    assert refused(rules.check_staff, "mio_officer", {}, iin).fields == {
        "region": ["required for the role mio_officer"]}
    assert refused(rules.check_staff, "coordinator", {"organisation_id": "o", "site_id": "s"}, iin) is None
    assert "site_id" in refused(rules.check_staff, "registrar", {"university_id": "u", "site_id": "s"}, iin).fields
    assert "region" in refused(rules.check_staff, "admin", {"region": "KZ-71"}, iin).fields
    assert "role" in refused(rules.check_staff, "student", {}, iin).fields


def test_organisation_decisions_and_who_may_take_them():
    assert rules.decided_status("pending", "accredit") == "accredited"
    assert rules.decided_status("suspended", "accredit") == "accredited"
    assert refused(rules.decided_status, "accredited", "reject").fields == {"status": ["accredited"]}
    assert refused(rules.decided_status, "pending", "suspend").fields == {"status": ["pending"]}
    mio = Principal("m", ("mio_officer",), {"region": "KZ-71"})
    assert rules.may_decide(mio, "KZ-71") and not rules.may_decide(mio, "KZ-75")
    assert not rules.may_decide(Principal("a", ("admin",)), "KZ-71")
    representative = Principal("r", ("coordinator",), {"organisation_id": "o1", "region": "KZ-71"})
    assert rules.is_representative(representative, "r") and not rules.is_representative(representative, "x")
    assert rules.may_add_site(representative, "o1", "KZ-71", "r") and not rules.may_add_site(representative, "o2", "KZ-71", "r")
    assert not rules.may_add_site(representative, "o1", "KZ-71", "x")
    assert rules.may_withdraw(representative, "o1", "r") and not rules.may_withdraw(representative, "o1", "x")
    assert not rules.may_see_organisation(representative, "o2", "KZ-71", "pending")
    assert rules.may_see_organisation(representative, "o2", "KZ-71", "accredited")


def test_a_representative_coordinates_the_organisations_only_site():
    assert rules.coordinated_site("coordinator", None, ["s1"]) == "s1"
    assert rules.coordinated_site("coordinator", None, ["s1", "s2"]) is None  # then a coordinator per site
    assert rules.coordinated_site("coordinator", "s2", ["s1"]) == "s2"
    assert rules.coordinated_site("coordinator", None, []) is None
    assert rules.coordinated_site("mio_officer", None, ["s1"]) is None


@pytest.mark.parametrize("key, usages, has_bin, role", [
    ("kz_gost_2015_512", ["1.3.6.1.5.5.7.3.4", "1.2.398.3.3.4.1.1"], False, rules.ROLE_INDIVIDUAL),
    ("kz_gost_2015_512", ["1.3.6.1.5.5.7.3.4", "1.2.398.3.3.4.1.2", "1.2.398.3.3.4.1.2.1"], True, rules.ROLE_LEGAL_HEAD),
    ("kz_gost_2015_512", ["1.2.398.3.3.4.1.2", "1.2.398.3.3.4.1.2.2"], True, rules.ROLE_LEGAL_SIGNING_RIGHT),
    ("kz_gost_2015_512", ["1.2.398.3.3.4.1.2", "1.2.398.3.3.4.1.2.5"], True, rules.ROLE_LEGAL_EMPLOYEE),
    ("kz_gost_2015_512", ["1.2.398.3.3.4.1.2.3"], True, rules.ROLE_LEGAL_EMPLOYEE),
    ("kz_gost_2015_512", ["1.2.398.3.3.4.1.2", "1.2.398.3.3.4.1.2.6"], True, rules.ROLE_INFORMATION_SYSTEM),
    ("rsa", ["1.3.6.1.5.5.7.3.2"], False, rules.ROLE_INDIVIDUAL),  # the legacy AUTH key
    ("rsa", ["1.3.6.1.5.5.7.3.4"], True, rules.ROLE_LEGAL_EMPLOYEE),  # a legacy key with a BIN
    ("kz_gost_2015_512", ["1.3.6.1.5.5.7.3.4"], False, None),  # since 2024 the EKU must say who holds it
    ("kz_gost_2015_512", ["1.3.6.1.5.5.7.3.1"], False, None),  # serverAuth only
    ("rsa", [], False, None),
])
def test_a_certificates_role_comes_from_its_extended_key_usage(key, usages, has_bin, role):
    assert rules.certificate_role(key, usages, has_bin) == role


def test_who_may_sign_what():
    assert refused(rules.check_student_signature, rules.ROLE_INDIVIDUAL) is None
    assert "personal" in refused(rules.check_student_signature, rules.ROLE_LEGAL_HEAD).message
    assert refused(rules.check_staff_signature, rules.ROLE_LEGAL_EMPLOYEE, "950341000052", "950341000052") is None
    assert refused(rules.check_staff_signature, rules.ROLE_INDIVIDUAL, None, "950341000052") is None
    assert refused(rules.check_staff_signature, rules.ROLE_LEGAL_EMPLOYEE, "961141000023",
                   None) is None  # an officer
    assert "another organisation" in refused(
        rules.check_staff_signature, rules.ROLE_LEGAL_HEAD, "961141000023", "950341000052").message
    assert refused(rules.check_application_signature, rules.ROLE_LEGAL_SIGNING_RIGHT, "950341000052",
                   "950341000052") is None
    assert "personal" in refused(rules.check_application_signature, rules.ROLE_INDIVIDUAL, None,
                                 "950341000052").message
    assert "ordinary employee" in refused(
        rules.check_application_signature, rules.ROLE_LEGAL_EMPLOYEE, "950341000052", "950341000052").message
    assert "another organisation" in refused(
        rules.check_application_signature, rules.ROLE_LEGAL_HEAD, "961141000023", "950341000052").message


def test_the_sign_in_text_names_the_platform_the_purpose_the_nonce_and_the_time():
    text = rules.challenge_text("abc123", dt.datetime(2026, 11, 30, 9, 5, 7, 123456, tzinfo=dt.timezone.utc))
    assert text.splitlines() == ["Студенческий ваучер / Студенттік ваучер / Student Voucher",
                                 "Вход на платформу / Платформаға кіру / Sign-in to the platform",
                                 "Nonce: abc123", "Time: 2026-11-30 09:05:07 UTC"]


def test_test_identities_need_only_twelve_digits():
    assert rules.iin_problem("123456789011") and rules.iin_problem("123456789011", test=True) is None
    assert rules.bin_problem("123456789021") and rules.bin_problem("123456789021", test=True) is None
    assert rules.person_from_iin("123456789011", test=True).birth_date is None


def test_a_mobile_signing_is_answered_once_before_it_expires():
    now = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)
    later = now + dt.timedelta(minutes=5)
    assert rules.mobile_signing_status(None, later, now) == "waiting"
    assert rules.mobile_signing_status(None, now, now) == "expired"  # its last instant is gone
    assert rules.mobile_signing_status(now, now - dt.timedelta(seconds=1), later) == "signed"  # signed in time
    assert refused(rules.check_mobile_signing_open, "waiting") is None
    assert list(refused(rules.check_mobile_signing_open, "signed").fields) == ["link"]
    assert list(refused(rules.check_mobile_signing_open, "expired").fields) == ["expiry_date"]


def test_the_app_answers_the_one_document_it_was_given_as_cms_with_a_key_that_may_sign_it():
    answer = {"signMethod": "CMS", "documentsToSign": [{"id": "sign-in"}]}
    assert refused(rules.check_mobile_answer, answer, "sign-in") is None
    assert list(refused(rules.check_mobile_answer, {**answer, "signMethod": "XML"}, "sign-in").fields) == [
        "signMethod"]
    assert list(refused(rules.check_mobile_answer, answer, "report-1").fields) == ["documentsToSign"]
    two = {**answer, "documentsToSign": [{"id": "sign-in"}, {"id": "sign-in"}]}
    assert list(refused(rules.check_mobile_answer, two, "sign-in").fields) == ["documentsToSign"]
    for purpose in ("login", "register"):
        assert refused(rules.check_mobile_signer, purpose, rules.ROLE_INDIVIDUAL) is None
        assert "personal" in refused(rules.check_mobile_signer, purpose, rules.ROLE_LEGAL_HEAD).message
    assert refused(rules.check_mobile_signer, "report", rules.ROLE_LEGAL_EMPLOYEE) is None  # as any report, by BIN
