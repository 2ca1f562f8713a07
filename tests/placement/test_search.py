"""Project search: filters, words, sort, pages, free places live; what is never shown."""
import datetime as dt

from common.auth import MIO_OFFICER
from common.contracts.registry import ORGANISATION_SUSPENDED
from tests.harness import eventually
from tests.placement.support import (TODAY, accredit, decide, error_code, interviewed, project_body,
                                     publish_project, student)


def search(platform, headers, **params):
    response = platform.http.get("/api/v1/projects", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def titles(answer):
    return [item["title"] for item in answer["items"]]


def test_search_filters_sorts_pages_and_hides_what_students_may_not_see(service):
    astana, organisation_id, _ = accredit(service, directions=("tutoring", "elderly_care"))
    almaty, _, _ = accredit(service, region="KZ-75", city="Almaty", directions=("childrens_leisure",))
    day = dt.timedelta(days=1)
    publish_project(service, astana, title="Chess club", description="Chess with pupils, in Kazakh.",
                    languages=["kk"], places=1, starts_on=(TODAY + 5 * day).isoformat())
    visits = publish_project(service, astana, title="Visits to the elderly", direction="elderly_care",
                             voucher_kind="h50", description="Reading and walks with residents.",
                             online=True, places=4, starts_on=(TODAY + 20 * day).isoformat())
    publish_project(service, almaty, title="Summer camp games", direction="childrens_leisure",
                    description="Outdoor games with children.", city="Almaty",
                    starts_on=(TODAY + 30 * day).isoformat(), ends_on=(TODAY + 40 * day).isoformat())
    paused = publish_project(service, astana, title="Paused tutoring", description="Not taking anyone now.")
    assert service.http.post(f"/api/v1/projects/{paused['id']}/status", json={"status": "paused"},
                              headers=astana).json()["status"] == "paused"

    reader = student(service)
    everything = search(service, reader)
    assert titles(everything) == ["Chess club", "Visits to the elderly", "Summer camp games"]  # starts_on, open only
    assert titles(search(service, reader, sort="-starts_on")) == ["Summer camp games", "Visits to the elderly",
                                                                   "Chess club"]
    assert titles(search(service, reader, sort="-free_places"))[0] == "Visits to the elderly"
    page = search(service, reader, limit=1, offset=1)
    assert (page["total"], titles(page), page["limit"], page["offset"]) == (3, ["Visits to the elderly"], 1, 1)
    assert titles(search(service, reader, region="KZ-75")) == ["Summer camp games"]
    assert titles(search(service, reader, city="almaty")) == ["Summer camp games"]
    assert titles(search(service, reader, direction="elderly_care")) == ["Visits to the elderly"]
    assert titles(search(service, reader, voucher_kind="h50")) == ["Visits to the elderly"]
    assert titles(search(service, reader, online="true")) == ["Visits to the elderly"]
    assert titles(search(service, reader, language="kk")) == titles(everything)
    assert "Chess club" not in titles(search(service, reader, language="ru"))
    assert titles(search(service, reader, starts_from=(TODAY + 10 * day).isoformat(),
                         ends_until=(TODAY + 45 * day).isoformat())) == ["Summer camp games"]
    assert titles(search(service, reader, q="walks RESIDENTS")) == ["Visits to the elderly"]
    assert titles(search(service, reader, q="walks chess")) == []
    assert titles(search(service, reader, q="100%_")) == []

    # Free places are live: the chess club's only place taken, it leaves the "has free places" list.
    chess_id = search(service, reader, q="chess")["items"][0]["id"]
    [application] = interviewed(service, astana, chess_id, [reader])
    assert decide(service, astana, application["id"], "accepted").status_code == 200
    assert "Chess club" not in titles(search(service, reader, has_free_places="true"))
    assert titles(search(service, reader, has_free_places="false")) == ["Chess club"]
    assert search(service, reader, q="chess")["items"][0]["free_places"] == 0

    # A coordinator lists their own site's projects, paused ones too; an officer their region's.
    assert set(titles(search(service, astana))) == {"Chess club", "Visits to the elderly", "Paused tutoring"}
    assert titles(search(service, astana, status="paused")) == ["Paused tutoring"]
    officer = service.auth(MIO_OFFICER, region="KZ-75")
    assert titles(search(service, officer)) == ["Summer camp games"]

    # A suspended organisation's projects are never shown, nor can be applied to.
    service.publish(ORGANISATION_SUSPENDED, {"organisation_id": organisation_id, "region": "KZ-71",
                                              "reason": "licence expired"})
    eventually(lambda: titles(search(service, reader)) == ["Summer camp games"])
    assert service.http.get(f"/api/v1/projects/{visits['id']}", headers=reader).status_code == 404
    response = service.http.post(f"/api/v1/projects/{visits['id']}/applications", json={}, headers=reader)
    assert response.status_code == 404
    assert titles(search(service, service.auth(MIO_OFFICER, region="KZ-71"))) == []
    refused = service.http.post("/api/v1/projects", json=project_body(), headers=astana)
    assert error_code(refused, 422) == "rule_violation"

