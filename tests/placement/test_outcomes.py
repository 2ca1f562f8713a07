"""A coordinator decides many interviews at once: each row as one by one, or refused on its own and
changing nothing; the same request again changes nothing more."""
from sqlalchemy import func, select

from common.contracts.placement import APPLICATION_DECIDED, PLACEMENT_STARTED
from services.placement.models import OutboxEvent, Project
from tests.placement.support import (accredit, apply, decide, error_code, interviewed, new_id, outbox,
                                     publish_project, student)


def decide_many(service, headers, *rows):
    return service.http.post("/api/v1/applications/outcomes", headers=headers, json={"decisions": [
        {"application_id": application_id, "outcome": outcome, **({"reason": reason} if reason else {})}
        for application_id, outcome, reason in rows]})


def events(service):
    with service.session("placement") as session:
        return session.scalar(select(func.count()).select_from(OutboxEvent))


def test_outcomes_in_bulk_with_good_and_bad_rows(service):
    site, _, _ = accredit(service)
    other_site, _, _ = accredit(service)
    project = publish_project(service, site, places=3)
    full = publish_project(service, site, title="One place only", places=1)
    elsewhere = publish_project(service, other_site)
    anar, bota, chingiz, dias, erlan, farida = (student(service, name=n) for n in
                                                ("Anar", "Bota", "Chingiz", "Dias", "Erlan", "Farida"))
    on_anar, on_bota, on_chingiz = interviewed(service, site, project["id"], [anar, bota, chingiz])
    not_interviewed = apply(service, dias, project["id"])
    [on_erlan_elsewhere] = interviewed(service, other_site, elsewhere["id"], [erlan])
    late, first = interviewed(service, site, full["id"], [farida, student(service, name="Gulnar")])
    assert decide(service, site, first["id"], "accepted").status_code == 200  # `full` has no place left
    before = events(service)

    rows = [(on_anar["id"], "accepted", None), (on_bota["id"], "rejected", "Not available on weekdays"),
            (on_chingiz["id"], "no_show", None), (not_interviewed["id"], "accepted", None),
            (on_erlan_elsewhere["id"], "accepted", None), (new_id(), "accepted", None),
            (late["id"], "accepted", None), (first["id"], "no_show", None)]
    answer = decide_many(service, site, *rows)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["decided"], body["refused"]) == (3, 5)
    results = body["results"]
    assert [(r["index"], r["application_id"], r["status"]) for r in results] == [
        (0, on_anar["id"], 200), (1, on_bota["id"], 200), (2, on_chingiz["id"], 200),
        (3, not_interviewed["id"], 422), (4, on_erlan_elsewhere["id"], 404), (5, rows[5][0], 404),
        (6, late["id"], 409), (7, first["id"], 422)]
    assert [r["application"]["status"] if r["application"] else r["error"]["code"] for r in results] == [
        "accepted", "rejected", "no_show", "rule_violation", "not_found", "not_found", "conflict", "rule_violation"]
    assert results[0]["application"]["placement_id"] and results[0]["error"] is None
    assert results[1]["application"]["reason"] == "Not available on weekdays"
    assert results[7]["error"]["message"] == "an application that is accepted cannot be decided"

    # Each good row recorded as one by one (rows are taken in id order); the refused rows changed
    # nothing and told nobody.
    assert sorted((d["application_id"], d["outcome"]) for d in outbox(service, APPLICATION_DECIDED)
                  if d["application_id"] != first["id"]) == sorted([
        (on_anar["id"], "accepted"), (on_bota["id"], "rejected"), (on_chingiz["id"], "no_show")])
    assert [p["student_id"] for p in outbox(service, PLACEMENT_STARTED)] == [first["student_id"],
                                                                           on_anar["student_id"]]
    assert service.http.get(f"/api/v1/applications/{first['id']}", headers=site).json()["status"] == "accepted"
    for refused, headers in ((not_interviewed, dias), (late, farida)):
        assert service.http.get(f"/api/v1/applications/{refused['id']}", headers=headers).json()["status"] \
            == "applied"
    assert service.http.get(f"/api/v1/applications/{on_erlan_elsewhere['id']}", headers=erlan).json()["status"] \
        == "applied"
    with service.session("placement") as session:
        assert (session.get(Project, full["id"]).places_held, session.get(Project, project["id"]).places_held) \
            == (1, 1)
    after = events(service)
    assert after == before + 4  # three decisions, one placement

    # The same request again (a retry): the decided rows answer as they are, nothing changes twice.
    again = decide_many(service, site, *rows).json()
    assert [(r["status"], r["application"] and r["application"]["status"]) for r in again["results"]] == \
        [(200, "accepted"), (200, "rejected"), (200, "no_show")] + [(r["status"], None) for r in results[3:]]
    assert again["results"][0]["application"]["placement_id"] == results[0]["application"]["placement_id"]
    assert events(service) == after
    # Another outcome for a decided application is refused, as one by one.
    changed = decide_many(service, site, (on_bota["id"], "accepted", None)).json()["results"][0]
    assert (changed["status"], changed["error"]["code"]) == (422, "rule_violation")


def test_a_bulk_request_is_refused_whole_when_malformed_or_not_a_coordinators(service):
    site, _, _ = accredit(service)
    project = publish_project(service, site)
    [application] = interviewed(service, site, project["id"], [student(service)])
    twice = decide_many(service, site, (application["id"], "accepted", None), (application["id"], "no_show", None))
    assert error_code(twice, 400) == "validation_failed" and "decisions" in twice.json()["error"]["fields"]
    no_reason = decide_many(service, site, (application["id"], "rejected", None))
    assert error_code(no_reason, 400) == "validation_failed"
    assert error_code(service.http.post("/api/v1/applications/outcomes", json={"decisions": []}, headers=site),
                      400) == "validation_failed"
    assert error_code(decide_many(service, student(service), (application["id"], "accepted", None)), 403) \
        == "forbidden"
    assert service.http.get(f"/api/v1/applications/{application['id']}", headers=site).json()["status"] == "applied"
    assert events(service) == len(outbox(service, APPLICATION_DECIDED)) + 2  # offered and booked, nothing more
