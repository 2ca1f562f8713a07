"""EDS (ЭЦП) sign-in: checking a CMS SignedData over a login challenge, as NCALayer makes it.

The client signs the challenge's nonce (its ASCII bytes; NCALayer's `createCMSSignatureFromBase64`
takes them base64-encoded) and sends the DER SignedData in base64, with the content attached or
detached. `verify_signed_nonce` accepts it only when, in this order:

1. it parses as a SignedData with one signer whose certificate travels inside it;
2. the signed content is exactly the nonce (attached content compared, detached content supplied),
   through the `messageDigest` signed attribute when there are signed attributes, directly otherwise;
3. the signature verifies with the signer certificate's key;
4. the signing time (the `signingTime` attribute, else now) lies inside the challenge's lifetime, so a
   signer cannot back-date a signature into an expired certificate's validity;
5. the certificate chains, through certificates in the SignedData, to one in the trust store, each
   signature verifying, each certificate valid at the signing time, each issuer a CA allowed to sign
   certificates, the signer's key usage allowing digitalSignature;
6. the revocation checker finds no certificate of the chain revoked (CRL files or OCSP);
7. the subject's serialNumber is `IIN` + a valid IIN.

ASN.1 is parsed by asn1crypto; signatures are checked by `SignatureVerifier`s. The built-in one uses
`cryptography` for RSA (PKCS#1 v1.5) and ECDSA. **Plug-in point for the Kazakh GOST algorithms**
(GOST 34.310-2004, OID 1.2.398.3.10.1.1.1.x, and GOST R 34.10-2015): write a class with the two
methods of `SignatureVerifier` that recognises those key OIDs, and name it in the registry's config
`EDS_EXTRA_VERIFIERS` ("package.module:Class"). It is then used for the signer's signature, every
certificate of the chain, CRLs and OCSP responses alike.
"""
import base64
import binascii
import datetime as dt
import hashlib
import importlib
import os
from dataclasses import dataclass

from asn1crypto import cms, crl, ocsp, pem, x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from common.errors import Unauthenticated, ValidationFailed
from services.registry.rules import iin_problem

IIN_PREFIX = "IIN"
BIN_PREFIX = "BIN"
MAX_CHAIN_LENGTH = 8


def refuse(reason):
    """A well-formed signature that does not prove who the signer is: 401 with the reason."""
    return Unauthenticated(reason, {"signature": [reason]})


def malformed(reason):
    return ValidationFailed(reason, {"signature": [reason]})


# Signature algorithms

class SignatureVerifier:
    """Checks one family of signature algorithms. Subclass it to add one (see the module's notes)."""

    def supports(self, public_key_info):
        """True if this verifier handles keys of `public_key_info` (asn1crypto keys.PublicKeyInfo)."""
        raise NotImplementedError

    def verify(self, public_key_info, signature_algorithm, signature, data, digest_algorithm=None):
        """Raise cryptography's InvalidSignature unless `signature` over `data` verifies.

        `signature_algorithm` is an asn1crypto SignedDigestAlgorithm; `digest_algorithm` names the
        hash when the signature algorithm alone does not (a CMS signer's `rsaEncryption`)."""
        raise NotImplementedError


class CryptographyVerifier(SignatureVerifier):
    """RSA PKCS#1 v1.5 and ECDSA with the SHA-1/SHA-2 family, by `cryptography`."""

    HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
              "sha384": hashes.SHA384, "sha512": hashes.SHA512}

    def supports(self, public_key_info):
        return public_key_info.algorithm in ("rsa", "ec")

    def verify(self, public_key_info, signature_algorithm, signature, data, digest_algorithm=None):
        hash_name = digest_algorithm or _hash_of(signature_algorithm)
        if hash_name not in self.HASHES:
            raise InvalidSignature(f"unsupported digest {hash_name}")
        digest = self.HASHES[hash_name]()
        key = serialization.load_der_public_key(public_key_info.dump())
        if isinstance(key, rsa.RSAPublicKey) and signature_algorithm.signature_algo == "rsassa_pkcs1v15":
            key.verify(signature, data, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey) and signature_algorithm.signature_algo == "ecdsa":
            key.verify(signature, data, ec.ECDSA(digest))
        else:
            raise InvalidSignature("the key does not match the signature algorithm")


