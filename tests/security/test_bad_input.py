"""Bad input answers 4xx in the uniform error shape, never a 5xx, and changes nothing.

Oversized and deeply nested bodies, wrong types, names in every script (and the characters no name
may hold), SQL-injection strings in searches and filters, and path ids that are not ids.
"""
import json
import uuid
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from common.auth import ADMIN, MINISTRY, STUDENT
from gateway.http import MAX_BODY_BYTES
from services.placement.models import Project
from tests.placement.support import accredit, project_body, publish_project
from tests.registry.pki import random_iin

NAMES = {
    "kazakh": "Әлия Құрманғазықызы Үмбетова",
    "kazakh_caps": "ӘҒҚҢӨҰҮҺІ әғқңөұүһі",
    "rtl": "مريم الفارسي",
    "mixed_direction": "Dana \u202eanaD",
    "emoji": "Айгүл 🌷👩🏽‍🏫",
    "combining": "Ai\u0301gerim Nu\u0308rlanova",
    "zero_width": "Ерлан\u200dБек",
}
CONTROL_CHARACTERS = ["\x00", "\x07", "\x1b[31m", "\n", "\x7f"]
SQL_INJECTIONS = ["' OR '1'='1", "'; DROP TABLE projects; --", "\" OR \"\"=\"", "1; SELECT pg_sleep(5)--",
                  "%' UNION SELECT * FROM outbox_events --", "\\'; --", "*/ OR /*"]
NOT_IDS = ["x" * 4000, "Әлия", "..", "../../etc/passwd", "..%2F..%2Fstaff", "%2e%2e%2f", "a%2Fb", "%00",
           "' OR 1=1 --", "0" * 31, "0" * 33, "%F0%9F%8C%B7", "null", "-1", "1e9"]


