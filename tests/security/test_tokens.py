"""Only the registry mints access tokens; they are short and renewed through revocable refresh tokens.

The attacks: a token signed with the old default secret, a token minted by another process (a key
of its own, the public key used as an HMAC secret, a lifetime beyond the cap), and a deactivated
officer carrying on after their access token expires.
"""
import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from common.auth import CONTEXT_KEY, MAX_ACCESS_TTL_SECONDS, SigningKey, issue_token, key_id, public_keys, read_token
from common.errors import Unauthenticated
from services.registry.repository import bootstrap_admin
from tests.harness import SIGNING_KEY
from tests.registry.pki import bearer, challenge, make_user, sign_nonce

ACCESS_TTL = 3  # the registry's access tokens in this module, so expiry can be waited for


@pytest.fixture
def service_overrides():
    return {"registry": {"AUTH_TOKEN_TTL_SECONDS": ACCESS_TTL}}


def claims(user_id="intruder", roles=("operator",), ttl=600):
    now = int(time.time())
    return {"sub": user_id, "roles": list(roles), "scope": {}, "name": "X", "iat": now, "exp": now + ttl,
            "jti": uuid.uuid4().hex}


def hs256(body, secret, **header):
    """An HS256 JWT made by hand (PyJWT will not use a PEM key as an HMAC secret; an attacker would)."""
    def part(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = part(json.dumps({"alg": "HS256", "typ": "JWT", **header}).encode())
    signed = head + "." + part(json.dumps(body).encode())
    return signed + "." + part(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest())


def forged_tokens():
    """Tokens for the Operator that a process other than the registry could make."""
    other = SigningKey.generate()  # e.g. a payments process's own key
    public_pem = SIGNING_KEY.public_pem()
    return {
        "the old default secret": hs256(claims(), "local-development-secret"),
        "another process's key": issue_token(other, "intruder", ("operator",)),
        "another key under the registry's kid": jwt.encode(claims(), other.private_key, algorithm="EdDSA",
                                                           headers={"kid": SIGNING_KEY.kid}),
        "the public key as an HMAC secret": hs256(claims(), public_pem, kid=SIGNING_KEY.kid),
        "no signature": jwt.encode(claims(), None, algorithm="none"),
        "a day-long token from the registry's key": jwt.encode(claims(ttl=86400), SIGNING_KEY.private_key,
                                                               algorithm="EdDSA", headers={"kid": SIGNING_KEY.kid}),
    }


def test_only_the_registry_key_mints_tokens_the_platform_accepts(platform):
    for what, token in forged_tokens().items():
        for path in ("/api/v1/payouts", "/api/v1/staff", "/api/v1/reports"):
            answer = platform.http.get(path, headers=bearer(token))
            assert answer.status_code == 401, (what, path, answer.text)
    # a service reached on the bus, past the gateway, checks the token itself
    forged = forged_tokens()["the old default secret"]
    with ServiceRpcProxy("payments", {"AMQP_URI": platform.amqp_uri}, context_data={CONTEXT_KEY: forged},
                         timeout=10) as payments, pytest.raises(Unauthenticated):
        payments.list_payouts({})
    genuine = platform.http.get("/api/v1/payouts", headers=platform.auth("operator"))
    assert genuine.status_code == 200, genuine.text


def test_tokens_carry_the_key_id_and_live_at_most_fifteen_minutes():
    token = issue_token(SIGNING_KEY, "someone", ("student",))
    header, body = jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    assert header == {"alg": "EdDSA", "kid": key_id(SIGNING_KEY.public_key), "typ": "JWT"}
    assert body["exp"] - body["iat"] == MAX_ACCESS_TTL_SECONDS
    with pytest.raises(ValueError):
        issue_token(SIGNING_KEY, "someone", ("student",), ttl=MAX_ACCESS_TTL_SECONDS + 1)


def sign_in(http, person):
    nonce = challenge(http)
    answer = http.post("/api/v1/auth/login", json={"nonce": nonce, "signature": sign_nonce(person, nonce)})
    assert answer.status_code == 200, answer.text
    return answer.json()


def refresh(http, token):
    return http.post("/api/v1/auth/refresh", json={"refresh_token": token})


def test_a_deactivated_officer_can_do_nothing_once_the_access_token_expires(platform):
    http, admin_headers = platform.http, platform.auth("admin")  # lives longer than this module's registry tokens
    person = make_user(name="ОФИЦЕРОВ ОФИЦЕР")
    officer = http.post("/api/v1/staff", headers=admin_headers, json={
        "iin": person.iin, "full_name": "Officer One", "role": "mio_officer", "region": "KZ-35"}).json()

    tokens = sign_in(http, person)
    assert (tokens["expires_in"], tokens["refresh_expires_in"]) == (ACCESS_TTL, 8 * 3600)
    renewed = refresh(http, tokens["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["roles"] == ["mio_officer"] and renewed.json()["scope"] == {"region": "KZ-35"}
    tokens = renewed.json()

    deactivated = http.patch(f"/api/v1/staff/{officer['id']}", headers=admin_headers, json={"active": False})
    assert deactivated.status_code == 200, deactivated.text
    refused = refresh(http, tokens["refresh_token"])
    assert refused.status_code == 401 and "refresh_token" in refused.json()["error"]["fields"]
    time.sleep(ACCESS_TTL + 1)
    late = http.get("/api/v1/organisations", headers=bearer(tokens["access_token"]))
    assert late.status_code == 401 and "expired" in late.json()["error"]["message"]


def test_refresh_tokens_are_single_use_and_sign_out_revokes_them(platform):
    http = platform.http
    admin = make_user(name="АДМИНОВ АДМИН")
    with platform.session("registry") as session, session.begin():
        bootstrap_admin(session, admin.iin, "АДМИНОВ АДМИН")
    first = sign_in(http, admin)
    second = refresh(http, first["refresh_token"]).json()
    # the used token shown again: a copy is in someone else's hands, so every token of the account goes
    assert refresh(http, first["refresh_token"]).status_code == 401
    assert refresh(http, second["refresh_token"]).status_code == 401

    signed_in = sign_in(http, admin)
    assert http.post("/api/v1/auth/sign-out", headers=bearer(signed_in["access_token"])).status_code == 200
    assert refresh(http, signed_in["refresh_token"]).status_code == 401
    assert http.post("/api/v1/auth/sign-out").status_code == 401


def test_a_regional_registrys_key_signs_only_its_own_regions_people():
    regional = SigningKey.generate()
    keys = public_keys(SIGNING_KEY.public_pem(), "KZ-75=" + regional.public_pem())
    student = read_token(keys, issue_token(regional, "s1", ("student",), {"region": "KZ-75", "university_id": "u"}))
    assert student.region == "KZ-75"
    for roles, scope in ((("student",), {"region": "KZ-71"}), (("operator",), {}), (("admin",), {"region": "KZ-75"}),
                         (("mio_officer", "ministry"), {"region": "KZ-75"})):
        with pytest.raises(Unauthenticated, match="good only for its region"):
            read_token(keys, issue_token(regional, "x", roles, scope))
    assert read_token(keys, issue_token(SIGNING_KEY, "op", ("operator",))).roles == ("operator",)