def _hash_of(signature_algorithm):
    try:
        return signature_algorithm.hash_algo
    except ValueError:
        return None


class Verifiers:
    """The signature verifiers in use; the first that supports a key checks its signatures."""

    def __init__(self, verifiers):
        self.verifiers = tuple(verifiers)

    def is_valid(self, public_key_info, signature_algorithm, signature, data, digest_algorithm=None):
        verifier = next((v for v in self.verifiers if v.supports(public_key_info)), None)
        if verifier is None:
            raise refuse(f"the key algorithm {public_key_info['algorithm']['algorithm'].dotted} is not supported")
        try:
            verifier.verify(public_key_info, signature_algorithm, signature, data, digest_algorithm)
        except (InvalidSignature, UnsupportedAlgorithm, ValueError):
            return False
        return True

    def signed_by(self, signed, issuer):
        """True if `issuer`'s key made the signature of `signed` (a certificate or a CRL)."""
        tbs = signed["tbs_certificate"] if isinstance(signed, x509.Certificate) else signed["tbs_cert_list"]
        return self.is_valid(issuer.public_key, signed["signature_algorithm"], signed.signature, tbs.dump())


def load_verifiers(extra_paths=()):
    """The built-in verifier plus those named "package.module:Class" (the GOST plug-in point)."""
    extra = []
    for path in extra_paths:
        module_name, _, class_name = path.partition(":")
        extra.append(getattr(importlib.import_module(module_name), class_name)())
    return Verifiers(extra + [CryptographyVerifier()])


# Trust store and certificates

def load_certificates(path):
    """Every certificate in a PEM (one or many blocks) or DER file."""
    with open(path, "rb") as f:
        data = f.read()
    if pem.detect(data):
        return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [x509.Certificate.load(data)]


class TrustStore:
    """The certificates a chain may end in (NCA RK's roots and CAs in production)."""

    def __init__(self, certificates):
        self.certificates = list(certificates)

    @classmethod
    def from_files(cls, paths):
        return cls(cert for path in paths for cert in load_certificates(path))

    def issuer_of(self, certificate, verifiers):
        return next((anchor for anchor in self.certificates
                     if anchor.subject == certificate.issuer and verifiers.signed_by(certificate, anchor)), None)


def describe(certificate):
    return certificate.subject.human_friendly


def build_chain(signer, candidates, trust_store, verifiers):
    """[signer, intermediates..., trusted anchor], each signed by the next; refused if none."""
    chain = [signer]
    while len(chain) <= MAX_CHAIN_LENGTH:
        current = chain[-1]
        anchor = trust_store.issuer_of(current, verifiers)
        if anchor is not None:
            return chain + [anchor]
        issuer = next((c for c in candidates if c.subject == current.issuer and c not in chain
                       and verifiers.signed_by(current, c)), None)
        if issuer is None:
            raise refuse(f"the certificate does not chain to a trusted root (no trusted issuer for "
                         f"{describe(current)})")
        chain.append(issuer)
    raise refuse("the certificate chain is too long")


def check_chain(chain, at):
    """Validity at `at` for every certificate; CA rights for issuers; digitalSignature for the signer."""
    for position, certificate in enumerate(chain):
        who = "the signer's certificate" if position == 0 else f"the CA certificate {describe(certificate)}"
        validity = certificate["tbs_certificate"]["validity"]
        not_before, not_after = validity["not_before"].native, validity["not_after"].native
        if at < not_before:
            raise refuse(f"{who} was not yet valid at the time of signing (valid from {not_before:%Y-%m-%d %H:%M} UTC)")
        if at > not_after:
            raise refuse(f"{who} had expired at the time of signing (valid until {not_after:%Y-%m-%d %H:%M} UTC)")
        if position > 0:
            _check_issuer_rights(certificate, who, intermediates_below=position - 1)
    usage = chain[0].key_usage_value
    if usage is None or "digital_signature" not in usage.native:
        raise refuse("the signer's certificate does not allow digital signatures (key usage)")


