"""Access tokens, roles and scope.

Only the registry mints access tokens: JWTs signed with its Ed25519 private key (EdDSA), whose
header names the key (`kid`, a digest of the public key), so keys can be rotated by adding the new
public key everywhere before the registry signs with it. Every other service and the gateway hold
public keys only (`AUTH_PUBLIC_KEYS`), so none of them can mint a token. A regional stack's registry
signs with a key of its own, never the national one; every stack trusts such a key
(`AUTH_REGIONAL_KEYS`) only for tokens of its region's people in regional roles, so a compromised
region can mint nobody's token elsewhere and no Operator's or admin's at all. An access token lives
at most `MAX_ACCESS_TTL_SECONDS`; the registry renews it through a refresh token it can revoke.

The gateway passes the token on in nameko's context data under ``authorization``; every service
verifies it again through the `Caller` dependency, so role and scope are enforced in each RPC, not
only at the edge.
"""
import base64
import functools
import hashlib
import json
import re
import time
import uuid
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nameko.extensions import DependencyProvider

from common.errors import Forbidden, Unauthenticated

STUDENT = "student"
COORDINATOR = "coordinator"
MIO_OFFICER = "mio_officer"
NVS_OFFICER = "nvs_officer"
OPERATOR = "operator"
REGISTRAR = "registrar"
MINISTRY = "ministry"
ADMIN = "admin"
ROLES = (STUDENT, COORDINATOR, MIO_OFFICER, NVS_OFFICER, OPERATOR, REGISTRAR, MINISTRY, ADMIN)
REGIONAL_OFFICERS = (MIO_OFFICER, NVS_OFFICER)
REGIONAL_ROLES = (STUDENT, COORDINATOR, MIO_OFFICER, NVS_OFFICER, REGISTRAR)  # a regional key may sign these

SCOPE_KEYS = ("region", "organisation_id", "site_id", "university_id")
CONTEXT_KEY = "authorization"
ALGORITHM = "EdDSA"
MAX_ACCESS_TTL_SECONDS = 15 * 60
DEFAULT_TTL_SECONDS = MAX_ACCESS_TTL_SECONDS
SIGNING_KEY_SETTING = "AUTH_SIGNING_KEY"
PUBLIC_KEYS_SETTING = "AUTH_PUBLIC_KEYS"
REGIONAL_KEYS_SETTING = "AUTH_REGIONAL_KEYS"
STEP_UP_TTL_SECONDS = 300
STEP_UP_CLAIM = "step_up"  # a step-up token's claim: what it confirms; never an access token
STEP_UP_HEADER = "X-Step-Up"  # where a client sends the step-up token with the change it confirms
PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.S)


def _pem_blocks(value):
    """The PEM blocks in `value`: PEM text (YAML may have folded its lines into spaces), or
    comma-separated paths of PEM files."""
    value = (value or "").strip()
    if not PEM_BLOCK.search(value):
        texts = []
        for path in (item.strip() for item in value.split(",")):
            if path:
                with open(path) as pem:
                    texts.append(pem.read())
        value = "\n".join(texts)
    blocks = []
    for kind, payload in PEM_BLOCK.findall(value):
        lines = re.findall(".{1,64}", "".join(payload.split()))
        blocks.append(("-----BEGIN %s-----\n%s\n-----END %s-----\n" % (kind, "\n".join(lines), kind)).encode())
    return blocks


def key_id(public_key):
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest()[:12]).decode().rstrip("=")


class SigningKey:
    """The registry's private key: mints access tokens."""

    def __init__(self, private_key):
        if not isinstance(private_key, Ed25519PrivateKey):
            raise ValueError(f"{SIGNING_KEY_SETTING} must be an Ed25519 private key")
        self.private_key = private_key
        self.public_key = private_key.public_key()
        self.kid = key_id(self.public_key)

    @classmethod
    def generate(cls):
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_setting(cls, value):
        blocks = _pem_blocks(value)
        if len(blocks) != 1:
            raise ValueError(f"{SIGNING_KEY_SETTING} must name one PEM private key (a file, or the PEM text)")
        return cls(serialization.load_pem_private_key(blocks[0], password=None))

    def private_pem(self):
        return self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode()

    def settings(self):
        """Both settings for processes that run with this key (the tests', the benchmarks')."""
        return {SIGNING_KEY_SETTING: self.private_pem(), PUBLIC_KEYS_SETTING: self.public_pem()}

    def public_pem(self):
        return self.public_key.public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass(frozen=True)
