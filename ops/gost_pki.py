"""A GOST 2015 PKI shaped like NCA RK's, for test CAs only (the test suite's and demo mode's): a root and an issuing CA with
GOST 34.10-2015 512-bit keys, people's certificates with NCA's subject and extended key usages,
full and delta CRLs, and CMS signatures as KalkanCrypt writes them (DER or BER, PEM-armoured or not).

Certificates, CRLs and CMS are built with asn1crypto and signed by `common.gost`, so every GOST
behaviour is tested without NCA's pack (`tests/registry/nca_pack.py` adds NCA's own keys on top), and
demo mode (`ops/demo.py`) issues its people's keys through the same code. Never a production CA.
"""
import base64
import datetime as dt
import hashlib
import os
import random
import secrets
import tempfile

from asn1crypto import cms, crl, pem, x509

from common import gost, kalkan
from common.iin import check_digit

UTC = dt.timezone.utc
SIGNATURE_ALGORITHM = {"algorithm": kalkan.NAMES["signature"]}
DIGEST_ALGORITHM = {"algorithm": kalkan.NAMES["digest"]}
INDIVIDUAL = (kalkan.EKU_EMAIL_PROTECTION, kalkan.EKU_INDIVIDUAL)
LEGAL_HEAD = (kalkan.EKU_EMAIL_PROTECTION, kalkan.EKU_LEGAL_ENTITY, kalkan.EKU_LEGAL_HEAD)
LEGAL_SIGNING_RIGHT = (kalkan.EKU_EMAIL_PROTECTION, kalkan.EKU_LEGAL_ENTITY, kalkan.EKU_LEGAL_SIGNING_RIGHT)
LEGAL_EMPLOYEE = (kalkan.EKU_EMAIL_PROTECTION, kalkan.EKU_LEGAL_ENTITY, kalkan.EKU_LEGAL_EMPLOYEE)
INFORMATION_SYSTEM = (kalkan.EKU_LEGAL_ENTITY, kalkan.EKU_INFORMATION_SYSTEM)


def random_iin(birth=None, sex_digit=None):
    """A valid IIN: birth date YYMMDD, the century/sex digit, a serial and its check digit."""
    rng = random.SystemRandom()
    birth = birth or dt.date(rng.randint(1995, 2007), rng.randint(1, 12), rng.randint(1, 28))
    century_digit = sex_digit or (3 if birth.year < 2000 else 5) + rng.randint(0, 1)
    while True:
        first = f"{birth:%y%m%d}{century_digit}{rng.randint(0, 9999):04d}"
        digit = check_digit(first)
        if digit is not None:
            return first + str(digit)


def random_bin():
    """A valid BIN: registration year and month, a resident legal entity, a serial, its check digit."""
    rng = random.SystemRandom()
    while True:
        first = f"{rng.randint(0, 25):02d}{rng.randint(1, 12):02d}4{rng.randint(0, 999999):06d}"
        digit = check_digit(first)
        if digit is not None:
            return first + str(digit)


class GostKey:
    """A GOST 2015 512-bit key pair."""

    def __init__(self, private=None):
        self.private = private or gost.generate_private_key()
        self.public_key_info = kalkan.gost_key_info(gost.public_key_bytes(gost.public_key_of(self.private)))

    def sign(self, data):
        return gost.sign(self.private, data)


def x509_name(**attributes):
    return x509.Name.build(attributes, use_printable=False)


def key_identifier(public_key_info):
    return hashlib.sha1(public_key_info["public_key"].contents[1:]).digest()


def issue(subject, public_key_info, issuer_name, issuer_key, *, not_before, not_after, extensions,
          serial=None, signature_algorithm=SIGNATURE_ALGORITHM):
    """A certificate signed by `issuer_key` (a GostKey), parsed back from its DER: asn1crypto encodes
    a certificate built from values again each time it goes into a CMS (5x the cost of a signature)."""
    tbs = x509.TbsCertificate({
        "version": "v3", "serial_number": serial or secrets.randbits(152),
        "signature": signature_algorithm, "issuer": issuer_name,
        "validity": {"not_before": x509.Time({"utc_time": not_before}),
                     "not_after": x509.Time({"utc_time": not_after})},
        "subject": subject, "subject_public_key_info": public_key_info,
        "extensions": [{"extn_id": e[0], "critical": e[1], "extn_value": e[2]} for e in extensions],
    })
    built = x509.Certificate({"tbs_certificate": tbs, "signature_algorithm": signature_algorithm,
                              "signature_value": issuer_key.sign(tbs.dump())})
    return x509.Certificate.load(built.dump())


