"""EDS verification without the bus: signatures by `cryptography` and by `openssl cms -sign`, RSA and
ECDSA, attached and detached, and each refusal with its status and reason."""
import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from common.errors import Unauthenticated, ValidationFailed
from services.registry import eds
from services.registry.dependencies import config_list, revocation_checker
from tests.registry.pki import TestPki, random_iin, sign_nonce, sign_nonce_with_openssl, with_wrong_check_digit

NONCE = "nonce-for-unit-tests-0123456789"
UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def pki():
    return TestPki("UNIT")


@pytest.fixture(scope="module")
def verify(pki):
    verifiers = eds.load_verifiers()
    trust_store = eds.TrustStore.from_files([pki.trust_store_path])
    revocation = eds.CrlFileChecker([pki.crl_path], verifiers)

    def verify(signature, nonce=NONCE, revocation=revocation, issued_at=None):
        now = dt.datetime.now(UTC)
        return eds.verify_signed_text(signature, nonce, trust_store=trust_store, revocation=revocation,
                                      verifiers=verifiers, issued_at=issued_at or now - dt.timedelta(seconds=30),
                                      now=now)
    return verify


def refusal(call, *args, **kwargs):
    with pytest.raises(Unauthenticated) as caught:
        call(*args, **kwargs)
    return caught.value.message


@pytest.mark.parametrize("key_kind", ["ec", "rsa"])
def test_every_signer_and_form_verifies_and_names_the_person(pki, verify, key_kind):
    iin = random_iin()
    user = pki.make_user(iin, "АХМЕТОВА АЙГЕРИМ СЕРИКОВНА", key_kind=key_kind)
    signatures = [sign_nonce(user, NONCE), sign_nonce(user, NONCE, detached=True),
                  sign_nonce(user, NONCE, attributes=False),
                  sign_nonce_with_openssl(user, NONCE), sign_nonce_with_openssl(user, NONCE, detached=True)]
    for signature in signatures:
        identity = verify(signature)
        assert (identity.iin, identity.full_name, identity.surname) == (
            iin, "АХМЕТОВА АЙГЕРИМ СЕРИКОВНА", "АХМЕТОВА")
        assert identity.certificate_serial == format(user.certificate.serial_number, "x")


def test_signature_over_another_nonce_is_refused(pki, verify):
    user = pki.make_user()
    other = "another-nonce-0123456789abcdef"
    assert "over another document" in refusal(verify, sign_nonce(user, other))
    assert "over another document" in refusal(verify, sign_nonce(user, other, detached=True))
    assert "over another document" in refusal(verify, sign_nonce_with_openssl(user, other, detached=True))
    # without signed attributes a detached signature is over the content itself
    assert "does not verify" in refusal(verify, sign_nonce(user, other, detached=True, attributes=False))


def test_tampered_signature_is_refused(pki, verify):
    der = bytearray(base64.b64decode(sign_nonce(pki.make_user(), NONCE)))
    der[-1] ^= 0x01  # the last byte is inside the signature value
    assert "does not verify" in refusal(verify, base64.b64encode(bytes(der)).decode())


def test_certificate_problems_are_refused(pki, verify):
    now = dt.datetime.now(UTC)
    untrusted = TestPki("ROGUE").make_user()
    assert "does not chain to a trusted root" in refusal(verify, sign_nonce(untrusted, NONCE))
    expired = pki.make_user(not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=1))
    assert "had expired at the time of signing" in refusal(verify, sign_nonce(expired, NONCE))
    future = pki.make_user(not_before=now + dt.timedelta(days=1), not_after=now + dt.timedelta(days=400))
    assert "not yet valid" in refusal(verify, sign_nonce_with_openssl(future, NONCE))
    no_signing = pki.make_user(digital_signature=False)
    assert "key usage" in refusal(verify, sign_nonce(no_signing, NONCE))
    bad_iin = pki.make_user(with_wrong_check_digit(random_iin()))
    assert "check digit" in refusal(verify, sign_nonce(bad_iin, NONCE))
    without_chain = pki.make_user()
    assert "does not chain" in refusal(verify, sign_nonce(without_chain, NONCE, include_chain=False))


def test_revoked_certificate_is_refused_by_crl(pki, verify):
    user = pki.make_user()
    assert verify(sign_nonce(user, NONCE)).iin == user.iin
    pki.revoke(user)
    assert "has been revoked" in refusal(verify, sign_nonce(user, NONCE))


def test_a_crl_in_the_issuers_name_but_not_signed_by_it_is_not_trusted(pki, verify):
    impostor = TestPki("UNIT")  # the same names, other keys
    forged = eds.CrlFileChecker([impostor.crl_path], eds.load_verifiers())
    user = pki.make_user()
    assert "revocation status unknown" in refusal(verify, sign_nonce(user, NONCE), revocation=forged)
    # Asked again, the answer is the same (the signature check is remembered, not skipped).
    assert "revocation status unknown" in refusal(verify, sign_nonce(user, NONCE), revocation=forged)


def test_revocation_status_unknown_without_a_crl(pki, verify):
    no_crls = eds.CrlFileChecker([], eds.load_verifiers())
    assert "revocation status unknown" in refusal(verify, sign_nonce(pki.make_user(), NONCE), revocation=no_crls)


def test_signing_time_outside_the_challenge_is_refused(pki, verify):
    signature = sign_nonce(pki.make_user(), NONCE)  # signingTime: now
    later = dt.datetime.now(UTC) + dt.timedelta(minutes=10)
    assert "signing time" in refusal(verify, signature, issued_at=later)


