"""NCA RK's public TEST pack (read from ../shared/nca-test, or NCA_TEST_PACK), never copied here.

`person("individual/valid")` opens a `.p12` of the pack: its certificate, its GOST private key and
the issuing CA above it, as a `tests.registry.pki.User` that the project's signing helpers accept.
The key bag is read by hand (openssl has no GOST): the PKCS#12 KDF (RFC 7292 appendix B), 3DES-CBC,
then a PKCS#8 whose key is 64 little-endian bytes. The pack expires on 2027-05-08; tests pin the clock
inside `VALID_AT`, and NCA publishes a new pack each year to replace it.
"""
import datetime as dt
import hashlib
import os
import subprocess

import pytest
from asn1crypto import core, keys, pem, pkcs12, x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from common import kalkan
from tests.registry.gost_pki import GostKey, Issued

FOLDER = os.environ.get("NCA_TEST_PACK") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "nca-test")
GOST = os.path.join(FOLDER, "gost2015-2026")
RSA = os.path.join(FOLDER, "rsa-legacy-2020")
PASSWORD = "Qwerty12"
VALID_AT = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)  # inside 2026-05-08 .. 2027-05-08
TEST_BIN = "123456789021"

AVAILABLE = os.path.isdir(GOST)
needs_pack = pytest.mark.skipif(not AVAILABLE, reason=f"NCA RK's test pack is not at {FOLDER}")


def path(*parts):
    return os.path.join(FOLDER, *parts)


def _kdf(password, salt, purpose, iterations, size):
    """RFC 7292 appendix B.2 with SHA-1: purpose 1 gives a key, 2 an IV."""
    u, v = 20, 64
    bmp = (password + "\0").encode("utf-16-be")
    d = bytes([purpose]) * v

    def stretch(data):
        return (data * (v // len(data) + 1))[:v * ((len(data) + v - 1) // v)] if data else b""

    i = bytearray(stretch(salt) + stretch(bmp))
    out = b""
    while len(out) < size:
        a = d + bytes(i)
        for _ in range(iterations):
            a = hashlib.sha1(a).digest()
        out += a
        b = int.from_bytes((a * (v // u + 1))[:v], "big")
        for start in range(0, len(i), v):
            block = (int.from_bytes(i[start:start + v], "big") + b + 1) % (1 << (8 * v))
            i[start:start + v] = block.to_bytes(v, "big")
    return out[:size]


def _decrypt(algorithm, data):
    parameters = algorithm["parameters"]
    salt, iterations = parameters["salt"].native, parameters["iterations"].native
    if algorithm["algorithm"].native != "pkcs12_sha1_tripledes_3key":
        raise ValueError(f"unexpected PKCS#12 key encryption {algorithm['algorithm'].native}")
    key = _kdf(PASSWORD, salt, 1, iterations, 24)
    iv = _kdf(PASSWORD, salt, 2, iterations, 8)
    decryptor = Cipher(TripleDES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    return padded[:-padded[-1]]


def open_p12(file_path):
    """(certificate, private key as an integer or None) of a `.p12` of the pack. The certificate bag
    is RC2-40, which only `openssl pkcs12 -legacy` still reads; the key bag is decrypted here."""
    with open(file_path, "rb") as f:
        pfx = pkcs12.Pfx.load(f.read())
    private_key = None
    for content in pkcs12.AuthenticatedSafe.load(pfx["auth_safe"]["content"].native):
        if content["content_type"].native != "data":
            continue
        for bag in pkcs12.SafeContents.load(content["content"].native):
            if bag["bag_id"].native == "pkcs8_shrouded_key_bag":
                info = bag["bag_value"]
                private_key = _private_key(_decrypt(info["encryption_algorithm"], info["encrypted_data"].native))
    pem_text = subprocess.run(["openssl", "pkcs12", "-legacy", "-nokeys", "-clcerts", "-in", file_path,
                               "-passin", "pass:" + PASSWORD], check=True, capture_output=True).stdout
    return x509.Certificate.load(pem.unarmor(pem_text[pem_text.index(b"-----BEGIN"):])[2]), private_key


class _PrivateKeyInfo(core.Sequence):  # PKCS#8, its key left opaque (asn1crypto knows no GOST key)
    _fields = [("version", core.Integer), ("private_key_algorithm", keys.PublicKeyAlgorithm),
               ("private_key", core.OctetString)]


def _private_key(pkcs8_der):
    info = _PrivateKeyInfo.load(pkcs8_der)
    if info["private_key_algorithm"]["algorithm"].dotted != kalkan.GOST_2015_512_KEY:
        return None  # RSA keys of the legacy pack are not needed to sign here
    raw = info["private_key"].native
    if raw[:1] == b"\x04":  # an OCTET STRING inside the OCTET STRING
        raw = core.OctetString.load(raw).native
    return int.from_bytes(raw, "little")


def certificate(*parts):
    with open(path(*parts), "rb") as f:
        data = f.read()
    return x509.Certificate.load(pem.unarmor(data)[2] if pem.detect(data) else data)


def person(name):
    """A key of the GOST pack, e.g. "individual/valid" or "legal/head_valid", ready to sign."""
    cert, key = open_p12(os.path.join(GOST, name + ".p12"))
    subject = cert.subject.native
    iin = subject.get("serial_number", "")[3:]  # an information system has none
    return Issued(cert, GostKey(key), chain=[Issued(certificate("gost2015-2026", "nca_gost2022_test.cer"), None)],
                  iin=iin, name=subject["common_name"])


def gost_config():
    """The registry's EDS settings that trust the pack's GOST CAs as test CAs, with its full CRL. The
    issuing CA is trusted itself, as NCA RK's CAs are in production: the pack has no root CRL."""
    return {"EDS_TRUST_STORE": [], "EDS_TEST_TRUST_STORE": [path("gost2015-2026", "root_test_gost_2022.cer"),
                                                            path("gost2015-2026", "nca_gost2022_test.cer")],
            "EDS_CRL_FILE": [path("gost2015-2026", "nca_gost2022_test.crl")]}
