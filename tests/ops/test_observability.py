"""Logs follow one request across the bus; metrics count what the platform does."""
import json
import logging
import socket
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from common.logs import JsonFormatter
from common.programme import REGION_CODES
from services.registry.models import OutboxEvent
from tests.harness import eventually

SERIES = (
    "student_voucher_requests_total", "student_voucher_request_duration_seconds",
    "student_voucher_events_published_total", "student_voucher_events_consumed_total",
    "student_voucher_events_dead_lettered_total", "student_voucher_outbox_backlog",
    "student_voucher_payouts",
)


def new_university():
    code = "U" + uuid.uuid4().hex[:8].upper()
    return {"code": code, "name": f"University {code}", "region": REGION_CODES[0]}


def access_lines(records, request_id):
    """(service, kind, entrypoint, outcome) of each access line logged for `request_id`."""
    return {(r.service, r.kind, r.entrypoint, r.outcome) for r in records
            if getattr(r, "kind", None) and r.request_id == request_id}


def test_one_request_id_through_gateway_registry_and_an_event_to_credits(platform, caplog):
    caplog.set_level(logging.INFO)
    request_id = "trace-" + uuid.uuid4().hex
    admin = platform.auth("admin")

    answer = platform.http.post("/api/v1/universities", json=new_university(),
                                headers={**admin, "X-Request-Id": request_id})
    assert answer.status_code == 201, answer.text
    assert answer.headers["X-Request-Id"] == request_id

    expected = {
        ("gateway", "http", "POST /api/v1/universities", "success"),
        ("registry", "rpc", "add_university", "success"),
        ("credits", "event", "university.added", "success"),
    }
    eventually(lambda: expected <= access_lines(caplog.records, request_id))
    with platform.session("registry") as session:
        envelopes = [row.envelope for row in session.query(OutboxEvent).all()]
    assert request_id in {envelope["request_id"] for envelope in envelopes}

    # Each line is one JSON object a grep for the request id finds, with how long it took.
    lines = [json.loads(JsonFormatter().format(record)) for record in caplog.records
             if getattr(record, "request_id", None) == request_id]
    assert {line["service"] for line in lines} >= {"gateway", "registry", "credits"}
    assert all(line["duration_ms"] >= 0 for line in lines if "duration_ms" in line)

    # A request without the header gets a fresh id, answered back and carried to registry.
    answer = platform.http.get("/api/v1/regions")
    fresh_id = answer.headers["X-Request-Id"]
    assert fresh_id and fresh_id != request_id
    eventually(lambda: ("registry", "rpc", "list_regions", "success") in access_lines(caplog.records, fresh_id))


def test_log_lines_mask_iins_and_card_numbers():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "student %s paid to %s",
                               ("990101300123", "4111 1111 1111 1111"), None)
    line = JsonFormatter().format(record)
    assert "990101300123" not in line and "4111 1111 1111 1111" not in line
    assert json.loads(line)["message"] == "student ****0123 paid to ****1111"


def scrape(url):
    """{(name, labels as a sorted tuple): value} of every sample at `url`."""
    text = requests.get(url, timeout=5).text
    return text, {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                  for family in text_string_to_metric_families(text) for sample in family.samples}


def series(metric, /, **labels):
    return metric, tuple(sorted(labels.items()))


def value(samples, metric, /, **labels):
    return samples.get(series(metric, **labels), 0.0)


@pytest.fixture
def metrics_port(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("METRICS_PORT", str(port))
    return port


def test_metrics_expose_the_named_series_and_move_after_a_request(metrics_port, platform):
    url = platform.base_url + "/metrics"
    backlog = series("student_voucher_outbox_backlog", service="registry")
    eventually(lambda: scrape(url)[1].get(backlog) == 0)  # the seeded universities are published
    text, before = scrape(url)
    for name in SERIES:
        assert f"# TYPE {name} " in text, name

    university = new_university()
    admin = platform.auth("admin")
    assert platform.http.post("/api/v1/universities", json=university, headers=admin).status_code == 201
    assert platform.http.post("/api/v1/universities", json=university, headers=admin).status_code == 409

    rpc = {"service": "registry", "kind": "rpc", "name": "add_university"}
    moved = {
        series("student_voucher_requests_total", outcome="success", **rpc): 1,
        series("student_voucher_requests_total", outcome="conflict", **rpc): 1,
        series("student_voucher_request_duration_seconds_count", **rpc): 2,
        series("student_voucher_events_published_total", service="registry", event="university.added"): 1,
        series("student_voucher_events_consumed_total", service="credits", event="university.added",
               outcome="success"): 1,
    }

    consumed = list(moved)[-1]
    eventually(lambda: scrape(url)[1].get(consumed, 0.0) > before.get(consumed, 0.0))
    _, after = scrape(url)
    assert {key: after.get(key, 0.0) - before.get(key, 0.0) for key in moved} == moved
    assert after[backlog] == 0
    assert value(after, "student_voucher_requests_total", service="gateway", kind="http",
                 name="POST /api/v1/universities", outcome="conflict") >= 1

    # Each service process serves the same registry on METRICS_PORT.
    _, served = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
    assert value(served, "student_voucher_events_published_total", service="registry",
                 event="university.added") >= 1