class Issued:
    """A certificate with its key and the CAs above it (nearest first)."""

    def __init__(self, certificate, key, chain=(), iin="", name=""):
        self.certificate, self.key, self.chain = certificate, key, list(chain)
        self.iin, self.name = iin, name

    @property
    def pem(self):
        return pem.armor("CERTIFICATE", self.certificate.dump())


class GostTestPki:
    """A root CA and an issuing CA with GOST keys, like NCA RK's GOST 2022 CAs, and their CRLs.

    `crl_path` holds the full CRLs; `delta_path` a delta CRL once `revoke(..., delta=True)` made one."""
    __test__ = False

    def __init__(self, label="TEST", folder=None, crl_url=None, organisation=None, cas=None):
        """`cas`: the (root, intermediate) Issued of an authority made before (demo mode keeps its own)."""
        self.folder = folder or tempfile.mkdtemp(prefix="eds-gost-pki-")
        now = dt.datetime.now(UTC).replace(microsecond=0)
        if cas:
            self.root, self.intermediate = cas
        else:
            self.root = self._ca(f"{label} ROOT CA (GOST)", None, now - dt.timedelta(days=1),
                                 now + dt.timedelta(days=3650), organisation=organisation)
            self.intermediate = self._ca(f"{label} ISSUING CA (GOST)", self.root, now - dt.timedelta(days=1),
                                         now + dt.timedelta(days=1825), crl_url=crl_url, organisation=organisation)
        self.revoked, self.delta_revoked, self.crl_number = [], [], 1
        self.trust_store_path = os.path.join(self.folder, "trust-store.pem")
        self.crl_path = os.path.join(self.folder, "crl.pem")
        self.delta_path = os.path.join(self.folder, "delta.crl")
        with open(self.trust_store_path, "wb") as f:
            f.write(self.root.pem)
        self.write_crls()

    def _ca(self, common_name, issuer, not_before, not_after, crl_url=None, organisation=None):
        key = GostKey()
        names = {"common_name": common_name, "country_name": "KZ"}
        if organisation:
            names["organization_name"] = organisation
        subject = x509_name(**names)
        extensions = [("basic_constraints", True, {"ca": True}),
                      ("key_usage", True, {"key_cert_sign", "crl_sign"}),
                      ("key_identifier", False, key_identifier(key.public_key_info))]
        if crl_url:
            extensions.append(("crl_distribution_points", False,
                               [{"distribution_point": x509.DistributionPointName(
                                   name="full_name",
                                   value=[x509.GeneralName(name="uniform_resource_identifier", value=crl_url)])}]))
        certificate = issue(subject, key.public_key_info, issuer.certificate.subject if issuer else subject,
                            issuer.key if issuer else key, not_before=not_before, not_after=not_after,
                            extensions=extensions)
        return Issued(certificate, key, chain=[issuer] if issuer else [])

    @property
    def config(self):
        """The registry config that trusts this PKI (as a test CA, so test IINs pass too)."""
        return {"EDS_TRUST_STORE": [self.trust_store_path], "EDS_CRL_FILE": [self.crl_path, self.delta_path]}

    def make_user(self, iin=None, name="ТЕСТОВ ТЕСТ ТЕСТОВИЧ", *, usages=INDIVIDUAL, bin_=None,
                  not_before=None, not_after=None, extra_extensions=(), key=None, organisation_name="АО «ТЕСТ»"):
        """A person's certificate from the issuing CA, subject and usages as NCA RK writes them."""
        iin = iin or random_iin()
        now = dt.datetime.now(UTC).replace(microsecond=0)
        words = name.split()
        attributes = {"common_name": " ".join(words[:2]), "surname": words[0], "serial_number": "IIN" + iin,
                      "country_name": "KZ"}
        if len(words) > 2:
            attributes["given_name"] = " ".join(words[2:])
        if bin_:
            attributes["organizational_unit_name"] = "BIN" + bin_
            attributes["organization_name"] = organisation_name
        key = key or GostKey()
        extensions = [("key_usage", True, {"digital_signature", "non_repudiation", "key_agreement"}),
                      ("key_identifier", False, key_identifier(key.public_key_info)),
                      ("authority_key_identifier", False,
                       {"key_identifier": key_identifier(self.intermediate.key.public_key_info)}),
                      ("certificate_policies", False, [{"policy_identifier": "1.2.398.3.3.2"}])]
        if usages:
            extensions.append(("extended_key_usage", False, list(usages)))
        extensions.extend(extra_extensions)
        certificate = issue(x509_name(**attributes), key.public_key_info, self.intermediate.certificate.subject,
                            self.intermediate.key, not_before=not_before or now - dt.timedelta(hours=1),
                            not_after=not_after or now + dt.timedelta(days=365), extensions=extensions)
        return Issued(certificate, key, chain=[self.intermediate], iin=iin, name=name)

    def revoke(self, user, delta=False):
        """List `user` on the issuing CA's full CRL, or only on a new delta CRL."""
        (self.delta_revoked if delta else self.revoked).append(user.certificate.serial_number)
        self.write_crls()

    def write_crls(self, this_update=None, next_update=None):
        now = dt.datetime.now(UTC).replace(microsecond=0)
        this_update = this_update or now - dt.timedelta(hours=1)
        next_update = next_update or now + dt.timedelta(days=7)
        self.crl_number += 1
        full = [certificate_list(ca, revoked, this_update, next_update, self.crl_number)
                for ca, revoked in ((self.root, []), (self.intermediate, self.revoked))]
        _write(self.crl_path, b"".join(pem.armor("X509 CRL", c.dump()) for c in full))
        if self.delta_revoked:
            delta = certificate_list(self.intermediate, self.delta_revoked, this_update, next_update,
                                     self.crl_number + 1, delta_base=self.crl_number)
            _write(self.delta_path, delta.dump())