def error_of(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


def dot_segment_redirect(path_id):
    """Dot segments (also %-encoded) may be redirected to their normal form, which the caller asks for anew."""
    return (308,) if ".." in unquote(path_id) else ()


def nested(depth):
    return "[" * depth + "]" * depth


@pytest.fixture
def world(platform):
    coordinator, organisation_id, site_id = accredit(platform)
    project = publish_project(platform, coordinator)
    return {"coordinator": coordinator, "project": project, "admin": platform.auth(ADMIN)}


def test_oversized_and_deeply_nested_bodies_are_refused_in_the_error_shape(platform, world):
    http, headers = platform.http, world["coordinator"]
    json_headers = {**headers, "Content-Type": "application/json"}
    huge = json.dumps(project_body(description="x" * (MAX_BODY_BYTES + 1)))
    assert error_of(http.post("/api/v1/projects", data=huge, headers=json_headers), 413)

    def chunks():  # no Content-Length: the limit holds while reading
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536
    assert error_of(http.post("/api/v1/projects", data=chunks(), headers=json_headers), 413, 400)

    for depth in (64, 1000, 100_000):
        for body in (nested(depth), '{"title": ' + nested(depth) + "}", '{"a":' * depth + "1" + "}" * depth):
            error = error_of(http.post("/api/v1/projects", data=body, headers=json_headers), 400)
            assert error["code"] == "validation_failed"
    assert error_of(http.post("/api/v1/projects", data="{", headers=json_headers), 400)
    assert error_of(http.post("/api/v1/projects", data=b"\xff\xfe{}", headers=json_headers), 400)
    assert error_of(http.post("/api/v1/projects", data="{}", headers={**headers, "Content-Type": "text/plain"}),
                    415)
    assert http.get("/api/v1/projects", headers=headers).json()["total"] == 1


def test_wrong_types_name_the_field(platform, world):
    http, headers = platform.http, world["coordinator"]
    wrong = {"places": ["three", 3.5, True, None, 10 ** 40, {"n": 3}, [3]], "title": [42, True, ["t"], {"t": 1}],
             "starts_on": [20260101, "yesterday", "2026-02-30"], "online": ["maybe", 2],
             "languages": ["kk", [1], [None]], "direction": [7]}
    for field, values in wrong.items():
        for value in values:
            response = http.post("/api/v1/projects", json=project_body(**{field: value}), headers=headers)
            error = error_of(response, 400) if response.status_code != 201 else pytest.fail(f"{field}={value!r}")
            assert field in error["fields"], (field, value, error)
    for body in ("[]", '"text"', "1", "null", "NaN", '{"places": NaN}', '{"places": Infinity}'):
        error_of(http.post("/api/v1/projects", data=body, headers={**headers, "Content-Type": "application/json"}),
                 400)
    error_of(http.get("/api/v1/projects", params={"limit": "many", "offset": -1}, headers=headers), 400)
    error_of(http.get("/api/v1/projects", params={"limit": 10 ** 30}, headers=headers), 400)
    assert http.get("/api/v1/projects", headers=headers).json()["total"] == 1


def test_names_in_any_script_are_kept_exactly_and_control_characters_refused(platform, world):
    http, admin = platform.http, world["admin"]
    for kind, name in NAMES.items():
        created = http.post("/api/v1/staff", headers=admin, json={
            "iin": random_iin(), "full_name": name, "role": "ministry"})
        assert created.status_code == 201, (kind, created.text)
        assert created.json()["full_name"] == name
        project = publish_project(platform, world["coordinator"], title=name + " project")
        assert http.get(f"/api/v1/projects/{project['id']}", headers=world["coordinator"]).json()["title"] == \
            name + " project"
    for character in CONTROL_CHARACTERS:
        name = f"Aigerim{character}Nurlanova"
        error = error_of(http.post("/api/v1/staff", headers=admin, json={
            "iin": random_iin(), "full_name": name, "role": "ministry"}), 400)
        assert "full_name" in error["fields"]
        error = error_of(http.post("/api/v1/projects", json=project_body(title=name),
                                   headers=world["coordinator"]), 400)
        assert "title" in error["fields"]
    for lone_surrogate in ('"\\ud800"', '"x\\udfff"'):
        body = '{"iin": random_iin(), "role": "ministry", "full_name": ' + lone_surrogate + "}"
        error_of(http.post("/api/v1/staff", data=body, headers={**admin, "Content-Type": "application/json"}), 400)
    error_of(http.get("/api/v1/projects", params={"q": "a\x00b"}, headers=world["coordinator"]), 400)
    staff = http.get("/api/v1/staff", headers=admin, params={"limit": 100}).json()
    assert sorted(s["full_name"] for s in staff["items"] if s["role"] == "ministry") == sorted(NAMES.values())


def test_sql_injection_in_search_and_filters_is_inert(platform, world):
    http, coordinator = platform.http, world["coordinator"]
    student = platform.auth(STUDENT, region="KZ-71", university_id=uuid.uuid4().hex)
    with platform.session("placement") as session:
        projects_before = session.scalar(select(func.count()).select_from(Project))
    for text in SQL_INJECTIONS:
        for headers in (coordinator, student):
            found = http.get("/api/v1/projects", params={"q": text}, headers=headers)
            assert found.status_code == 200 and found.json()["items"] == [], found.text
            error_of(http.get("/api/v1/projects", params={"city": text, "region": text}, headers=headers), 400)
        found = http.get("/api/v1/projects", params={"city": text}, headers=coordinator)
        assert found.json()["total"] == 0, found.text
        for path, params in (("/api/v1/organisations", {"status": text}), ("/api/v1/staff", {"role": text}),
                             ("/api/v1/universities", {"region": text}), ("/api/v1/sites", {"organisation_id": text}),
                             ("/api/v1/payouts", {"status": text}), ("/api/v1/coverage", {"region": text})):
            error_of(http.get(path, params=params, headers=world["admin"]), 400)
    with platform.session("placement") as session:
        assert session.scalar(select(func.count()).select_from(Project)) == projects_before == 1
    assert http.get("/api/v1/projects", params={"q": "fractions"}, headers=student).json()["total"] == 1
    assert len(http.get("/api/v1/universities").json()) > 0


def test_path_ids_that_are_not_ids_answer_404_in_the_error_shape(platform, world):
    http = platform.http
    callers = (world["coordinator"], world["admin"], platform.auth(MINISTRY),
               platform.auth(STUDENT, region="KZ-71", university_id=uuid.uuid4().hex))
    paths = ("/api/v1/projects/{}", "/api/v1/staff/{}", "/api/v1/organisations/{}", "/api/v1/reports/{}/pdf",
             "/api/v1/payouts/{}", "/api/v1/credits/requests/{}", "/api/v1/applications/{}",
             "/api/v1/placements/{}", "/api/v1/students/{}", "/api/v1/certificates/{}")
    for bad in NOT_IDS:
        for template in paths:
            for headers in callers:
                response = http.get(template.format(bad), headers=headers, allow_redirects=False) \
                    if "staff" not in template else \
                    http.patch(template.format(bad), json={"active": False}, headers=headers, allow_redirects=False)
                error_of(response, 400, 403, 404, 405, *dot_segment_redirect(bad))
        for template in ("/api/v1/organisations/{}/accredit", "/api/v1/notifications/{}/read",
                         "/api/v1/payouts/{}/retry"):
            error_of(http.post(template.format(bad), headers=world["admin"], allow_redirects=False), 400, 403, 404,
                     *dot_segment_redirect(bad))
    # the real project is untouched and still found by its id
    project_id = world["project"]["id"]
    assert http.get(f"/api/v1/projects/{project_id}", headers=world["coordinator"]).status_code == 200
    assert http.get(f"/api/v1/projects/{project_id}%2F..", headers=world["coordinator"]).status_code == 404
