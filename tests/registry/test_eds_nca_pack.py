"""NCA RK's own public TEST keys against the verifier (interoperability with KalkanCrypt's formats).

Each test pins the clock inside the pack's validity (`VALID_AT`), so the suite keeps passing after
the pack expires; NCA publishes a new pack each year and it replaces this one in ../shared/nca-test.
"""
import base64
import datetime as dt

import pytest

from common.errors import Unauthenticated
from services.registry import eds, rules
from tests.registry import gost_pki, nca_pack
from tests.registry.nca_pack import TEST_BIN, VALID_AT
from tests.registry.support import refused

pytestmark = nca_pack.needs_pack
TEXT = "Student Voucher: sign-in, nonce NCA-PACK-0123456789"


@pytest.fixture(scope="module")
def verifiers():
    return eds.load_verifiers()


@pytest.fixture(scope="module")
def verify(verifiers):
    config = nca_pack.gost_config()
    trust_store = eds.TrustStore.from_files(config["EDS_TRUST_STORE"], config["EDS_TEST_TRUST_STORE"])
    crls = eds.CrlFileChecker(config["EDS_CRL_FILE"], verifiers)

    def verify(signature, text=TEXT, at=VALID_AT, revocation=crls):
        return eds.verify_signed_text(signature, text, trust_store=trust_store, revocation=revocation,
                                      verifiers=verifiers, issued_at=at - dt.timedelta(seconds=30), now=at)
    return verify


def sign(name, text=TEXT, **options):
    return gost_pki.gost_cms(nca_pack.person(name), text.encode("utf-8"), signing_time=VALID_AT, **options)


def refusal(call, *args, **kwargs):
    with pytest.raises(Unauthenticated) as caught:
        call(*args, **kwargs)
    return caught.value.message


@pytest.mark.parametrize("form", [{}, {"ber": True, "armour": True}, {"detached": True}])
def test_the_valid_individual_signs_in_under_the_test_ca(verify, form):
    identity = verify(sign("individual/valid", **form))
    assert (identity.iin, identity.role, identity.test_ca) == ("123456789011", rules.ROLE_INDIVIDUAL, True)
    assert identity.full_name == "ТЕСТОВ ТЕСТ ТЕСТОВИЧ" and identity.bin is None


def test_the_companys_keys_name_their_role_and_bin(verify):
    # NCA's current CRL lists the pack's "employee_valid" key as revoked on 2026-06-02
    assert "has been revoked" in refusal(verify, sign("legal/employee_valid"))
    roles = {name: verify(sign(f"legal/{name}"), revocation=eds.NoRevocationCheck())
             for name in ("head_valid", "employee_signright_valid", "employee_valid")}
    assert {name: (i.role, i.bin) for name, i in roles.items()} == {
        "head_valid": (rules.ROLE_LEGAL_HEAD, TEST_BIN),
        "employee_signright_valid": (rules.ROLE_LEGAL_SIGNING_RIGHT, TEST_BIN),
        "employee_valid": (rules.ROLE_LEGAL_EMPLOYEE, TEST_BIN)}
    # an ordinary employee cannot sign the organisation's application; the head can
    employee = roles["employee_valid"]
    assert "ordinary employee" in refused(rules.check_application_signature, employee.role, employee.bin,
                                          TEST_BIN).message
    assert refused(rules.check_application_signature, roles["head_valid"].role, TEST_BIN, TEST_BIN) is None


def test_the_information_system_key_never_signs_in(verify):
    assert "information system" in refusal(verify, sign("legal/information_system_valid"))


@pytest.mark.parametrize("name", ["individual/revoked", "legal/head_revoked", "legal/employee_revoked",
                                  "legal/employee_signright_revoked"])
def test_revoked_keys_are_refused_through_the_full_crl(verify, name):
    assert "has been revoked" in refusal(verify, sign(name))