def certificate_list(ca, serials, this_update, next_update, number, delta_base=None):
    extensions = [{"extn_id": "crl_number", "critical": False, "extn_value": number}]
    if delta_base is not None:
        extensions.append({"extn_id": "delta_crl_indicator", "critical": True, "extn_value": delta_base})
    tbs = crl.TbsCertList({
        "version": "v2", "signature": SIGNATURE_ALGORITHM, "issuer": ca.certificate.subject,
        "this_update": x509.Time({"utc_time": this_update}), "next_update": x509.Time({"utc_time": next_update}),
        "revoked_certificates": [{"user_certificate": s, "revocation_date": x509.Time({"utc_time": this_update})}
                                 for s in serials] or None,
        "crl_extensions": extensions,
    })
    return crl.CertificateList({"tbs_cert_list": tbs, "signature_algorithm": SIGNATURE_ALGORITHM,
                                "signature": ca.key.sign(tbs.dump())})


def _write(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


def gost_cms(user, content, *, detached=False, signing_time=None, include_chain=True, ber=False,
             armour=False, certificate=None):
    """KalkanCrypt's CMS SignedData over `content` (bytes) by `user`: signed attributes contentType,
    signingTime, messageDigest (Streebog-512); base64 DER, or BER with indefinite lengths, or
    PEM-armoured as NCALayer's `basics.sign` answers. `certificate` swaps the certificate inside."""
    signing_time = signing_time or dt.datetime.now(UTC).replace(microsecond=0)
    attributes = cms.CMSAttributes([
        {"type": "content_type", "values": ["data"]},
        {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]},
        {"type": "message_digest", "values": [gost.streebog512(content)]},
    ])
    signer_certificate = certificate or user.certificate
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": {"issuer_and_serial_number": {"issuer": signer_certificate.issuer,
                                             "serial_number": signer_certificate.serial_number}},
        "digest_algorithm": DIGEST_ALGORITHM, "signed_attrs": attributes,
        "signature_algorithm": SIGNATURE_ALGORITHM, "signature": user.key.sign(attributes.dump()),
    })
    chain = [c.certificate for c in user.chain] if include_chain else []
    signed_data = cms.SignedData({
        "version": "v1", "digest_algorithms": [DIGEST_ALGORITHM],
        "encap_content_info": {"content_type": "data", "content": None if detached else content},
        "certificates": [signer_certificate] + chain, "signer_infos": [signer],
    })
    der = cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
    if ber:
        der = indefinite(der, depth=2)
    if armour:
        return pem.armor("CMS", der).decode()
    return base64.b64encode(der).decode()


def indefinite(der, depth):
    """`der` with its outer `depth` constructed layers re-encoded with indefinite lengths (BER):
    ContentInfo, then its [0] and the SignedData inside."""
    inner = der[_header_length(der):]
    if depth > 1:
        oid_length = _header_length(inner) + _content_length(inner)
        explicit = inner[oid_length:]
        signed_data = explicit[_header_length(explicit):]
        inner = inner[:oid_length] + explicit[:1] + b"\x80" + indefinite(signed_data, depth - 1) + b"\x00\x00"
    return der[:1] + b"\x80" + inner + b"\x00\x00"


def _header_length(der):
    return 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)


def _content_length(der):
    return der[1] if der[1] < 0x80 else int.from_bytes(der[2:2 + (der[1] & 0x7F)], "big")


def signature_swap_bit(signature_b64):
    """The signature with one bit of its signature value flipped (the last byte of the DER)."""
    der = bytearray(base64.b64decode(signature_b64))
    der[-1] ^= 0x01
    return base64.b64encode(bytes(der)).decode()


def unknown_critical_extension():
    return ("1.2.398.3.3.99", True, b"\x05\x00")
