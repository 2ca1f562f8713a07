"""EDS (ЭЦП): checking a CMS SignedData over a document, as NCALayer makes it.

The person signs a challenge's readable text (platform, purpose, nonce, time; NCALayer's
`basics.sign` and eGov Mobile show it), the accession agreement with a challenge's nonce inside, or a
document's bytes (a completion report's PDF, detached), and the client sends the CMS SignedData:
base64 DER or BER (KalkanCrypt writes indefinite lengths), or PEM-armoured as `basics.sign` answers,
the content attached or detached. `verify_signed_content` (bytes; `verify_signed_text` for a text)
accepts it only when, in this order:

1. it parses as a SignedData with one signer whose certificate travels inside it;
2. the signed content is exactly the document (attached content compared, detached content
   supplied), through the `messageDigest` signed attribute when there are signed attributes;
3. the signature verifies with the signer certificate's key;
4. the signing time (the `signingTime` attribute, else now) lies between the moment the document
   could first be signed (a challenge's issue) and now, so a signer cannot back-date a signature into
   an expired certificate's validity;
5. the certificate chains, through certificates in the SignedData, to one in the trust store, each
   signature verifying, each certificate valid at the signing time, each issuer a CA allowed to sign
   certificates, no certificate carrying a critical extension this verifier does not process, the
   signer's key usage allowing digitalSignature;
6. the revocation checker finds no certificate of the chain revoked (full and delta CRLs, or OCSP);
7. the certificate's extended key usage names a holder who may sign in (`certificate_role`), and its
   subject's serialNumber is `IIN` + a valid IIN (test IINs only under a CA marked as a test CA).

The identity it returns carries the evidence of the check (`evidence`): the document's digest, the
chain with each certificate's validity, the revocation source and its time, so a signature kept
with its document can be verified again later at its recorded signing time (`verify_again`), after
the certificate expired or its CRL moved on.

ASN.1 is parsed by asn1crypto, with NCA RK's identifiers registered by `common.kalkan`. Signatures
are checked by `SignatureVerifier`s: GOST 34.10-2015 512 (`common.gost`) and RSA / ECDSA
(`cryptography`) are built in; others plug in by `EDS_EXTRA_VERIFIERS` ("package.module:Class").
"""
import base64
import binascii
import collections
import datetime as dt
import functools
import hashlib
import importlib
import os
from dataclasses import dataclass, field, replace

from asn1crypto import cms, crl, ocsp, pem, x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from common import gost, kalkan
from common.errors import Unauthenticated, ValidationFailed
from services.registry.rules import ROLE_INFORMATION_SYSTEM, certificate_role, iin_problem

IIN_PREFIX = "IIN"
BIN_PREFIX = "BIN"
MAX_CHAIN_LENGTH = 8
CLOCK_SKEW = dt.timedelta(minutes=2)
# Critical extensions this verifier processes; a certificate with any other critical one is refused.
PROCESSED_CRITICAL_EXTENSIONS = {"basic_constraints", "key_usage", "extended_key_usage", "certificate_policies"}


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

    def verify(self, public_key_info, signature_algorithm, signature, data, digest_algorithm=None,
               signs_often=False):
        """Raise cryptography's InvalidSignature unless `signature` over `data` verifies.

        `signature_algorithm` is an asn1crypto SignedDigestAlgorithm; `digest_algorithm` names the
        hash when the signature algorithm alone does not (a CMS signer's `rsaEncryption`);
        `signs_often` marks a CA's key, worth a precomputed table where the algorithm has one."""
        raise NotImplementedError


class CryptographyVerifier(SignatureVerifier):
    """RSA PKCS#1 v1.5 and ECDSA with the SHA-1/SHA-2 family, by `cryptography`."""

    HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
              "sha384": hashes.SHA384, "sha512": hashes.SHA512}

    def supports(self, public_key_info):
        return public_key_info.algorithm in ("rsa", "ec")

    def verify(self, public_key_info, signature_algorithm, signature, data, digest_algorithm=None,
               signs_often=False):
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


