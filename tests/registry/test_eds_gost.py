"""The GOST 2015 path with the project's own test PKI (tests/registry/gost_pki.py): every behaviour
the NCA pack shows, and those it cannot (delta CRLs that revoke, foreign usages, other curves)."""
import datetime as dt

import pytest

from common import gost, kalkan
from common.errors import Unauthenticated
from services.registry import eds, rules
from tests.registry import gost_pki

UTC = dt.timezone.utc
TEXT = "Студенческий ваучер: вход, nonce GOST-UNIT-0123456789"


@pytest.fixture(scope="module")
def pki():
    return gost_pki.GostTestPki("GOST UNIT")


@pytest.fixture(scope="module")
def verify(pki):
    verifiers = eds.load_verifiers()
    trust_store = eds.TrustStore.from_files([pki.trust_store_path])
    revocation = eds.CrlFileChecker([pki.crl_path, pki.delta_path], verifiers)

    def verify(signature, text=TEXT, revocation=revocation, trust_store=trust_store):
        now = dt.datetime.now(UTC)
        return eds.verify_signed_text(signature, text, trust_store=trust_store, revocation=revocation,
                                      verifiers=verifiers, issued_at=now - dt.timedelta(seconds=30), now=now)
    return verify


def sign(user, text=TEXT, **options):
    return gost_pki.gost_cms(user, text.encode("utf-8"), **options)


def refusal(call, *args, **kwargs):
    with pytest.raises(Unauthenticated) as caught:
        call(*args, **kwargs)
    return caught.value.message


OPENSSL_STREEBOG = gost.load_openssl_streebog512()
STREEBOGS = [pytest.param(gost.python_streebog512, id="python"),
             pytest.param(OPENSSL_STREEBOG, id="openssl", marks=pytest.mark.skipif(
                 OPENSSL_STREEBOG is None, reason="OpenSSL's GOST provider (libengine-gost-openssl) is not installed"))]


@pytest.mark.parametrize("streebog512", STREEBOGS)
def test_streebog_512_matches_rfc_6986(streebog512):
    m1 = b"012345678901234567890123456789012345678901234567890123456789012"
    assert streebog512(m1)[::-1].hex() == (
        "486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00"
        "fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b")
    m2 = bytes.fromhex("fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0eeec20f120"
                       "faf2fee5e2202ce8f6f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1")[::-1]  # printed reversed
    assert streebog512(m2)[::-1].hex() == (
        "28fbc9bada033b1460642bdcddb90c3fb3e56c497ccd0f62b8a2ad4935e85f03"
        "7613966de4ee00531ae60f3b5a47f8dae06915d5f2f194996fcabf2622e6881e")


@pytest.mark.skipif(OPENSSL_STREEBOG is None, reason="OpenSSL's GOST provider is not installed")
def test_openssl_and_python_streebog_agree_at_every_block_boundary_and_are_used():
    data = bytes(range(256)) * 60
    for length in [*range(0, 200), 13_000, len(data)]:
        assert OPENSSL_STREEBOG(data[:length]) == gost.python_streebog512(data[:length]), length
    assert gost.STREEBOG == "OpenSSL GOST provider"


def test_gost_signatures_verify_and_refuse_any_change():
    key = gost_pki.GostKey()
    point = gost.public_key_of(key.private)
    signature = key.sign(b"data")
    gost.verify(point, b"data", signature)
    gost.verify(point, b"data", signature, often=True)
    for data, signed in ((b"datb", signature), (b"data", signature[:-1] + bytes([signature[-1] ^ 1]))):
        with pytest.raises(gost.InvalidSignature):
            gost.verify(point, data, signed)
    with pytest.raises(ValueError, match="not a point"):
        gost.public_key_from_bytes(gost.public_key_bytes(point)[:-1] + b"\x00")


@pytest.mark.parametrize("form", [{}, {"detached": True}, {"ber": True}, {"armour": True},
                                  {"ber": True, "armour": True}])
def test_every_form_kalkan_writes_verifies_and_names_the_person(pki, verify, form):
    user = pki.make_user(name="АХМЕТОВА АЙГЕРИМ СЕРИКОВНА")
    identity = verify(sign(user, **form))
    assert (identity.iin, identity.full_name, identity.role, identity.test_ca) == (
        user.iin, "АХМЕТОВА АЙГЕРИМ СЕРИКОВНА", rules.ROLE_INDIVIDUAL, False)


