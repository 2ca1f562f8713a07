"""Test PKIs shaped like NCA RK's, made on the fly, and helpers to sign in with them.

    from tests.registry.pki import make_user, sign_nonce, eds_login
    user = make_user()                              # a person with a fresh valid IIN, GOST 2015 key
    token = eds_login(platform.http, user)          # challenge, sign, POST /auth/login -> token
    signature = sign_nonce(user, nonce)             # base64 CMS SignedData over the challenge's text

`session_pki()` is the GOST root + issuing CA (`tests/registry/gost_pki.py`) that
`tests.harness.Platform` puts in the registry's trust store (`EDS_TRUST_STORE`) with its CRL files
(`EDS_CRL_FILE`); `make_user` issues from it. `TestPki()` makes an RSA or ECDSA one (the legacy keys
and other signers), `GostTestPki()` another GOST one. `challenge(http)` answers the nonce carrying
the text to sign (`.data_to_sign`), which `sign_nonce` signs.
"""
import base64
import datetime as dt
import os
import subprocess
import tempfile
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from ops.gost_pki import random_bin, random_iin  # noqa: F401  (tests import them from here)
from tests.registry.gost_pki import INDIVIDUAL, GostKey, GostTestPki, gost_cms

UTC = dt.timezone.utc


def with_wrong_check_digit(iin):
    return iin[:11] + str((int(iin[11]) + 1) % 10)


def new_key(kind="ec"):
    return ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, 2048)


@dataclass
class Issued:
    certificate: x509.Certificate
    key: object
    chain: list = field(default_factory=list)  # the intermediates above it, nearest first

    @property
    def pem(self):
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass
class User(Issued):
    iin: str = ""
    name: str = ""


def _builder(subject, issuer_name, public_key, not_before, not_after):
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name).public_key(public_key)
            .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))


def _key_usage(digital_signature=False, content_commitment=False, key_cert_sign=False, crl_sign=False):
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=content_commitment,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=key_cert_sign, crl_sign=crl_sign, encipher_only=False,
                         decipher_only=False)


def _signed(builder, issuer):
    """`builder` signed by `issuer` (an Issued), with the authority key identifier."""
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    return builder.sign(issuer.key, hashes.SHA256())