class GostVerifier(SignatureVerifier):
    """GOST 34.10-2015 512-bit (paramSetA) with Streebog-512, in KalkanCrypt's little-endian layout."""

    SIGNATURE_ALGORITHMS = {kalkan.GOST_2015_512_SIGNATURE, kalkan.GOST_2015_512_KEY}

    def supports(self, public_key_info):
        return kalkan.is_gost_key(public_key_info)

    def verify(self, public_key_info, signature_algorithm, signature, data, digest_algorithm=None,
               signs_often=False):
        if signature_algorithm["algorithm"].dotted not in self.SIGNATURE_ALGORITHMS:
            raise InvalidSignature("a GOST key signs with GOST 34.10-2015 512 only")
        if digest_algorithm not in (None, kalkan.NAMES["digest"]):
            raise InvalidSignature("a GOST 2015 signature is over a Streebog-512 digest")
        parameters = public_key_info["algorithm"]["parameters"]
        curve = parameters.parsed[0].native if parameters.native is not None else None
        if curve not in (kalkan.GOST_2015_512_PARAMSET_A, None):
            raise InvalidSignature(f"the GOST key is on an unsupported curve ({curve})")
        point = _gost_point(kalkan.gost_key_bytes(public_key_info))
        try:
            gost.verify(point, data, signature, often=signs_often)
        except gost.InvalidSignature as exc:
            raise InvalidSignature(str(exc))


@functools.lru_cache(maxsize=1024)
def _gost_point(key_bytes):
    return gost.public_key_from_bytes(key_bytes)


def _hash_of(signature_algorithm):
    try:
        return signature_algorithm.hash_algo
    except ValueError:
        return None


class Verifiers:
    """The signature verifiers in use; the first that supports a key checks its signatures.

    What a CA signed (a certificate, a CRL) is checked once: the answer is remembered by the signed
    bytes' and the issuer's fingerprints (only those: a parsed certificate kept as a key held ~50 KB,
    200 MB for 4,096 sign-ins), so a sign-in re-verifies only what is new to this process."""

    def __init__(self, verifiers, remembered=4096):
        self.verifiers = tuple(verifiers)
        self.remembered = remembered
        self._answers = collections.OrderedDict()  # (signed's, issuer's fingerprint) -> valid, oldest first

    def is_valid(self, public_key_info, signature_algorithm, signature, data, digest_algorithm=None,
                 signs_often=False):
        verifier = next((v for v in self.verifiers if v.supports(public_key_info)), None)
        if verifier is None:
            raise refuse(f"the key algorithm {public_key_info['algorithm']['algorithm'].dotted} is not supported")
        try:
            verifier.verify(public_key_info, signature_algorithm, signature, data, digest_algorithm, signs_often)
        except (InvalidSignature, UnsupportedAlgorithm, ValueError):
            return False
        return True

    def signed_by(self, signed, issuer):
        """True if `issuer`'s key made the signature of `signed` (a certificate or a CRL)."""
        key = (hashlib.sha256(signed.dump()).digest(), hashlib.sha256(issuer.dump()).digest())
        if key not in self._answers:
            self._answers[key] = self._check_signed_by(signed, issuer)
            while len(self._answers) > self.remembered:
                self._answers.popitem(last=False)
        return self._answers[key]

    def _check_signed_by(self, signed, issuer):
        tbs = signed["tbs_certificate"] if isinstance(signed, x509.Certificate) else signed["tbs_cert_list"]
        return self.is_valid(issuer.public_key, signed["signature_algorithm"], signed.signature, tbs.dump(),
                             signs_often=True)


def load_verifiers(extra_paths=()):
    """The built-in verifiers (GOST 2015, then RSA / ECDSA) plus those named "package.module:Class"."""
    extra = []
    for path in extra_paths:
        module_name, _, class_name = path.partition(":")
        extra.append(getattr(importlib.import_module(module_name), class_name)())
    return Verifiers(extra + [GostVerifier(), CryptographyVerifier()])


# Trust store and certificates

def load_certificates(path):
    """Every certificate in a PEM (one or many blocks) or DER file."""
    with open(path, "rb") as f:
        data = f.read()
    if pem.detect(data):
        return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [x509.Certificate.load(data)]


# The organisation named in demo mode's CA certificates (ops/demo.py): such a CA is a test CA only.
DEMO_AUTHORITY = "STUDENT VOUCHER DEMO (NOT A REAL CA)"


def is_demo_authority(certificate):
    return certificate.subject.native.get("organization_name") == DEMO_AUTHORITY