def test_a_delta_crl_revokes_a_key_its_base_does_not_list(pki, verify):
    user, other = pki.make_user(), pki.make_user()
    pki.revoke(user, delta=True)
    assert "has been revoked" in refusal(verify, sign(user))
    assert verify(sign(other)).iin == other.iin
    # a delta past its next update is stale and left out; the full CRL alone answers
    stale = gost_pki.GostTestPki("STALE DELTA")
    revoked_in_stale_delta = stale.make_user()
    stale.revoke(revoked_in_stale_delta, delta=True)
    past = dt.datetime.now(UTC) - dt.timedelta(days=30)
    delta = gost_pki.certificate_list(stale.intermediate, stale.delta_revoked, past, past + dt.timedelta(days=1),
                                      99, delta_base=stale.crl_number)
    gost_pki._write(stale.delta_path, delta.dump())
    checker = eds.CrlFileChecker([stale.crl_path, stale.delta_path], eds.load_verifiers())
    store = eds.TrustStore.from_files([stale.trust_store_path])
    assert verify(sign(revoked_in_stale_delta), revocation=checker, trust_store=store).iin


def test_a_stale_full_crl_refuses_and_says_how_to_refresh(verify):
    pki = gost_pki.GostTestPki("STALE")
    past = dt.datetime.now(UTC) - dt.timedelta(days=10)
    pki.write_crls(this_update=past, next_update=past + dt.timedelta(days=7))
    checker = eds.CrlFileChecker([pki.crl_path], eds.load_verifiers())
    message = refusal(verify, sign(pki.make_user()), revocation=checker,
                      trust_store=eds.TrustStore.from_files([pki.trust_store_path]))
    assert "is stale" in message and "python -m ops.crls refresh" in message


def test_crls_are_read_from_a_folder(pki, verify):
    checker = eds.CrlFileChecker([pki.folder], eds.load_verifiers())
    user = pki.make_user()
    assert verify(sign(user), revocation=checker).iin == user.iin


@pytest.mark.parametrize("usages, reason", [
    (gost_pki.INFORMATION_SYSTEM, "information system"),
    ((), "extended key usage names no individual"),
    (("1.3.6.1.5.5.7.3.1",), "extended key usage names no individual"),  # serverAuth only
])
def test_certificates_nobody_signs_in_with_are_refused(pki, verify, usages, reason):
    assert reason in refusal(verify, sign(pki.make_user(usages=usages)))


def test_an_unknown_critical_extension_is_refused(pki, verify):
    user = pki.make_user(extra_extensions=[gost_pki.unknown_critical_extension()])
    assert "critical extension" in refusal(verify, sign(user))


def test_a_swapped_certificate_or_another_text_is_refused(pki, verify):
    user, other = pki.make_user(), pki.make_user()
    assert "does not verify" in refusal(verify, sign(user, certificate=other.certificate))
    assert "does not verify" in refusal(verify, gost_pki.signature_swap_bit(sign(user)))
    assert "over another document" in refusal(verify, sign(user, "other text"))


def test_test_iins_pass_only_under_a_ca_marked_as_test(pki, verify):
    user = pki.make_user(iin="123456789011")
    assert "not valid" in refusal(verify, sign(user))
    test_store = eds.TrustStore.from_files([], [pki.trust_store_path])
    identity = verify(sign(user), trust_store=test_store)
    assert (identity.iin, identity.test_ca) == ("123456789011", True)
    assert test_store.accepts_test_keys and not eds.TrustStore.from_files([pki.trust_store_path]).accepts_test_keys


def test_a_gost_key_on_another_curve_is_refused(pki):
    user = pki.make_user()
    info = user.certificate.public_key
    key_bytes = kalkan.gost_key_bytes(info)
    other_curve = kalkan.keys.PublicKeyInfo({
        "algorithm": {"algorithm": kalkan.NAMES["key"],
                      "parameters": kalkan._ObjectIdentifiers(["1.2.643.7.1.2.1.2.2", kalkan.STREEBOG_512])},
        "public_key": key_bytes})
    algorithm = user.certificate["signature_algorithm"]
    signed = user.key.sign(b"data")
    with pytest.raises(eds.InvalidSignature, match="unsupported curve"):
        eds.GostVerifier().verify(other_curve, algorithm, signed, b"data")
    eds.GostVerifier().verify(info, algorithm, signed, b"data")  # the same key on paramSetA verifies