class TestPki:
    """A root CA and an intermediate CA (like NCA RK's root and its issuing CA), and their CRLs."""
    __test__ = False

    def __init__(self, label="TEST", folder=None, key_kind="ec"):
        self.folder = folder or tempfile.mkdtemp(prefix="eds-pki-")
        now = dt.datetime.now(UTC)
        self.root = self._ca(f"{label} ROOT CA", None, key_kind, now - dt.timedelta(days=1),
                             now + dt.timedelta(days=3650), path_length=1)
        self.intermediate = self._ca(f"{label} ISSUING CA", self.root, key_kind, now - dt.timedelta(days=1),
                                     now + dt.timedelta(days=1825), path_length=0)
        self.revoked = {id(self.root): [], id(self.intermediate): []}
        self.trust_store_path = os.path.join(self.folder, "trust-store.pem")
        self.crl_path = os.path.join(self.folder, "crl.pem")
        with open(self.trust_store_path, "wb") as f:
            f.write(self.root.pem)
        self._write_crls()

    def _ca(self, common_name, issuer, key_kind, not_before, not_after, path_length):
        key = new_key(key_kind)
        name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
                          x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        builder = (_builder(name, issuer.certificate.subject if issuer else name, key.public_key(), not_before,
                            not_after)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
                   .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True))
        if issuer is None:  # self-signed root
            return Issued(certificate=builder.sign(key, hashes.SHA256()), key=key)
        return Issued(certificate=_signed(builder, issuer), key=key)

    @property
    def config(self):
        """The registry config that trusts this PKI."""
        return {"EDS_TRUST_STORE": [self.trust_store_path], "EDS_CRL_FILE": [self.crl_path]}

    def make_user(self, iin=None, name="ТЕСТОВ ТЕСТ ТЕСТОВИЧ", key_kind="ec", not_before=None,
                  not_after=None, digital_signature=True, bin_=None, usages=INDIVIDUAL):
        """A person's signing certificate from the intermediate CA, subject as NCA RK writes it:
        CN "SURNAME NAME", SURNAME, GIVENNAME (the patronymic), SERIALNUMBER "IIN…", C KZ."""
        iin = iin or random_iin()
        now = dt.datetime.now(UTC)
        words = name.split()
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, " ".join(words[:2])),
                      x509.NameAttribute(NameOID.SURNAME, words[0]),
                      x509.NameAttribute(NameOID.SERIAL_NUMBER, "IIN" + iin),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ")]
        if len(words) > 2:
            attributes.append(x509.NameAttribute(NameOID.GIVEN_NAME, " ".join(words[2:])))
        if bin_:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "BIN" + bin_))
        key = new_key(key_kind)
        builder = (_builder(x509.Name(attributes), self.intermediate.certificate.subject, key.public_key(),
                            not_before or now - dt.timedelta(hours=1), not_after or now + dt.timedelta(days=365))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(_key_usage(digital_signature=digital_signature, content_commitment=True),
                                  critical=True))
        if usages:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([x509.ObjectIdentifier(oid) for oid in usages]), critical=False)
        return User(certificate=_signed(builder, self.intermediate), key=key, chain=[self.intermediate],
                    iin=iin, name=name)

    def revoke(self, user):
        """Put `user`'s certificate on the intermediate CA's CRL (and rewrite the CRL file)."""
        self.revoked[id(self.intermediate)].append(user.certificate.serial_number)
        self._write_crls()

    def _write_crls(self):
        now = dt.datetime.now(UTC)
        with open(self.crl_path + ".tmp", "wb") as f:
            for ca in (self.root, self.intermediate):
                builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.certificate.subject)
                           .last_update(now - dt.timedelta(hours=1)).next_update(now + dt.timedelta(days=7)))
                for serial in self.revoked[id(ca)]:
                    builder = builder.add_revoked_certificate(
                        x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build())
                f.write(builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
        os.replace(self.crl_path + ".tmp", self.crl_path)


def text_of(nonce):
    """What is signed for a challenge: its readable text (a nonce from `challenge`, or the challenge's
    JSON answer), else the string itself."""
    if isinstance(nonce, dict):
        return nonce["data_to_sign"].encode("utf-8")
    return getattr(nonce, "data_to_sign", nonce).encode("utf-8")


def sign_nonce(user, nonce, detached=False, attributes=True, include_chain=True):
    """NCALayer's signature of a challenge: base64 of a CMS SignedData by `user`'s key over the
    challenge's text (GOST keys: as KalkanCrypt writes it; RSA and ECDSA: by `cryptography`)."""
    if isinstance(user.key, GostKey):
        return gost_cms(user, text_of(nonce), detached=detached, include_chain=include_chain)
    options = [pkcs7.PKCS7Options.Binary]
    if detached:
        options.append(pkcs7.PKCS7Options.DetachedSignature)
    if not attributes:
        options.append(pkcs7.PKCS7Options.NoAttributes)
    builder = pkcs7.PKCS7SignatureBuilder().set_data(text_of(nonce)) \
        .add_signer(user.certificate, user.key, hashes.SHA256())
    for certificate in (user.chain if include_chain else []):
        builder = builder.add_certificate(certificate.certificate)
    return base64.b64encode(builder.sign(serialization.Encoding.DER, options)).decode()


def sign_document(user, content, **options):
    """NCALayer's detached signature over a document's bytes (a report's PDF), base64 CMS."""
    if isinstance(user.key, GostKey):
        return gost_cms(user, content, detached=True, **options)
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(user.certificate, user.key, hashes.SHA256())
    for certificate in user.chain:
        builder = builder.add_certificate(certificate.certificate)
    der = builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary, pkcs7.PKCS7Options.DetachedSignature])
    return base64.b64encode(der).decode()


