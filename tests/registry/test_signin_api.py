"""EDS registration and login through the gateway, with every refusal and its status and reason."""
import base64
import datetime as dt

import jwt
from sqlalchemy import select, update

from common.contracts.registry import STUDENT_REGISTERED, STUDENT_TRANSFERRED
from services.registry.models import AuditEntry, LoginChallenge, OutboxEvent
from tests.harness import SIGNING_KEY
from tests.registry.pki import (TestPki, bearer, challenge, eds_login, make_user, random_iin, register_student,
                                session_pki, sign_nonce, sign_nonce_with_openssl, with_wrong_check_digit)


def universities(platform):
    return {u["code"]: u for u in platform.http.get("/api/v1/universities").json()}


def test_student_registers_signs_in_and_edits_only_their_own_profile(platform):
    unis = universities(platform)
    iin = random_iin(dt.date(2004, 3, 15), sex_digit=6)
    user = make_user(iin, "СЕРИКОВА АЙЖАН БОЛАТОВНА", key_kind="ec")  # signed by openssl, an independent signer
    nonce = challenge(platform.http, agreement_language="ru")
    response = platform.http.post("/api/v1/auth/register", json={
        "nonce": nonce, "signature": sign_nonce_with_openssl(user, nonce, detached=True),
        "university_id": unis["ENU"]["id"], "region": "KZ-71", "phone": "+77011112233",
        "email": "aizhan@example.kz", "language": "kk", **nonce.agreement})
    assert response.status_code == 201, response.text
    body = response.json()
    claims = jwt.decode(body["access_token"], SIGNING_KEY.public_key, algorithms=["EdDSA"])
    assert claims["roles"] == ["student"] and claims["name"] == "СЕРИКОВА АЙЖАН БОЛАТОВНА"
    assert claims["scope"] == {"region": "KZ-71", "university_id": unis["ENU"]["id"]} == body["scope"]
    student_id = claims["sub"]

    me = platform.http.get("/api/v1/students/me", headers=bearer(body["access_token"])).json()
    assert (me["id"], me["iin"], me["birth_date"], me["sex"], me["language"]) == (
        student_id, iin, "2004-03-15", "female", "kk")

    # signs in later with the library's attached signature; registering again is a conflict
    token = eds_login(platform.http, user)
    assert jwt.decode(token, SIGNING_KEY.public_key, algorithms=["EdDSA"])["sub"] == student_id
    assert register_student(platform.http, user, unis["ENU"]["id"], "KZ-71").status_code == 409

    changed = platform.http.patch("/api/v1/students/me", headers=bearer(token), json={
        "phone": "+77019998877", "university_id": unis["NU"]["id"]})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["phone"], changed.json()["university_id"]) == ("+77019998877", unis["NU"]["id"])
    bad = platform.http.patch("/api/v1/students/me", headers=bearer(token), json={"university_id": "nope"})
    assert bad.status_code == 400 and "university_id" in bad.json()["error"]["fields"]

    # another student sees only their own profile; staff outside the scope get 404
    other = platform.http.get(f"/api/v1/students/{student_id}", headers=platform.auth("student"))
    assert other.status_code == 404
    assert platform.http.get(f"/api/v1/students/{student_id}",
                             headers=platform.auth("mio_officer", region="KZ-75")).status_code == 404
    assert platform.http.get(f"/api/v1/students/{student_id}",
                             headers=platform.auth("mio_officer", region="KZ-71")).status_code == 200
    assert platform.http.get("/api/v1/students/me", headers=platform.auth("mio_officer")).status_code == 403

    with platform.session("registry") as session:
        events = {row.event_type: row.envelope["data"] for row in session.scalars(select(OutboxEvent))}
        actions = [e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.entity_id == student_id)
                                                     .order_by(AuditEntry.id))]
        audit_update = session.scalar(select(AuditEntry).where(AuditEntry.action == "student.update"))
    assert events[STUDENT_REGISTERED.name]["student_id"] == student_id
    assert events[STUDENT_TRANSFERRED.name] == {"student_id": student_id, "from_university_id": unis["ENU"]["id"],
                                                "to_university_id": unis["NU"]["id"]}
    assert actions == ["student.register", "student.update"]
    assert (audit_update.before["phone"], audit_update.after["phone"]) == ("+77011112233", "+77019998877")


