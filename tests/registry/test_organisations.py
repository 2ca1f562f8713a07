"""Organisations on registry alone (its `service` interface): decisions, their events and the lists."""
from common.contracts.registry import ORGANISATION_REJECTED
from tests.registry.gost_pki import LEGAL_SIGNING_RIGHT
from tests.registry.support import apply, head, outbox


def test_rejection_needs_a_reason_and_lists_filter_by_region_and_status(service):
    http = service.http
    # an employee certificate names its organisation's BIN (OU): it applies only for that one
    foreign = apply(service, head("070941024691"), "950341000052", region="KZ-75")
    assert foreign.status_code == 403 and "another organisation" in foreign.json()["error"]["message"]
    first = apply(service, head("950341000052"), "950341000052", region="KZ-75").json()
    second = apply(service, head("961141000023"), "961141000023", region="KZ-75", sites=()).json()
    apply(service, head("070941024691"), "070941024691", region="KZ-35")
    mio = service.auth("mio_officer", region="KZ-75")
    no_reason = http.post(f"/api/v1/organisations/{first['id']}/reject", headers=mio, json={})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    rejected = http.post(f"/api/v1/organisations/{first['id']}/reject", headers=mio,
                         json={"reason": "not a participating kind of organisation"})
    assert (rejected.json()["status"], rejected.json()["reason"]) == (
        "rejected", "not a participating kind of organisation")
    assert outbox(service, ORGANISATION_REJECTED) == [{"organisation_id": first["id"], "region": "KZ-75",
                                                        "reason": "not a participating kind of organisation"}]
    assert http.post(f"/api/v1/organisations/{first['id']}/accredit", headers=mio).status_code == 422
    # the rejection freed the BIN: the real organisation applies, signed by its employee with signing right
    again = apply(service, head("950341000052", "ЖАНОВ АСАН", LEGAL_SIGNING_RIGHT), "950341000052", region="KZ-75")
    assert (again.status_code, again.json()["status"]) == (201, "pending") and again.json()["id"] != first["id"]
    assert http.post("/api/v1/organisations/nope/accredit", headers=mio).status_code == 404

    ministry = service.auth("ministry")
    everything = http.get("/api/v1/organisations", headers=ministry).json()
    assert everything["total"] == 4
    in_region = http.get("/api/v1/organisations", headers=ministry, params={"region": "KZ-75"}).json()
    assert {o["id"] for o in in_region["items"]} == {first["id"], second["id"], again.json()["id"]}
    page = http.get("/api/v1/organisations", headers=ministry,
                    params={"region": "KZ-75", "status": "rejected", "limit": 1, "offset": 0}).json()
    assert ([o["id"] for o in page["items"]], page["total"]) == ([first["id"]], 1)
    assert http.get("/api/v1/organisations", headers=ministry, params={"limit": 0}).status_code == 400
    # a student sees only accredited organisations: none yet
    assert http.get("/api/v1/organisations", headers=service.auth("student")).json()["total"] == 0