class VerifyingKey:
    key: Ed25519PublicKey
    region: str | None = None  # a regional registry's key: good only for that region's people


def _public_keys(value, region=None):
    keys = {}
    for block in _pem_blocks(value):
        key = serialization.load_pem_public_key(block)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("a token verifying key is not Ed25519")
        keys[key_id(key)] = VerifyingKey(key, region)
    return keys


@functools.lru_cache(maxsize=16)
def public_keys(national, regional=""):
    """{kid: VerifyingKey} from `AUTH_PUBLIC_KEYS` (national keys: PEM files, comma-separated, or PEM
    text) and `AUTH_REGIONAL_KEYS` (`REGION=file-or-PEM`, comma-separated); ValueError when there is
    no national key."""
    keys = _public_keys(national)
    if not keys:
        raise ValueError(f"{PUBLIC_KEYS_SETTING} must name the registry's public key(s)")
    for entry in filter(None, (item.strip() for item in (regional or "").split(","))):
        region, _, value = entry.partition("=")
        if not value:
            raise ValueError(f"{REGIONAL_KEYS_SETTING} entries are REGION=key, not {entry[:40]!r}")
        keys.update(_public_keys(value, region.strip().upper()))
    return keys


def verifying_keys(config):
    """The public keys a process verifies tokens with, from its config."""
    return public_keys(config.get(PUBLIC_KEYS_SETTING) or "", config.get(REGIONAL_KEYS_SETTING) or "")


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: tuple
    scope: dict = field(default_factory=dict)
    name: str = ""

    def has(self, *roles):
        return any(role in self.roles for role in roles)

    def require(self, *roles):
        if not self.has(*roles):
            raise Forbidden("this action needs one of the roles: " + ", ".join(roles))
        return self

    @property
    def region(self):
        return self.scope.get("region")

    @property
    def organisation_id(self):
        return self.scope.get("organisation_id")

    @property
    def site_id(self):
        return self.scope.get("site_id")

    @property
    def university_id(self):
        return self.scope.get("university_id")


def issue_token(signing_key, user_id, roles, scope=None, name="", ttl=DEFAULT_TTL_SECONDS, now=None):
    if not 0 < ttl <= MAX_ACCESS_TTL_SECONDS:
        raise ValueError(f"an access token lives at most {MAX_ACCESS_TTL_SECONDS} s, not {ttl}")
    now = int(now if now is not None else time.time())
    claims = {
        "sub": str(user_id),
        "roles": list(roles),
        "scope": {k: v for k, v in (scope or {}).items() if k in SCOPE_KEYS and v is not None},
        "name": name,
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, signing_key.private_key, algorithm=ALGORITHM, headers={"kid": signing_key.kid})


