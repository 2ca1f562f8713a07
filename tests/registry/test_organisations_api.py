"""Organisations apply with their representative's EDS, are accredited by their own region, add sites
and site coordinators; admins create staff; everything lands in the audit log."""
import datetime as dt

from common.contracts.registry import ORGANISATION_ACCREDITED, ORGANISATION_SUSPENDED, SITE_ADDED
from services.registry.repository import bootstrap_admin
from tests.harness import eventually
from tests.registry.gost_pki import LEGAL_EMPLOYEE, LEGAL_SIGNING_RIGHT
from tests.registry.pki import bearer, challenge, eds_login, make_user, random_iin, sign_nonce
from tests.registry.support import SCHOOL_SITE, apply, claims, head, outbox


def test_an_organisation_applies_and_only_its_region_accredits_it(platform):
    http = platform.http
    assert apply(platform, head("940140000386"), "940140000386").json()["error"]["fields"] == {
        "bin": ["the BIN's check digit is wrong"]}
    representative = head("940140000385")
    response = apply(platform, representative, "940140000385")
    assert response.status_code == 201, response.text
    organisation = response.json()
    org_id = organisation["id"]
    assert (organisation["status"], len(organisation["sites"])) == ("pending", 1)
    assert organisation["sites"][0]["directions"] == ["inclusive_education", "tutoring"]
    assert apply(platform, head("940140000385", usages=LEGAL_SIGNING_RIGHT), "940140000385").status_code == 409

    # the representative signs in as the organisation's coordinator, bound to no site
    rep_token = eds_login(http, representative)
    assert claims(rep_token)["roles"] == ["coordinator"]
    assert claims(rep_token)["scope"] == {"organisation_id": org_id, "region": "KZ-71"}

    mio_here = platform.auth("mio_officer", region="KZ-71")
    mio_there = platform.auth("mio_officer", region="KZ-75")
    # pending: seen by the region's officers and the representative, not by others
    assert http.get(f"/api/v1/organisations/{org_id}", headers=platform.auth("student")).status_code == 404
    assert http.get(f"/api/v1/organisations/{org_id}", headers=bearer(rep_token)).status_code == 200
    pending = http.get("/api/v1/organisations", headers=mio_here, params={"status": "pending"}).json()
    assert [o["id"] for o in pending["items"]] == [org_id] and pending["total"] == 1
    assert http.get("/api/v1/organisations", headers=mio_there, params={"status": "pending"}).json()["total"] == 0

    for headers in (mio_there, platform.auth("nvs_officer", region="KZ-75"), platform.auth("student"),
                    bearer(rep_token), platform.auth("admin")):
        refused = http.post(f"/api/v1/organisations/{org_id}/accredit", headers=headers)
        assert refused.status_code == 403, refused.text
    accredited = http.post(f"/api/v1/organisations/{org_id}/accredit", headers=mio_here)
    assert accredited.status_code == 200, accredited.text
    assert accredited.json()["status"] == "accredited"
    assert http.post(f"/api/v1/organisations/{org_id}/accredit", headers=mio_here).status_code == 422
    event = outbox(platform, ORGANISATION_ACCREDITED)[0]
    assert (event["organisation_id"], event["region"], [s["name"] for s in event["sites"]]) == (
        org_id, "KZ-71", ["School No. 12"])

    # a one-person organisation: signed in again, the representative coordinates its only site and
    # publishes there, and still acts as the representative (adds the next site below)
    only_site = organisation["sites"][0]["id"]
    rep_token = eds_login(http, representative)
    assert claims(rep_token)["scope"] == {"organisation_id": org_id, "site_id": only_site, "region": "KZ-71"}
    today = dt.date.today()
    project = {"title": "Homework club", "description": "Help with homework after school.", "direction": "tutoring",
               "voucher_kind": "h20", "places": 2, "starts_on": today.isoformat(),
               "ends_on": (today + dt.timedelta(days=30)).isoformat(), "schedule": "Mon 15:00", "online": False,
               "languages": ["ru"]}
    published = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(
        http.post("/api/v1/projects", headers=bearer(rep_token), json=project)))
    assert published.json()["site_id"] == only_site

    # a site added after accreditation is announced on its own
    second = http.post(f"/api/v1/organisations/{org_id}/sites", headers=bearer(rep_token), json={
        "name": "Online tutoring", "address": "online", "city": "Astana", "directions": ["tutoring"],
        "online": True})
    assert second.status_code == 201, second.text
    assert second.json()["region"] == "KZ-71"
    assert outbox(platform, SITE_ADDED)[0]["site_id"] == second.json()["id"]
    assert http.post(f"/api/v1/organisations/{org_id}/sites", headers=platform.auth("coordinator",
                     organisation_id="other"), json=SCHOOL_SITE).status_code == 403

    sites = http.get("/api/v1/sites", headers=platform.auth("student"),
                     params={"region": "KZ-71", "direction": "tutoring", "online": "true"}).json()
    assert [s["id"] for s in sites["items"]] == [second.json()["id"]]
    assert http.get("/api/v1/sites", headers=platform.auth("student"), params={"limit": 1}).json()["total"] == 2

    # the representative creates a coordinator for one of its sites; that person signs in bound to it
    coordinator = make_user(name="ЖАНОВА ДАНА")
    created = http.post("/api/v1/staff", headers=bearer(rep_token), json={
        "iin": coordinator.iin, "full_name": "ЖАНОВА ДАНА", "role": "coordinator", "organisation_id": org_id,
        "site_id": second.json()["id"]})
    assert created.status_code == 201, created.text
    assert claims(eds_login(http, coordinator))["scope"] == {
        "organisation_id": org_id, "site_id": second.json()["id"], "region": "KZ-71"}
    assert http.post("/api/v1/staff", headers=bearer(rep_token), json={
        "iin": random_iin(), "full_name": "X Y", "role": "mio_officer", "region": "KZ-71"}).status_code == 403

    suspended = http.post(f"/api/v1/organisations/{org_id}/suspend", headers=platform.auth("nvs_officer",
                          region="KZ-71"), json={"reason": "inspection found no supervisor"})
    assert suspended.json()["status"] == "suspended"
    assert outbox(platform, ORGANISATION_SUSPENDED)[0]["reason"] == "inspection found no supervisor"


