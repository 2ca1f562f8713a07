"""Helpers of registry's tests; `layer` is the `platform` fixture or registry's `service` interface
(tests/registry/conftest.py), which answer alike."""
import jwt
from sqlalchemy import select

from common.errors import DomainError
from services.registry.models import OutboxEvent
from tests.harness import SIGNING_KEY
from tests.registry.gost_pki import LEGAL_HEAD
from tests.registry.pki import challenge, make_user, sign_nonce

SCHOOL_SITE = {"name": "School No. 12", "address": "Abai ave 10", "city": "Astana",
               "directions": ["tutoring", "inclusive_education"], "online": False}


def refused(check, *args):
    """The domain error a rule raises for `args` (its status, message and fields), or None when it
    lets them pass."""
    try:
        check(*args)
    except DomainError as exc:
        return exc
    return None


def apply(layer, representative, bin_, region="KZ-71", sites=(SCHOOL_SITE,), name="School No. 12"):
    nonce = challenge(layer.http)
    return layer.http.post("/api/v1/organisations", json={
        "nonce": nonce, "signature": sign_nonce(representative, nonce), "bin": bin_, "name": name,
        "kind": "school", "region": region, "address": "Abai ave 10", "phone": "+77172000000",
        "email": "school@example.kz", "sites": list(sites)})


def head(bin_, name="ОМАРОВ ЕРЛАН", usages=LEGAL_HEAD):
    """The first head of the organisation with `bin_` (a legal entity's GOST certificate)."""
    return make_user(name=name, usages=usages, bin_=bin_)


def claims(token):
    return jwt.decode(token, SIGNING_KEY.public_key, algorithms=["EdDSA"])


def outbox(layer, event_type):
    with layer.session("registry") as session:
        return [row.envelope["data"] for row in session.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == event_type.name).order_by(OutboxEvent.created_at))]