def read_token(keys, token):
    """The principal a token speaks for; Unauthenticated if it is missing, forged, expired, signed
    by a key not among `keys` ({kid: public key}) or made to live longer than the cap."""
    if not token:
        raise Unauthenticated("a bearer token is required")
    try:
        header = jwt.get_unverified_header(token)
        key = keys.get(header.get("kid")) if header.get("alg") == ALGORITHM else None
        if key is None:
            raise Unauthenticated("the token is not signed by the registry")
        claims = jwt.decode(token, key.key, algorithms=[ALGORITHM], options={"require": ["exp", "iat", "sub"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired")
    except jwt.InvalidTokenError:
        raise Unauthenticated("the token is not valid")
    if claims["exp"] - claims["iat"] > MAX_ACCESS_TTL_SECONDS:
        raise Unauthenticated("the token lives longer than an access token may")
    if STEP_UP_CLAIM in claims:
        raise Unauthenticated("a step-up token is not an access token")
    if key.region and (str((claims.get("scope") or {}).get("region", "")).upper() != key.region
                       or not set(claims.get("roles") or ()) <= set(REGIONAL_ROLES)):
        raise Unauthenticated(f"a token of the {key.region} registry is good only for its region's people")
    roles = tuple(r for r in claims.get("roles", ()) if r in ROLES)
    return Principal(user_id=claims["sub"], roles=roles, scope=claims.get("scope", {}),
                     name=claims.get("name", ""))


def canonical_json(data):
    """One text for the same data however its keys were ordered or spaced: what a step-up signs."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest_of(data):
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def issue_step_up(signing_key, user_id, purpose, data, ttl=STEP_UP_TTL_SECONDS, now=None):
    """The registry's word that `user_id` signed `data` for `purpose` with their own EDS just now."""
    now = int(now if now is not None else time.time())
    claims = {"sub": str(user_id), STEP_UP_CLAIM: purpose, "digest": digest_of(data), "iat": now,
              "exp": now + ttl, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, signing_key.private_key, algorithm=ALGORITHM, headers={"kid": signing_key.kid})


def check_step_up(keys, token, principal, purpose, data):
    """Forbidden unless `token` is a live step-up of the registry's national key for `principal`,
    `purpose` and exactly `data`."""
    reason = "a fresh EDS signature over exactly these details is needed: sign them, then send the step-up token"
    try:
        header = jwt.get_unverified_header(token or "")
        key = keys.get(header.get("kid")) if header.get("alg") == ALGORITHM else None
        claims = jwt.decode(token, key.key, algorithms=[ALGORITHM],
                            options={"require": ["exp", "iat", "sub", STEP_UP_CLAIM, "digest"]}) if key else {}
    except jwt.InvalidTokenError:
        claims = {}
    if not (claims and claims["sub"] == principal.user_id and claims[STEP_UP_CLAIM] == purpose
            and claims["digest"] == digest_of(data) and claims["exp"] - claims["iat"] <= STEP_UP_TTL_SECONDS
            and (key.region is None or key.region == (principal.region or "").upper())):
        raise Forbidden(reason, {STEP_UP_HEADER: [reason]})


class TokenSigner(DependencyProvider):
    """The registry's minting of access tokens: `self.tokens(principal, name)` is a signed access
    token for the principal and its lifetime in seconds. The key comes from `AUTH_SIGNING_KEY` (a PEM
    file, or the PEM text); without one, or with a lifetime above the cap, the registry does not start."""

    def setup(self):
        config = self.container.config
        self.key = SigningKey.from_setting(config.get(SIGNING_KEY_SETTING))
        self.ttl = int(config.get("AUTH_TOKEN_TTL_SECONDS") or DEFAULT_TTL_SECONDS)
        if not 0 < self.ttl <= MAX_ACCESS_TTL_SECONDS:
            raise ValueError(f"AUTH_TOKEN_TTL_SECONDS must be 1-{MAX_ACCESS_TTL_SECONDS}, not {self.ttl}")

    def get_dependency(self, worker_ctx):
        def sign(principal, name=""):
            token = issue_token(self.key, principal.user_id, principal.roles, principal.scope, name=name, ttl=self.ttl)
            return token, self.ttl
        sign.step_up = lambda user_id, purpose, data: issue_step_up(self.key, user_id, purpose, data)
        return sign


class Caller(DependencyProvider):
    """The principal behind the current worker, read from the token in its context data.

    `self.caller()` raises Unauthenticated when there is no valid token; `self.caller(optional=True)`
    answers None instead (for calls that anonymous users may make).
    """

    def setup(self):
        self.keys = verifying_keys(self.container.config)  # none configured: the service does not start

    def get_dependency(self, worker_ctx):
        token = worker_ctx.context_data.get(CONTEXT_KEY)

        def caller(optional=False):
            if optional and not token:
                return None
            return read_token(self.keys, token)

        return caller