def sign_nonce_with_openssl(user, nonce, detached=False):
    """The same signature made by `openssl cms -sign`, an independent signer."""
    with tempfile.TemporaryDirectory() as folder:
        paths = {name: os.path.join(folder, name) for name in ("cert.pem", "key.pem", "chain.pem", "nonce")}
        with open(paths["cert.pem"], "wb") as f:
            f.write(user.pem)
        with open(paths["key.pem"], "wb") as f:
            f.write(user.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        with open(paths["chain.pem"], "wb") as f:
            f.write(b"".join(c.pem for c in user.chain))
        with open(paths["nonce"], "wb") as f:
            f.write(text_of(nonce))
        command = ["openssl", "cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER",
                   "-signer", paths["cert.pem"], "-inkey", paths["key.pem"], "-certfile", paths["chain.pem"],
                   "-in", paths["nonce"]]
        if not detached:
            command.append("-nodetach")
        der = subprocess.run(command, check=True, capture_output=True).stdout
    return base64.b64encode(der).decode()


_SESSION_PKI = None


_LEGACY_PKI = None


def session_pki():
    """The trusted GOST test PKI, made once per test process."""
    global _SESSION_PKI
    if _SESSION_PKI is None:
        _SESSION_PKI = GostTestPki()
    return _SESSION_PKI


def legacy_pki():
    """The trusted RSA test PKI (the two-key scheme's keys still sign in while valid)."""
    global _LEGACY_PKI
    if _LEGACY_PKI is None:
        _LEGACY_PKI = TestPki("LEGACY", key_kind="rsa")
    return _LEGACY_PKI


def session_config():
    """The registry's EDS settings trusting both test PKIs."""
    gost, legacy = session_pki().config, legacy_pki().config
    return {key: gost[key] + legacy[key] for key in gost}


def make_user(iin=None, name="ТЕСТОВ ТЕСТ ТЕСТОВИЧ", **options):
    """A person with a GOST 2015 certificate from the trusted test PKI, or with a legacy RSA / ECDSA
    one when `key_kind` says so."""
    if options.get("key_kind") in ("rsa", "ec"):
        return legacy_pki().make_user(iin, name, **options)
    return session_pki().make_user(iin, name, **options)


class Challenge(str):
    """A challenge's nonce, carrying the text the person signs."""
    data_to_sign: str


def challenge(http, agreement_language=None):
    """A challenge to sign: the sign-in text, or the accession agreement in `agreement_language`
    (`.agreement` is then the fields a registration or a joining sign-in sends with it)."""
    params = {"agreement_language": agreement_language} if agreement_language else None
    response = http.post("/api/v1/auth/challenge", params=params)
    assert response.status_code == 201, response.text
    answer = response.json()
    nonce = Challenge(answer["nonce"])
    nonce.data_to_sign = answer["data_to_sign"]
    nonce.agreement = {"agreement_version": answer["agreement_version"],
                       "agreement_language": answer["agreement_language"]} if agreement_language else {}
    return nonce


def eds_login(http, user, role=None):
    """Sign in by EDS as `user`; returns the access token (asserting success)."""
    nonce = challenge(http)
    body = {"nonce": nonce, "signature": sign_nonce(user, nonce)}
    if role:
        body["role"] = role
    response = http.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(token):
    return {"Authorization": "Bearer " + token}


def register_student(http, user, university_id, region, **contacts):
    """Register `user` as a student, signing the accession agreement in Kazakh; returns the HTTP response."""
    nonce = challenge(http, agreement_language="kk")
    body = {"nonce": nonce, "signature": sign_nonce(user, nonce), "university_id": university_id,
            "region": region, "phone": "+77011234567", "email": "student@example.kz", "language": "kk",
            **nonce.agreement, **contacts}
    return http.post("/api/v1/auth/register", json=body)
