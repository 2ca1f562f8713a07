"""NCA RK's certificate formats in asn1crypto: the Kazakh GOST object identifiers and key layout,
and the extended key usages that say who holds a certificate.

Importing this module registers the identifiers, so asn1crypto parses NCA RK's certificates, CRLs
and CMS (KalkanCrypt's output) and names the algorithms.
"""
from asn1crypto import algos, core, keys

GOST_2015_512_KEY = "1.2.398.3.10.1.1.2.2"
GOST_2015_512_PARAMSET_A = "1.2.398.3.10.1.1.2.2.1"
GOST_2015_512_SIGNATURE = "1.2.398.3.10.1.1.2.3.2"  # GOST 34.10-2015 512 with Streebog-512
STREEBOG_512 = "1.2.398.3.10.1.3.3"

# Extended key usages since 2024: the holder's kind (the certificate policy no longer says it).
EKU_INDIVIDUAL = "1.2.398.3.3.4.1.1"
EKU_LEGAL_ENTITY = "1.2.398.3.3.4.1.2"
EKU_LEGAL_HEAD = "1.2.398.3.3.4.1.2.1"
EKU_LEGAL_SIGNING_RIGHT = "1.2.398.3.3.4.1.2.2"
EKU_LEGAL_EMPLOYEE = "1.2.398.3.3.4.1.2.5"
EKU_INFORMATION_SYSTEM = "1.2.398.3.3.4.1.2.6"
EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"          # the legacy RSA scheme's AUTH key
EKU_EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4"     # its signing key (and every key since 2024)

NAMES = {
    "key": "kz_gost_2015_512",
    "signature": "kz_gost_2015_512_streebog512",
    "digest": "streebog512",
}


def _register(identifier_class, oid, name):
    identifier_class._map[oid] = name
    if identifier_class._reverse_map is not None:
        identifier_class._reverse_map[name] = oid


def _register_all():
    _register(keys.PublicKeyAlgorithmId, GOST_2015_512_KEY, NAMES["key"])
    _register(algos.SignedDigestAlgorithmId, GOST_2015_512_SIGNATURE, NAMES["signature"])
    _register(algos.DigestAlgorithmId, STREEBOG_512, NAMES["digest"])
    original = keys.PublicKeyInfo._spec_callbacks["public_key"]

    def public_key_spec(info):  # the key bits hold an OCTET STRING of x and y
        if info["algorithm"]["algorithm"].native == NAMES["key"]:
            return keys.ParsableOctetBitString, core.OctetString
        return original(info)

    keys.PublicKeyInfo._spec_callbacks = {**keys.PublicKeyInfo._spec_callbacks, "public_key": public_key_spec}


_register_all()


class _ObjectIdentifiers(core.SequenceOf):
    _child_spec = core.ObjectIdentifier


def is_gost_key(public_key_info):
    return public_key_info["algorithm"]["algorithm"].dotted == GOST_2015_512_KEY


def gost_key_bytes(public_key_info):
    """The 128 bytes of a GOST key: x then y, little-endian (an OCTET STRING inside the key bits)."""
    return core.OctetString.load(public_key_info["public_key"].contents[1:]).native


def gost_key_info(key_bytes):
    """A SubjectPublicKeyInfo for a GOST 2015 512-bit key, with KalkanCrypt's parameters."""
    parameters = _ObjectIdentifiers([GOST_2015_512_PARAMSET_A, STREEBOG_512])
    return keys.PublicKeyInfo({
        "algorithm": {"algorithm": NAMES["key"], "parameters": parameters},
        "public_key": key_bytes,
    })