@pytest.mark.parametrize("signature, reason", [
    ("not base64!!", "not valid base64"),
    (base64.b64encode(b"\x30\x03\x02\x01\x01").decode(), "not a DER or BER CMS SignedData"),
    (base64.b64encode(b"garbage").decode(), "not a DER or BER CMS SignedData"),
])
def test_garbage_is_a_bad_request(verify, signature, reason):
    with pytest.raises(ValidationFailed) as caught:
        verify(signature)
    assert reason in caught.value.message


def test_an_empty_trust_store_refuses_everything(pki):
    with pytest.raises(Unauthenticated, match="trust store is empty"):
        eds.verify_signed_text(sign_nonce(pki.make_user(), NONCE), NONCE, trust_store=eds.TrustStore([]),
                               revocation=eds.NoRevocationCheck(), verifiers=eds.load_verifiers(),
                               issued_at=dt.datetime.now(UTC), now=dt.datetime.now(UTC))


class OcspResponder:
    """Answers OCSP requests for `pki`'s intermediate CA, signing as the CA, like NCA RK's responder."""

    def __init__(self, pki, age=dt.timedelta(0)):
        self.pki = pki
        self.revoked = set()
        self.requests = []
        self.certificates = {}
        self.age = age  # how long before now the answer says it was issued (thisUpdate)

    def __call__(self, url, body, timeout):
        self.requests.append(url)
        request = ocsp.load_der_ocsp_request(body)
        issuer = self.pki.intermediate
        user_cert = self.certificates[request.serial_number]
        revoked = request.serial_number in self.revoked
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=user_cert, issuer=issuer.certificate, algorithm=hashes.SHA1(),
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=dt.datetime.now(UTC) - self.age, next_update=dt.datetime.now(UTC) + dt.timedelta(hours=1),
            revocation_time=dt.datetime.now(UTC) if revoked else None,
            revocation_reason=None,
        ).responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.certificate)
        return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def test_ocsp_checker_accepts_good_and_refuses_revoked(pki, verify):
    responder = OcspResponder(pki)
    good, revoked = pki.make_user(), pki.make_user()
    responder.certificates = {u.certificate.serial_number: u.certificate for u in (good, revoked)}
    responder.revoked.add(revoked.certificate.serial_number)
    checker = eds.OcspChecker(eds.load_verifiers(), url="http://ocsp.test/", post=responder)
    leaf_only = LeafOnly(checker)
    assert verify(sign_nonce(good, NONCE), revocation=leaf_only).iin == good.iin
    assert responder.requests == ["http://ocsp.test/"]
    assert "revoked (OCSP)" in refusal(verify, sign_nonce(revoked, NONCE), revocation=leaf_only)
    # a response signed by someone else is not believed
    rogue = OcspResponder(TestPki("ROGUE"))
    rogue.certificates = responder.certificates
    forged = LeafOnly(eds.OcspChecker(eds.load_verifiers(), url="http://ocsp.test/", post=rogue))
    assert "not signed by the issuer" in refusal(verify, sign_nonce(good, NONCE), revocation=forged)
    down = LeafOnly(eds.OcspChecker(eds.load_verifiers(), url="http://ocsp.test/",
                                    post=lambda *a: (_ for _ in ()).throw(ConnectionError())))
    assert "did not answer" in refusal(verify, sign_nonce(good, NONCE), revocation=down)


def test_ocsp_answers_older_than_the_window_are_refused_whatever_their_next_update(pki, verify):
    user = pki.make_user()
    old = OcspResponder(pki, age=dt.timedelta(hours=1))
    old.certificates = {user.certificate.serial_number: user.certificate}
    replayed = LeafOnly(eds.OcspChecker(eds.load_verifiers(), url="http://ocsp.test/", post=old))
    assert "thisUpdate" in refusal(verify, sign_nonce(user, NONCE), revocation=replayed)
    # an answer produced now, used to vouch for a signature an hour later: too old by producedAt
    fresh = OcspResponder(pki)
    fresh.certificates = old.certificates
    checker = eds.OcspChecker(eds.load_verifiers(), url="http://ocsp.test/", post=fresh)
    certificate, issuer = (eds.x509.Certificate.load(c.certificate.public_bytes(serialization.Encoding.DER))
                           for c in (user, pki.intermediate))
    later = dt.datetime.now(UTC) + dt.timedelta(hours=1)
    assert "produced" in refusal(checker.check, certificate, issuer, later)
    checker.check(certificate, issuer, dt.datetime.now(UTC))


class LeafOnly(eds.RevocationChecker):
    """The test responder answers for the issuing CA's certificates only."""

    def __init__(self, checker):
        self.checker = checker

    def check(self, certificate, issuer, at):
        if certificate.ca:
            return None
        return self.checker.check(certificate, issuer, at)


def test_configuration_names_the_checkers_and_verifier_plug_ins(pki):
    verifiers = eds.load_verifiers(["services.registry.eds:CryptographyVerifier"])
    assert [type(v).__name__ for v in verifiers.verifiers] == [
        "CryptographyVerifier", "GostVerifier", "CryptographyVerifier"]
    assert config_list("a.pem, b.pem") == ["a.pem", "b.pem"] and config_list("") == []
    assert isinstance(revocation_checker({"EDS_REVOCATION": "ocsp"}, verifiers), eds.OcspChecker)
    assert isinstance(revocation_checker({"EDS_CRL_FILE": pki.crl_path}, verifiers), eds.CrlFileChecker)
    with pytest.raises(ValueError):
        revocation_checker({"EDS_REVOCATION": "maybe"}, verifiers)