def _check_issuer_rights(certificate, who, intermediates_below):
    constraints = certificate.basic_constraints_value
    if constraints is None or not constraints["ca"].native:
        raise refuse(f"{who} is not a CA certificate")
    limit = constraints["path_len_constraint"].native
    if limit is not None and intermediates_below > limit:
        raise refuse(f"{who} allows no chain this long")
    usage = certificate.key_usage_value
    if usage is not None and "key_cert_sign" not in usage.native:
        raise refuse(f"{who} may not sign certificates (key usage)")


# Revocation

class RevocationChecker:
    """Says whether a certificate was revoked. `check` raises `refuse(...)` when it was, or when its
    status cannot be established; it returns None when the certificate is good."""

    def check(self, certificate, issuer, at):
        raise NotImplementedError


class CrlFileChecker(RevocationChecker):
    """CRLs from files (PEM or DER), re-read when a file changes, as a CRL downloader refreshes them.

    Fails closed: a certificate whose issuer has no current CRL here is refused."""

    def __init__(self, paths, verifiers):
        self.paths = list(paths)
        self.verifiers = verifiers
        self.loaded = {}  # path -> (mtime, [LoadedCrl])

    def check(self, certificate, issuer, at):
        lists = [c for c in self._crls() if c.issuer == issuer.subject and c.signed_by(issuer, self.verifiers)]
        if not lists:
            raise refuse(f"revocation status unknown: no CRL from {describe(issuer)}")
        current = [c for c in lists if c.next_update is None or c.next_update >= at]
        if not current:
            raise refuse(f"revocation status unknown: the CRL from {describe(issuer)} is out of date")
        serial = certificate.serial_number
        for certificate_list in current:
            if serial in certificate_list.revoked:
                raise refuse(f"the certificate has been revoked (serial {serial:x}, on "
                             f"{certificate_list.revoked[serial]:%Y-%m-%d})")

    def _crls(self):
        lists = []
        for path in self.paths:
            if not os.path.exists(path):  # not downloaded yet: its issuers' status stays unknown
                continue
            mtime = os.path.getmtime(path)
            if self.loaded.get(path, (None,))[0] != mtime:
                self.loaded[path] = (mtime, [LoadedCrl(c) for c in _load_crls(path)])
            lists.extend(self.loaded[path][1])
        return lists


class LoadedCrl:
    """A CRL as read from its file: revoked serials indexed, its signature checked once per issuer
    (a national CA's CRL lists many thousands of certificates, and every sign-in consults it)."""

    def __init__(self, certificate_list):
        self.certificate_list = certificate_list
        self.issuer = certificate_list.issuer
        tbs = certificate_list["tbs_cert_list"]
        self.next_update = tbs["next_update"].native
        self.revoked = {entry["user_certificate"].native: entry["revocation_date"].native
                        for entry in tbs["revoked_certificates"]}
        self._signed_by = {}

    def signed_by(self, issuer, verifiers):
        if issuer.sha256 not in self._signed_by:
            self._signed_by[issuer.sha256] = verifiers.signed_by(self.certificate_list, issuer)
        return self._signed_by[issuer.sha256]


