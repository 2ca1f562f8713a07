"""`./platform status` reads a running platform: instances, queues, outbox backlogs, dead letters."""
from ops.status import collect, owner_of, render, vhost_of
from tests.harness import eventually


def test_status_shows_instances_queues_and_outbox_backlogs(platform):
    vhost = vhost_of(platform.amqp_uri)
    api, auth = "http://localhost:15672", ("guest", "guest")

    def settled():  # the broker's statistics lag a few seconds; the seeded universities get published
        report = collect(api, auth, vhost, platform.database_urls)
        services = report["services"].values()
        return report if all(s["instances"] == 1 and s["outbox_backlog"] in (0, None) for s in services) else None

    report = eventually(settled)
    assert report["vhost"] == vhost and report["gateway_instances"] == 1
    for service, status in report["services"].items():
        assert status["instances"] == 1, service
        assert status["queues"][f"rpc-{service}"]["consumers"] == 1
    consumed = report["services"]["credits"]["queues"]
    assert any(name.startswith("evt-registry-university.added--credits.") for name in consumed)
    assert report["services"]["registry"]["outbox_backlog"] == 0
    assert report["dead_letters"] in (None, 0)
    assert report["unroutable"] == 0  # declared by every outbox relay; every event has its consumer
    assert "registry" in render(report) and "unroutable events: 0" in render(report)


def test_queue_owners_follow_nameko_names():
    assert owner_of("rpc-payments") == "payments"
    assert owner_of("evt-timesheet-report.accepted--payments.on_report_accepted") == "payments"
    assert owner_of("rpc.reply-gateway-1234") is None