def test_the_packs_old_delta_crl_is_parsed_and_treated_as_stale(verify, verifiers):
    delta = eds.LoadedCrl(eds._load_crls(nca_pack.path("gost2015-2026", "nca_gost2022_d_test.crl"))[0])
    assert (delta.delta_base, delta.is_current(VALID_AT)) == (14, False)
    issuer = nca_pack.certificate("gost2015-2026", "nca_gost2022_test.cer")
    assert delta.signed_by(issuer, verifiers)
    only_delta = eds.CrlFileChecker([nca_pack.path("gost2015-2026", "nca_gost2022_d_test.crl")], verifiers)
    assert "no CRL from" in refusal(verify, sign("individual/valid"), revocation=only_delta)
    # beside the current full CRL, the stale delta changes nothing
    both = eds.CrlFileChecker([nca_pack.path("gost2015-2026", "nca_gost2022_test.crl"),
                               nca_pack.path("gost2015-2026", "nca_gost2022_d_test.crl")], verifiers)
    assert verify(sign("individual/valid"), revocation=both).iin == "123456789011"


def test_a_full_crl_past_its_next_update_is_stale_and_says_how_to_refresh(verify):
    after = dt.datetime(2027, 3, 1, tzinfo=dt.timezone.utc)  # the CRL's next update was 2027-02-07
    signature = gost_pki.gost_cms(nca_pack.person("individual/valid"), TEXT.encode(), signing_time=after)
    message = refusal(verify, signature, at=after)
    assert "is stale" in message and "ops.crls refresh" in message


def test_tampering_is_refused(verify):
    user = nca_pack.person("individual/valid")
    assert "does not verify" in refusal(verify, gost_pki.signature_swap_bit(sign("individual/valid")))
    assert "over another document" in refusal(verify, sign("individual/valid", "another text"))
    detached_other = sign("individual/valid", "another text", detached=True)
    assert "over another document" in refusal(verify, detached_other)
    swapped = gost_pki.gost_cms(user, TEXT.encode(), signing_time=VALID_AT,
                                certificate=nca_pack.person("legal/head_valid").certificate)
    assert "does not verify" in refusal(verify, swapped)


def test_the_rsa_auth_key_signs_in_at_a_2020_clock_and_is_refused_as_expired_today(verifiers):
    trust_store = eds.TrustStore([], [nca_pack.certificate("rsa-legacy-2020", "ca", "root_rsa_test.pem"),
                                      nca_pack.certificate("rsa-legacy-2020", "ca", "nca_rsa_test.crt")])
    with open(nca_pack.path("rsa-legacy-2020", "individual-auth", "valid-signed-asdasd.cms"), "rb") as f:
        signature = f.read().decode()
    signed_at = dt.datetime(2020, 9, 9, 20, 3, 13, tzinfo=dt.timezone.utc)

    def verify(issued_at, at):
        return eds.verify_signed_text(signature, "asdasd", trust_store=trust_store,
                                      revocation=eds.NoRevocationCheck(), verifiers=verifiers,
                                      issued_at=issued_at, now=at)
    identity = verify(signed_at - dt.timedelta(minutes=1), signed_at + dt.timedelta(seconds=5))
    assert (identity.iin, identity.role, identity.test_ca) == ("123456789011", rules.ROLE_INDIVIDUAL, True)
    # today the same signature answers no challenge, and a fresh one would be past the key's end
    today = dt.datetime.now(dt.timezone.utc)
    assert "signing time" in refusal(verify, today - dt.timedelta(minutes=1), today)
    certificate = nca_pack.open_p12(nca_pack.path("rsa-legacy-2020", "individual-auth", "valid.p12"))[0]
    with pytest.raises(Unauthenticated, match="had expired"):
        eds.check_chain([certificate, nca_pack.certificate("rsa-legacy-2020", "ca", "nca_rsa_test.crt")],
                        dt.datetime.now(dt.timezone.utc))


def test_pem_armour_is_stripped_and_garbage_is_a_bad_request(verify):
    armoured = sign("individual/valid", armour=True)
    assert armoured.startswith("-----BEGIN CMS-----")
    assert verify(armoured).iin == "123456789011"
    assert base64.b64decode(sign("individual/valid", ber=True))[1] == 0x80  # indefinite length, as Kalkan writes