def test_only_the_head_or_a_signing_employee_of_that_bin_applies_and_a_withdrawal_frees_it(platform):
    http = platform.http
    for signer, reason in ((make_user(), "not a personal certificate"),
                           (head("070941024691", usages=LEGAL_EMPLOYEE), "ordinary employee's certificate"),
                           (head("961141000023"), "another organisation")):
        refused = apply(platform, signer, "070941024691")
        assert refused.status_code == 403 and reason in refused.json()["error"]["message"], refused.text
    representative = head("070941024691")
    pending = apply(platform, representative, "070941024691").json()
    token = bearer(eds_login(http, representative))
    assert http.post(f"/api/v1/organisations/{pending['id']}/withdraw",
                     headers=platform.auth("coordinator", organisation_id="other")).status_code == 403
    withdrawn = http.post(f"/api/v1/organisations/{pending['id']}/withdraw", headers=token)
    assert withdrawn.json()["status"] == "withdrawn", withdrawn.text
    assert http.post(f"/api/v1/organisations/{pending['id']}/withdraw", headers=token).status_code == 422
    # the same head applies again: the BIN is free and their staff account moves to the new application
    again = apply(platform, representative, "070941024691")
    assert again.status_code == 201, again.text
    assert claims(eds_login(http, representative))["scope"]["organisation_id"] == again.json()["id"]


def test_the_bootstrapped_admin_creates_staff_who_sign_in_with_their_scope(platform):
    http = platform.http
    admin = make_user(name="АДМИНОВ АДМИН")
    with platform.session("registry") as session, session.begin():
        bootstrap_admin(session, admin.iin, "АДМИНОВ АДМИН")
    admin_token = eds_login(http, admin)
    assert claims(admin_token)["roles"] == ["admin"] and claims(admin_token)["scope"] == {}
    headers = bearer(admin_token)

    officer = make_user()
    made = http.post("/api/v1/staff", headers=headers, json={
        "iin": officer.iin, "full_name": "Officer One", "role": "mio_officer", "region": "KZ-35"})
    assert made.status_code == 201, made.text
    assert claims(eds_login(http, officer))["scope"] == {"region": "KZ-35"}

    university = {u["code"]: u for u in http.get("/api/v1/universities").json()}["BUKETOV"]
    registrar = make_user()
    assert http.post("/api/v1/staff", headers=headers, json={
        "iin": registrar.iin, "full_name": "Registrar", "role": "registrar",
        "university_id": university["id"]}).status_code == 201
    assert claims(eds_login(http, registrar))["scope"] == {"university_id": university["id"], "region": "KZ-35"}

    invalid = http.post("/api/v1/staff", headers=headers, json={
        "iin": "791028302727", "full_name": "Bad", "role": "mio_officer"})
    assert invalid.status_code == 400
    assert set(invalid.json()["error"]["fields"]) == {"iin", "region"}
    assert http.post("/api/v1/staff", headers=headers, json={
        "iin": officer.iin, "full_name": "Again", "role": "operator"}).status_code == 409
    assert http.post("/api/v1/staff", headers=platform.auth("mio_officer", region="KZ-35"), json={
        "iin": random_iin(), "full_name": "X Y", "role": "operator"}).status_code == 403

    listed = http.get("/api/v1/staff", headers=headers, params={"role": "mio_officer"}).json()
    assert [s["iin"] for s in listed["items"]] == [officer.iin]
    assert http.get("/api/v1/staff", headers=platform.auth("ministry")).status_code == 403

    # a deactivated staff user can no longer sign in
    assert http.patch(f"/api/v1/staff/{made.json()['id']}", headers=headers, json={"active": False}).json()[
        "active"] is False
    nonce = challenge(http)
    refused = http.post("/api/v1/auth/login", json={"nonce": nonce, "signature": sign_nonce(officer, nonce)})
    assert refused.status_code == 401

    audit = http.get("/api/v1/audit", headers=headers, params={"limit": 2}).json()
    assert audit["total"] == 4 and len(audit["items"]) == 2
    latest = audit["items"][0]
    assert (latest["action"], latest["actor_id"], latest["before"]["active"], latest["after"]["active"]) == (
        "staff.update", claims(admin_token)["sub"], True, False)
    assert http.get("/api/v1/audit", headers=headers, params={"entity": "staff_users", "action": "staff.create"}
                    ).json()["total"] == 3
    assert http.get("/api/v1/audit", headers=platform.auth("ministry")).status_code == 403