def _load_crls(path):
    with open(path, "rb") as f:
        data = f.read()
    if pem.detect(data):
        return [crl.CertificateList.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [crl.CertificateList.load(data)]


class OcspChecker(RevocationChecker):
    """Asks an OCSP responder (`url`, else the one the certificate names) about each certificate.

    The response must be signed by the issuer or by a responder certificate the issuer signed for
    OCSP signing, must be about this certificate, and must say "good". `post(url, body, timeout)`
    returns the response bytes; by default an HTTP POST."""

    def __init__(self, verifiers, url=None, timeout=5.0, post=None):
        self.verifiers = verifiers
        self.url = url
        self.timeout = timeout
        self.post = post or _http_post

    def check(self, certificate, issuer, at):
        url = self.url or next(iter(certificate.ocsp_urls), None)
        if not url:
            raise refuse("revocation status unknown: no OCSP responder for the certificate")
        request = _ocsp_request(certificate, issuer)
        try:
            answer = ocsp.OCSPResponse.load(self.post(url, request.dump(), self.timeout))
            status = answer["response_status"].native
        except Exception as exc:  # a responder that is down or answers garbage leaves the status unknown
            raise refuse(f"revocation status unknown: the OCSP responder did not answer ({exc.__class__.__name__})")
        if status != "successful":
            raise refuse(f"revocation status unknown: the OCSP responder answered {status}")
        basic = answer.basic_ocsp_response
        if not self._signed_for(basic, issuer):
            raise refuse("revocation status unknown: the OCSP response is not signed by the issuer")
        self._read_status(basic, request, at)

    def _signed_for(self, basic, issuer):
        tbs = basic["tbs_response_data"].dump()
        signers = [issuer] + [c for c in basic["certs"] if _is_delegated_responder(c, issuer, self.verifiers)]
        return any(self.verifiers.is_valid(s.public_key, basic["signature_algorithm"], basic["signature"].native, tbs)
                   for s in signers)

    def _read_status(self, basic, request, at):
        asked = request["tbs_request"]["request_list"][0]["req_cert"]
        for single in basic["tbs_response_data"]["responses"]:
            if single["cert_id"].native != asked.native:
                continue
            next_update = single["next_update"].native
            if next_update is not None and next_update < at:
                raise refuse("revocation status unknown: the OCSP response is out of date")
            status = single["cert_status"].name
            if status == "good":
                return
            if status == "revoked":
                raise refuse("the certificate has been revoked (OCSP)")
            raise refuse("revocation status unknown: the OCSP responder does not know the certificate")
        raise refuse("revocation status unknown: the OCSP response is about another certificate")


def _ocsp_request(certificate, issuer):
    cert_id = ocsp.CertId({
        "hash_algorithm": {"algorithm": "sha1"},
        "issuer_name_hash": hashlib.sha1(certificate.issuer.dump()).digest(),
        "issuer_key_hash": hashlib.sha1(issuer.public_key["public_key"].contents[1:]).digest(),
        "serial_number": certificate.serial_number,
    })
    return ocsp.OCSPRequest({"tbs_request": {"request_list": [{"req_cert": cert_id}]}})


def _is_delegated_responder(certificate, issuer, verifiers):
    usage = certificate.extended_key_usage_value
    return usage is not None and "ocsp_signing" in usage.native and certificate.issuer == issuer.subject \
        and verifiers.signed_by(certificate, issuer)


def _http_post(url, body, timeout):
    import requests
    response = requests.post(url, data=body, timeout=timeout,
                             headers={"Content-Type": "application/ocsp-request"})
    response.raise_for_status()
    return response.content


class NoRevocationCheck(RevocationChecker):
    """Only for a local run without CRLs; never in production (see README)."""

    def check(self, certificate, issuer, at):
        return None


# The signer

@dataclass(frozen=True)
class SignerIdentity:
    iin: str
    full_name: str
    surname: str
    given_name: str
    certificate_serial: str
    issuer: str
    signing_time: dt.datetime
    bin: str | None = None  # an organisation's employee certificate carries its BIN in OU


def verify_signed_nonce(signature_b64, nonce, *, trust_store, revocation, verifiers, issued_at, now,
                        clock_skew=dt.timedelta(minutes=2)):
    """The identity proven by `signature_b64`, a CMS SignedData over `nonce`; raises ValidationFailed
    (400) for input that is not a SignedData and Unauthenticated (401) naming the reason otherwise."""
    if not trust_store.certificates:
        raise refuse("EDS sign-in is not configured: the trust store is empty")
    signed_data = _parse_signed_data(signature_b64)
    try:
        return _verify(signed_data, nonce.encode("ascii"), trust_store, revocation, verifiers,
                       issued_at, now, clock_skew)
    except (ValueError, TypeError, KeyError) as exc:  # asn1crypto parses lazily: bad inner DER surfaces here
        raise malformed(f"the signature could not be parsed ({exc.__class__.__name__})")


def _parse_signed_data(signature_b64):
    try:
        der = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise malformed("the signature is not valid base64")
    try:
        content_info = cms.ContentInfo.load(der, strict=True)
        if content_info["content_type"].native != "signed_data":
            raise malformed("the signature is not a CMS SignedData")
        return content_info["content"]
    except (ValueError, TypeError):
        raise malformed("the signature is not a DER CMS SignedData")


def _verify(signed_data, nonce, trust_store, revocation, verifiers, issued_at, now, clock_skew):
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise malformed("the signature must have exactly one signer")
    signer_info = signer_infos[0]
    certificates = [c.chosen for c in signed_data["certificates"] if c.name == "certificate"]
    signer = _signer_certificate(signer_info, certificates)
    content = _signed_content(signed_data, nonce)
    signing_time = _check_signature(signer_info, signer, content, verifiers) or now
    if not issued_at - clock_skew <= signing_time <= now + clock_skew:
        raise refuse("the signing time lies outside the challenge's lifetime")
    chain = build_chain(signer, certificates, trust_store, verifiers)
    check_chain(chain, signing_time)
    for certificate, issuer in zip(chain, chain[1:]):
        revocation.check(certificate, issuer, signing_time)
    return _identity(signer, signing_time)


def _signer_certificate(signer_info, certificates):
    sid = signer_info["sid"]
    if sid.name == "issuer_and_serial_number":
        matches = [c for c in certificates if c.issuer == sid.chosen["issuer"]
                   and c.serial_number == sid.chosen["serial_number"].native]
    else:
        matches = [c for c in certificates if c.key_identifier == sid.chosen.native]
    if not matches:
        raise refuse("the signer's certificate is not inside the signature")
    return matches[0]


def _signed_content(signed_data, nonce):
    encapsulated = signed_data["encap_content_info"]
    if encapsulated["content_type"].native != "data":
        raise malformed("the signed content must be of type data")
    attached = encapsulated["content"].native
    if attached is not None and attached != nonce:
        raise refuse("the signature is over other data than this challenge's nonce")
    return nonce


def _check_signature(signer_info, signer, content, verifiers):
    """Verify the signer's signature over `content`; returns the signingTime attribute if any."""
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    signed_attrs = signer_info["signed_attrs"]
    signing_time = None
    if signed_attrs.native is None:
        data = content
    else:
        attributes = {a["type"].native: a["values"][0].native for a in signed_attrs}
        if attributes.get("content_type") != "data":
            raise refuse("the signed attributes must declare content type data")
        if attributes.get("message_digest") != _digest(digest_name, content):
            raise refuse("the signature is over other data than this challenge's nonce (message digest)")
        signing_time = attributes.get("signing_time")
        data = signed_attrs.untag().dump()  # signed as a SET OF, not with the [0] tag it travels in
    if not verifiers.is_valid(signer.public_key, signer_info["signature_algorithm"],
                              signer_info["signature"].native, data, digest_name):
        raise refuse("the signature does not verify with the signer's certificate")
    return signing_time


def _digest(name, content):
    try:
        return hashlib.new(name, content).digest()
    except (ValueError, TypeError):
        raise refuse(f"the digest algorithm {name} is not supported")


def _identity(certificate, signing_time):
    subject = certificate.subject.native
    serial = _text(subject.get("serial_number"))
    iin = serial[len(IIN_PREFIX):] if serial.upper().startswith(IIN_PREFIX) else ""
    if not iin:
        raise refuse("the certificate's subject has no IIN (serialNumber IIN + 12 digits)")
    problem = iin_problem(iin)
    if problem:
        raise refuse(f"the certificate's IIN {iin} is not valid: {problem}")
    common_name = _text(subject.get("common_name"))
    surname = _text(subject.get("surname")) or common_name.partition(" ")[0]
    given_name = _text(subject.get("given_name"))
    parts = [common_name or surname]
    if given_name and given_name not in parts[0]:
        parts.append(given_name)  # NCA RK puts the patronymic in GIVENNAME, the first name in CN
    full_name = " ".join(p for p in parts if p)
    unit = _text(subject.get("organizational_unit_name"))
    return SignerIdentity(
        iin=iin, full_name=full_name, surname=surname, given_name=given_name,
        certificate_serial=format(certificate.serial_number, "x"), issuer=certificate.issuer.human_friendly,
        signing_time=signing_time,
        bin=unit[len(BIN_PREFIX):] if unit.upper().startswith(BIN_PREFIX) else None,
    )


def _text(value):
    if isinstance(value, list):
        value = value[0] if value else ""
    return (value or "").strip()
