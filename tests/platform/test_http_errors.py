"""Bad requests get a clear 4xx in the uniform JSON error shape, never a 500 or an HTML page."""
import json

import pytest
from nameko.exceptions import ContainerBeingKilled

from common.auth import ADMIN, OPERATOR
from gateway.http import JsonHttpEntrypoint


def assert_json_error(response, status, code=None):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    if code:
        assert error["code"] == code
    return error


def test_malformed_json(platform):
    response = platform.http.post("/api/v1/universities", data=b'{"code": "X",',
                                  headers={**platform.auth(ADMIN), "Content-Type": "application/json"})
    error = assert_json_error(response, 400, "validation_failed")
    assert "_body" in error["fields"]


def test_wrong_content_type(platform):
    response = platform.http.post("/api/v1/universities", data="code=X",
                                  headers={**platform.auth(ADMIN),
                                           "Content-Type": "application/x-www-form-urlencoded"})
    error = assert_json_error(response, 415, "unsupported_media_type")
    assert "Content-Type" in error["fields"]


def test_no_body_at_all_is_an_empty_object(platform):
    """A POST whose fields are all optional needs no body; one with required fields names them."""
    headers = platform.auth(ADMIN)
    for extra in ({}, {"Content-Type": "application/json"}, {"Content-Type": "text/plain"}):
        response = platform.http.post("/api/v1/universities", headers={**headers, **extra})
        error = assert_json_error(response, 400, "validation_failed")
        assert {"code", "name", "region"} <= set(error["fields"])
    response = platform.http.post("/api/v1/payout-batches", headers=platform.auth(OPERATOR))  # `day` is optional
    assert response.status_code == 201, response.text


def test_unknown_and_invalid_fields_are_named(platform):
    response = platform.http.post("/api/v1/universities", headers=platform.auth(ADMIN),
                                  json={"code": "ok", "name": "N", "region": "KZ-99", "rector": "x"})
    error = assert_json_error(response, 400, "validation_failed")
    assert set(error["fields"]) == {"code", "name", "region", "rector"}
    assert error["fields"]["rector"] == ["Unknown field."]


def test_a_body_that_is_not_an_object(platform):
    response = platform.http.post("/api/v1/universities", headers=platform.auth(ADMIN), json=[1, 2])
    assert_json_error(response, 400, "validation_failed")


@pytest.mark.parametrize("path", ["/api/v1/nowhere", "/api/v2/health", "/api/v1/regions/KZ-71/x"])
def test_unknown_route(platform, path):
    assert_json_error(platform.http.get(path), 404, "not_found")


def test_wrong_method(platform):
    response = platform.http.delete("/api/v1/regions")
    assert_json_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_oversized_body(platform):
    response = platform.http.post("/api/v1/universities", headers=platform.auth(ADMIN),
                                  json={"name": "x" * (2 * 1024 * 1024)})
    assert_json_error(response, 413)


def test_bad_query_parameter(platform):
    error = assert_json_error(platform.http.get("/api/v1/universities", params={"region": "nowhere"}), 400)
    assert "region" in error["fields"]


def test_forged_token(platform):
    response = platform.http.post("/api/v1/universities", json={},
                                  headers={"Authorization": "Bearer not.a.token"})
    assert_json_error(response, 401, "unauthenticated")


def test_a_request_reaching_a_gateway_that_is_stopping_is_a_503():
    """The gateway stops when it loses the broker (its supervisor starts it again); a request that
    arrives meanwhile is told to come back, not that the platform failed."""
    response = JsonHttpEntrypoint("GET", "/api/v1/regions").response_from_exception(ContainerBeingKilled())
    assert response.status_code == 503
    assert json.loads(response.get_data())["error"]["fields"] == {"service": ["gateway"]}