def test_a_kept_signature_verifies_again_at_its_signing_time_after_expiry_and_revocation(pki):
    """A detached signature over a document's bytes, verified while the certificate was valid, keeps
    evidence (digest, chain, the CRL that showed it good); verified again later at the recorded
    signing time it holds although the certificate has since expired and been revoked, and it fails
    for other bytes or another certificate."""
    verifiers = eds.load_verifiers()
    trust_store = eds.TrustStore.from_files([pki.trust_store_path])
    now = dt.datetime.now(UTC).replace(microsecond=0)
    signed_at = now - dt.timedelta(hours=2)
    user = pki.make_user(usages=gost_pki.LEGAL_EMPLOYEE, bin_="940140000385",
                         not_before=now - dt.timedelta(hours=3), not_after=now - dt.timedelta(hours=1))
    document = b"%PDF-1.7 a completion report"
    pki.write_crls(this_update=now - dt.timedelta(hours=4))  # the CRL that was current at signing
    signature = gost_pki.gost_cms(user, document, detached=True, signing_time=signed_at)
    then = eds.verify_signed_content(signature, document, trust_store=trust_store, verifiers=verifiers,
                                     revocation=eds.CrlFileChecker([pki.crl_path], verifiers),
                                     issued_at=signed_at - dt.timedelta(minutes=5),
                                     now=signed_at + dt.timedelta(minutes=1))
    evidence = then.evidence
    assert (then.role, then.bin, evidence["signed_at"]) == (rules.ROLE_LEGAL_EMPLOYEE, "940140000385",
                                                            signed_at.isoformat())
    assert [link["serial"] for link in evidence["chain"]][0] == then.certificate_serial
    assert evidence["revocation"][0]["source"] == "crl" and evidence["revocation"][0]["this_update"]
    pki.revoke(user)
    # today the certificate is expired and revoked: a new signature is refused, the kept one holds
    assert "expired" in refusal(eds.verify_signed_content, gost_pki.gost_cms(user, document, detached=True),
                                document, trust_store=trust_store,
                                verifiers=verifiers, revocation=eds.NoRevocationCheck(),
                                issued_at=signed_at, now=now)
    again = eds.verify_again(signature, document, evidence, trust_store=trust_store, verifiers=verifiers)
    assert (again.iin, again.signing_time) == (then.iin, signed_at)
    assert "another document" in refusal(eds.verify_again, signature, document + b" ", evidence,
                                         trust_store=trust_store, verifiers=verifiers)
    other = pki.make_user(iin=user.iin, usages=gost_pki.LEGAL_EMPLOYEE, bin_="940140000385",
                          not_before=now - dt.timedelta(hours=3))
    swapped = gost_pki.gost_cms(other, document, detached=True, signing_time=signed_at)
    assert "another certificate" in refusal(eds.verify_again, swapped, document, evidence,
                                            trust_store=trust_store, verifiers=verifiers)


def test_what_a_ca_signed_is_verified_once_and_only_fingerprints_are_kept(pki, monkeypatch):
    verifiers = eds.Verifiers(eds.load_verifiers().verifiers, remembered=2)
    users = [pki.make_user() for _ in range(3)]
    issuer = pki.intermediate.certificate
    checked = []
    check = verifiers._check_signed_by
    monkeypatch.setattr(verifiers, "_check_signed_by", lambda *args: checked.append(args) or check(*args))
    assert all(verifiers.signed_by(user.certificate, issuer) for user in users)
    assert verifiers.signed_by(users[2].certificate, issuer) and len(checked) == 3  # remembered
    assert verifiers.signed_by(users[0].certificate, issuer) and len(checked) == 4  # forgotten: the oldest
    assert not verifiers.signed_by(users[0].certificate, users[1].certificate)
    assert len(verifiers._answers) == 2
    assert all(isinstance(part, bytes) for key in verifiers._answers for part in key)