class TrustStore:
    """The certificates a chain may end in (NCA RK's roots and CAs in production), and those the
    deployment marks as test CAs (`EDS_TEST_TRUST_STORE`): NCA's test identities carry IINs and BINs
    without valid check digits, accepted only under a test CA. Demo mode's CA is refused among the
    production ones, so a demo key never signs in where real keys do."""

    def __init__(self, certificates, test_certificates=()):
        certificates = list(certificates)
        demo = [describe(c) for c in certificates if is_demo_authority(c)]
        if demo:
            raise ValueError(f"EDS_TRUST_STORE holds demo mode's CA ({demo[0]}): it belongs in "
                             "EDS_TEST_TRUST_STORE of a local demo run, never among trusted CAs")
        self.test_certificates = list(test_certificates)
        self.certificates = certificates + self.test_certificates

    @classmethod
    def from_files(cls, paths, test_paths=()):
        return cls((cert for path in paths for cert in load_certificates(path)),
                   (cert for path in test_paths for cert in load_certificates(path)))

    @property
    def accepts_test_keys(self):
        return bool(self.test_certificates)

    def is_test(self, anchor):
        return any(anchor.sha256 == c.sha256 for c in self.test_certificates)

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
    """Validity at `at` for every certificate; no critical extension left unprocessed; CA rights for
    issuers; digitalSignature for the signer."""
    for position, certificate in enumerate(chain):
        who = "the signer's certificate" if position == 0 else f"the CA certificate {describe(certificate)}"
        unknown = [e["extn_id"].dotted for e in certificate["tbs_certificate"]["extensions"]
                   if e["critical"].native and e["extn_id"].native not in PROCESSED_CRITICAL_EXTENSIONS]
        if unknown:
            raise refuse(f"{who} has a critical extension this platform does not process ({', '.join(unknown)})")
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
    status cannot be established; when the certificate is good it returns what showed it (a dict:
    `source` and the source's own time), kept as evidence."""

    def check(self, certificate, issuer, at):
        raise NotImplementedError


CRL_REFRESH_HINT = "refresh the CRLs (python -m ops.crls refresh, run by a timer)"


class CrlFileChecker(RevocationChecker):
    """Full and delta CRLs from files or folders (PEM or DER), re-read when a file changes, as the
    CRL refresh (`ops/crls.py`) rewrites them.

    Fails closed: a certificate whose issuer has no current full CRL here is refused, and a stale one
    says so. A delta CRL adds its entries to every current full CRL at or past its base number;
    a stale delta is left out (the full CRL alone still answers)."""

    def __init__(self, paths, verifiers):
        self.paths = list(paths)
        self.verifiers = verifiers
        self.loaded = {}  # path -> (mtime, [LoadedCrl])

    def check(self, certificate, issuer, at):
        lists = [c for c in self._crls() if c.issuer == issuer.subject and c.signed_by(issuer, self.verifiers)]
        full = [c for c in lists if c.delta_base is None]
        if not full:
            raise refuse(f"revocation status unknown: no CRL from {describe(issuer)}; {CRL_REFRESH_HINT}")
        current = [c for c in full if c.is_current(at)]
        if not current:
            newest = max(full, key=lambda c: c.this_update)
            raise refuse(f"revocation status unknown: the CRL from {describe(issuer)} is stale (its next "
                         f"update was due {newest.next_update:%Y-%m-%d %H:%M} UTC); {CRL_REFRESH_HINT}")
        base_number = max(c.number or 0 for c in current)
        deltas = [c for c in lists if c.delta_base is not None and c.delta_base <= base_number and c.is_current(at)]
        serial = certificate.serial_number
        for certificate_list in current + deltas:
            if serial in certificate_list.revoked:
                raise refuse(f"the certificate has been revoked (serial {serial:x}, on "
                             f"{certificate_list.revoked[serial]:%Y-%m-%d})")
        newest = max(current, key=lambda c: (c.number or 0, c.this_update))
        return {"source": "crl", "issuer": describe(issuer), "crl_number": newest.number,
                "this_update": _iso(newest.this_update), "next_update": _iso(newest.next_update),
                "delta_crl_numbers": sorted(c.number for c in deltas if c.number is not None)}

    def _crls(self):
        lists = []
        for path in _files(self.paths):
            mtime = os.path.getmtime(path)
            if self.loaded.get(path, (None,))[0] != mtime:
                self.loaded[path] = (mtime, [LoadedCrl(c) for c in _load_crls(path)])
            lists.extend(self.loaded[path][1])
        return lists


def _files(paths):
    """The CRL files named, a folder standing for the files in it; missing ones are not downloaded yet
    (their issuers' status stays unknown)."""
    for path in paths:
        if os.path.isdir(path):
            yield from sorted(os.path.join(path, name) for name in os.listdir(path)
                              if not name.startswith(".") and os.path.isfile(os.path.join(path, name)))
        elif os.path.exists(path):
            yield path


class LoadedCrl:
    """A CRL as read from its file: revoked serials indexed, its signature checked once per issuer
    (a national CA's CRL lists many thousands of certificates, and every sign-in consults it)."""

    def __init__(self, certificate_list):
        self.certificate_list = certificate_list
        self.issuer = certificate_list.issuer
        tbs = certificate_list["tbs_cert_list"]
        self.this_update = tbs["this_update"].native
        self.next_update = tbs["next_update"].native
        self.number = certificate_list.crl_number_value.native if certificate_list.crl_number_value else None
        indicator = certificate_list.delta_crl_indicator_value
        self.delta_base = indicator.native if indicator is not None else None
        self.revoked = {entry["user_certificate"].native: entry["revocation_date"].native
                        for entry in tbs["revoked_certificates"]}
        self._signed_by = {}

    def is_current(self, at):
        return self.this_update <= at + CLOCK_SKEW and (self.next_update is None or self.next_update >= at)

    def signed_by(self, issuer, verifiers):
        if issuer.sha256 not in self._signed_by:
            self._signed_by[issuer.sha256] = verifiers.signed_by(self.certificate_list, issuer)
        return self._signed_by[issuer.sha256]


def _load_crls(path):
    """The CRLs in a file; a file in a CRL folder that holds none (a certificate, say) gives none."""
    with open(path, "rb") as f:
        data = f.read()
    if pem.detect(data):
        return [crl.CertificateList.load(der) for kind, _, der in pem.unarmor(data, multiple=True)
                if kind == "X509 CRL"]
    try:
        certificate_list = crl.CertificateList.load(data)
        certificate_list["tbs_cert_list"]["issuer"].native  # parsed lazily: a non-CRL fails here
    except ValueError:
        return []
    return [certificate_list]


class OcspChecker(RevocationChecker):
    """Asks an OCSP responder (`url`, else the one the certificate names) about each certificate.

    The response must be signed by the issuer or by a responder certificate the issuer signed for
    OCSP signing, must be about this certificate, and must say "good". `post(url, body, timeout)`
    returns the response bytes; by default an HTTP POST."""

    def __init__(self, verifiers, url=None, timeout=5.0, post=None, max_age=dt.timedelta(minutes=15)):
        self.verifiers = verifiers
        self.url = url
        self.timeout = timeout
        self.post = post or _http_post
        self.max_age = max_age  # an answer produced longer ago is a replay, whatever its nextUpdate says

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
        self._check_fresh(basic["tbs_response_data"]["produced_at"].native, "produced", at)
        return {**self._read_status(basic, request, at), "responder": url}

    def _check_fresh(self, instant, what, at):
        if instant is None or instant > at + CLOCK_SKEW:
            raise refuse(f"revocation status unknown: the OCSP response was {what} in the future")
        if instant < at - self.max_age:
            raise refuse(f"revocation status unknown: the OCSP response was {what} {instant:%Y-%m-%d %H:%M} UTC, "
                         f"more than {int(self.max_age.total_seconds() // 60)} minutes before the signature")

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
            self._check_fresh(single["this_update"].native, "issued (thisUpdate)", at)
            status = single["cert_status"].name
            if status == "good":
                return {"source": "ocsp", "produced_at": _iso(basic["tbs_response_data"]["produced_at"].native),
                        "this_update": _iso(single["this_update"].native)}
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
    """Only for a local run without CRLs; never in production (see docs/eds.md)."""

    def check(self, certificate, issuer, at):
        return {"source": "none"}


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
    role: str  # who holds the certificate, by its extended key usage (rules.certificate_role)
    bin: str | None = None  # an organisation's employee certificate carries its BIN in OU
    test_ca: bool = False  # the chain ends in a CA the deployment marks as a test CA
    # what was checked, as JSON-ready values: document digest, chain, revocation, times
    evidence: dict = field(default=None, compare=False, repr=False)


def verify_signed_text(signature, text, **options):
    """`verify_signed_content` over `text`'s UTF-8 bytes (a challenge's text, the agreement)."""
    return verify_signed_content(signature, text.encode("utf-8"), **options)


def verify_signed_content(signature, content, *, trust_store, revocation, verifiers, issued_at, now,
                          clock_skew=CLOCK_SKEW):
    """The identity proven by `signature`, a CMS SignedData over the bytes `content` (attached or
    detached), signed between `issued_at` and `now`; raises ValidationFailed (400) for input that is
    not a SignedData and Unauthenticated (401) naming the reason otherwise."""
    if not trust_store.certificates:
        raise refuse("EDS is not configured: the trust store is empty")
    signed_data = _parse_signed_data(signature)
    try:
        return _verify(signed_data, content, trust_store, revocation, verifiers, issued_at, now, clock_skew)
    except (ValueError, TypeError, KeyError) as exc:  # asn1crypto parses lazily: bad inner DER surfaces here
        raise malformed(f"the signature could not be parsed ({exc.__class__.__name__})")


def verify_again(signature, content, evidence, *, trust_store, verifiers):
    """Checks a kept signature over its kept document again, at the signing time its evidence
    records: the same signer certificate, the signature, the chain to today's trust store, each
    certificate valid at that time. Revocation is what the evidence recorded when it was signed (a
    CRL current then is long replaced). Returns the identity, or raises like `verify_signed_content`."""
    signed_at = dt.datetime.fromisoformat(evidence["signed_at"])
    identity = verify_signed_content(signature, content, trust_store=trust_store, revocation=NoRevocationCheck(),
                                     verifiers=verifiers, issued_at=signed_at, now=signed_at,
                                     clock_skew=dt.timedelta(0))
    if identity.evidence["signer"]["certificate_sha256"] != evidence["signer"]["certificate_sha256"]:
        raise refuse("the signature is by another certificate than the one on record")
    if identity.evidence["document_sha256"] != evidence["document_sha256"]:
        raise refuse("the document is not the one on record")
    return identity


def _parse_signed_data(signature):
    """A SignedData from base64 (DER or BER) or from PEM armour (`-----BEGIN CMS-----`)."""
    der = signature_bytes(signature)
    try:
        content_info = cms.ContentInfo.load(der, strict=True)
        if content_info["content_type"].native != "signed_data":
            raise malformed("the signature is not a CMS SignedData")
        return content_info["content"]
    except (ValueError, TypeError):
        raise malformed("the signature is not a DER or BER CMS SignedData")


def signature_bytes(signature):
    """The DER (or BER) bytes of a signature given as base64 or PEM (also to compare two copies)."""
    if signature.lstrip().startswith("-----BEGIN"):
        try:
            _, _, der = pem.unarmor(signature.strip().encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise malformed("the signature's PEM armour is broken")
    else:
        try:
            der = base64.b64decode("".join(signature.split()), validate=True)
        except (binascii.Error, ValueError):
            raise malformed("the signature is not valid base64")
    return der


def _verify(signed_data, text, trust_store, revocation, verifiers, issued_at, now, clock_skew):
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise malformed("the signature must have exactly one signer")
    signer_info = signer_infos[0]
    certificates = [c.chosen for c in signed_data["certificates"] if c.name == "certificate"]
    signer = _signer_certificate(signer_info, certificates)
    content = _signed_content(signed_data, text)
    signing_time = _check_signature(signer_info, signer, content, verifiers) or now
    if not issued_at - clock_skew <= signing_time <= now + clock_skew:
        raise refuse("the signing time lies outside the time this document could be signed in "
                     f"({issued_at:%Y-%m-%d %H:%M:%S} to {now:%Y-%m-%d %H:%M:%S} UTC)")
    chain = build_chain(signer, certificates, trust_store, verifiers)
    check_chain(chain, signing_time)
    revocations = [revocation.check(certificate, issuer, signing_time) or {"source": "unknown"}
                   for certificate, issuer in zip(chain, chain[1:])]
    identity = _identity(signer, signing_time, test_ca=trust_store.is_test(chain[-1]))
    evidence = {
        "document_sha256": hashlib.sha256(content).hexdigest(),
        "signed_at": _iso(signing_time), "verified_at": _iso(now),
        "signer": {"iin": identity.iin, "name": identity.full_name, "role": identity.role, "bin": identity.bin,
                   "certificate_serial": identity.certificate_serial,
                   "certificate_sha256": signer.sha256.hex()},
        "chain": [_certificate_evidence(c) for c in chain],
        "revocation": [{"certificate_serial": format(c.serial_number, "x"), **checked}
                       for c, checked in zip(chain, revocations)],
        "trust_anchor": "test" if identity.test_ca else "production",
    }
    return replace(identity, evidence=evidence)


def _certificate_evidence(certificate):
    validity = certificate["tbs_certificate"]["validity"]
    return {"subject": describe(certificate), "serial": format(certificate.serial_number, "x"),
            "sha256": certificate.sha256.hex(), "not_before": _iso(validity["not_before"].native),
            "not_after": _iso(validity["not_after"].native)}


def _iso(moment):
    return moment.astimezone(dt.timezone.utc).isoformat() if moment is not None else None


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


def _signed_content(signed_data, text):
    encapsulated = signed_data["encap_content_info"]
    if encapsulated["content_type"].native != "data":
        raise malformed("the signed content must be of type data")
    attached = encapsulated["content"].native
    if attached is not None and attached != text:
        raise refuse("the signature is over another document (its attached content differs)")
    return text


def _check_signature(signer_info, signer, content, verifiers):
    """Verify the signer's signature over `content`; returns the signingTime attribute if any."""
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    signed_attrs = signer_info["signed_attrs"]
    signing_time = None
    if signed_attrs.native is None:
        candidates = [content]
    else:
        attributes = {a["type"].native: a["values"][0].native for a in signed_attrs}
        if attributes.get("content_type") != "data":
            raise refuse("the signed attributes must declare content type data")
        if attributes.get("message_digest") != _digest(digest_name, content):
            raise refuse("the signature is over another document (message digest)")
        signing_time = attributes.get("signing_time")
        # signed as a DER SET OF, not with the [0] tag it travels in; BER input is re-encoded
        as_sent = signed_attrs.untag().dump()
        candidates = [as_sent]
        as_der = signed_attrs.untag().dump(force=True)
        if as_der != as_sent:
            candidates.append(as_der)
    if not any(verifiers.is_valid(signer.public_key, signer_info["signature_algorithm"],
                                  signer_info["signature"].native, data, digest_name) for data in candidates):
        raise refuse("the signature does not verify with the signer's certificate")
    return signing_time


def _digest(name, content):
    if name == kalkan.NAMES["digest"]:
        return gost.streebog512(content)
    try:
        return hashlib.new(name, content).digest()
    except (ValueError, TypeError):
        raise refuse(f"the digest algorithm {name} is not supported")


def _identity(certificate, signing_time, test_ca=False):
    usage = certificate.extended_key_usage_value
    role = certificate_role(certificate.public_key.algorithm,
                            [purpose.dotted for purpose in usage] if usage is not None else [])
    if role is None:
        raise refuse("the certificate is not one a person signs in with: its extended key usage names no "
                     "individual or organisation's employee (NCA RK's 1.2.398.3.3.4.1.x)")
    if role == ROLE_INFORMATION_SYSTEM:
        raise refuse("an information system's certificate cannot sign in or sign for a person")
    subject = certificate.subject.native
    serial = _text(subject.get("serial_number"))
    iin = serial[len(IIN_PREFIX):] if serial.upper().startswith(IIN_PREFIX) else ""
    if not iin:
        raise refuse("the certificate's subject has no IIN (serialNumber IIN + 12 digits)")
    problem = iin_problem(iin, test=test_ca)
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
        signing_time=signing_time, role=role, test_ca=test_ca,
        bin=unit[len(BIN_PREFIX):] if unit.upper().startswith(BIN_PREFIX) else None,
    )


def _text(value):
    if isinstance(value, list):
        value = value[0] if value else ""
    return (value or "").strip()
