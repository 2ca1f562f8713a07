"""Access tokens, roles and scope.

Registry issues a short-lived signed token (JWT, HS256 with AUTH_SECRET) after an EDS login. The
gateway passes it on in nameko's context data under ``authorization``; every service decodes it
again through the `Caller` dependency, so role and scope are enforced in each RPC, not only at the
edge.
"""
import time
import uuid
from dataclasses import dataclass, field

import jwt
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

SCOPE_KEYS = ("region", "organisation_id", "site_id", "university_id")
CONTEXT_KEY = "authorization"
ALGORITHM = "HS256"
DEFAULT_TTL_SECONDS = 3600


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


def issue_token(secret, user_id, roles, scope=None, name="", ttl=DEFAULT_TTL_SECONDS, now=None):
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
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret, token):
    """The principal a token speaks for; Unauthenticated if it is missing, forged or expired."""
    if not token:
        raise Unauthenticated("a bearer token is required")
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired")
    except jwt.InvalidTokenError:
        raise Unauthenticated("the token is not valid")
    roles = tuple(r for r in claims.get("roles", ()) if r in ROLES)
    return Principal(user_id=claims["sub"], roles=roles, scope=claims.get("scope", {}),
                     name=claims.get("name", ""))


class Caller(DependencyProvider):
    """The principal behind the current worker, read from the token in its context data.

    `self.caller()` raises Unauthenticated when there is no valid token; `self.caller(optional=True)`
    answers None instead (for calls that anonymous users may make).
    """

    def setup(self):
        self.secret = self.container.config["AUTH_SECRET"]

    def get_dependency(self, worker_ctx):
        token = worker_ctx.context_data.get(CONTEXT_KEY)

        def caller(optional=False):
            if optional and not token:
                return None
            return read_token(self.secret, token)

        return caller
