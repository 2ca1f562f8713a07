"""Changing payout details needs a fresh EDS signature of the student over exactly the new details
(a step-up): a stolen session alone cannot redirect the money."""
from common.auth import canonical_json
from common.contracts.payments import PayoutDetailsIn
from common.validation import load
from services.payments.rules import kz_iban
from tests.portal.support import ok
from tests.registry.pki import bearer, make_user, register_student, sign_nonce


def test_payout_details_change_only_with_the_students_own_fresh_signature_over_them(platform):
    http = platform.http
    university = [u for u in ok(http.get("/api/v1/universities")) if u["region"] == "KZ-71"][0]
    person = make_user(name="НҰРЛАНОВА АЙГЕРІМ")
    details = {"iban": kz_iban("722", "S000012345678"), "iin": person.iin, "holder_name": "Aigerim Nurlanova"}
    elsewhere = {**details, "iban": kz_iban("125", "S000087654321")}  # the thief's account
    session = bearer(ok(register_student(http, person, university["id"], "KZ-71"), 201)["access_token"])

    # the session alone (as a thief holding it would) changes nothing
    refused = http.put("/api/v1/me/payout-details", headers=session, json=elsewhere)
    assert refused.status_code == 403 and "X-Step-Up" in refused.json()["error"]["fields"], refused.text
    assert http.get("/api/v1/me/payout-details", headers=session).status_code == 404

    # the text to sign holds the details themselves; the thief's own EDS over it is refused
    challenge = ok(http.post("/api/v1/me/payout-details/challenge", headers=session, json=elsewhere), 201)
    assert canonical_json(load(PayoutDetailsIn, elsewhere)) in challenge["data_to_sign"]
    thief = make_user(name="ҰРЫ ҰРЫ")
    stolen = http.post("/api/v1/me/payout-details/step-up", headers=session, json={
        "nonce": challenge["nonce"], "signature": sign_nonce(thief, challenge), "details": elsewhere})
    assert stolen.status_code == 403 and "signature" in stolen.json()["error"]["fields"], stolen.text

    # the student's own signature gives a step-up token for exactly these details
    challenge = ok(http.post("/api/v1/me/payout-details/challenge", headers=session, json=details), 201)
    step_up = ok(http.post("/api/v1/me/payout-details/step-up", headers=session, json={
        "nonce": challenge["nonce"], "signature": sign_nonce(person, challenge), "details": details}))
    confirmed = {**session, "X-Step-Up": step_up["step_up_token"]}
    assert http.put("/api/v1/me/payout-details", headers=confirmed, json=elsewhere).status_code == 403
    assert http.get("/api/v1/students/me", headers=bearer(step_up["step_up_token"])).status_code == 401
    assert http.put("/api/v1/me/payout-details", headers={**platform.auth("student"), "X-Step-Up":
                                                          step_up["step_up_token"]}, json=details).status_code == 403
    changed = http.put("/api/v1/me/payout-details", headers=confirmed, json=details)
    assert changed.status_code == 200, changed.text
    assert ok(http.get("/api/v1/me/payout-details", headers=session))["holder_name"] == details["holder_name"]