def _login(platform, nonce, signature):
    return platform.http.post("/api/v1/auth/login", json={"nonce": nonce, "signature": signature})


def _refused(response, status, words):
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"], response.text
    return response.json()["error"]


def test_every_bad_sign_in_is_refused_with_its_reason(platform):
    unis = universities(platform)
    pki = session_pki()
    user = make_user(key_kind="rsa")
    assert register_student(platform.http, user, unis["KAZNU"]["id"], "KZ-75").status_code == 201
    now = dt.datetime.now(dt.timezone.utc)

    # a signature over another nonce
    nonce, other = challenge(platform.http), challenge(platform.http)
    _refused(_login(platform, nonce, sign_nonce(user, other)), 401, "over another document")
    # a replayed nonce: the first use wins, the second is refused
    nonce = challenge(platform.http)
    signature = sign_nonce(user, nonce)
    assert _login(platform, nonce, signature).status_code == 200
    _refused(_login(platform, nonce, signature), 401, "already used")
    # a refused try uses its nonce up too: the same signature cannot be sent again
    nonce = challenge(platform.http)
    stranger = make_user()
    _refused(_login(platform, nonce, sign_nonce(stranger, nonce)), 401, "no account for this person")
    _refused(_login(platform, nonce, sign_nonce(user, nonce)), 401, "already used")
    # an expired nonce
    nonce = challenge(platform.http)
    with platform.session("registry") as session, session.begin():
        session.execute(update(LoginChallenge).where(LoginChallenge.nonce == nonce)
                        .values(expires_at=now - dt.timedelta(seconds=1)))
    _refused(_login(platform, nonce, sign_nonce(user, nonce)), 401, "expired")
    _refused(_login(platform, "x" * 43, sign_nonce(user, "x" * 43)), 401, "unknown challenge")

    def refused_signature(signer_user, words, sign=sign_nonce):
        nonce = challenge(platform.http)
        return _refused(_login(platform, nonce, sign(signer_user, nonce)), 401, words)

    refused_signature(TestPki("ROGUE").make_user(user.iin), "does not chain to a trusted root")
    refused_signature(make_user(not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(minutes=5)),
                      "had expired")
    refused_signature(make_user(not_before=now + dt.timedelta(hours=1), not_after=now + dt.timedelta(days=30),
                                key_kind="ec"), "not yet valid", sign=sign_nonce_with_openssl)
    revoked = make_user()
    pki.revoke(revoked)
    refused_signature(revoked, "revoked")
    refused_signature(make_user(with_wrong_check_digit(random_iin())), "check digit")
    refused_signature(make_user(), "no account for this person")

    nonce = challenge(platform.http)
    der = bytearray(base64.b64decode(sign_nonce(user, nonce)))
    der[-1] ^= 0xFF
    _refused(_login(platform, nonce, base64.b64encode(bytes(der)).decode()), 401, "does not verify")

    nonce = challenge(platform.http)
    error = _refused(_login(platform, nonce, "@@not base64@@"), 400, "not valid base64")
    assert error["fields"] == {"signature": ["the signature is not valid base64"]}
    empty = platform.http.post("/api/v1/auth/login", data=b"", headers={"Content-Type": "application/json"})
    assert set(_refused(empty, 400, "invalid fields")["fields"]) == {"nonce", "signature"}  # no body is {}
    error = _refused(platform.http.post("/api/v1/auth/login", json={}), 400, "invalid fields")
    assert set(error["fields"]) == {"nonce", "signature"}
    # after all that, the real signer still gets in
    assert eds_login(platform.http, user)
