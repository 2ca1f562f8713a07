"""One broker user per service, allowed only its own part, and events accepted only from the owner
of their exchange: the platform here runs as in production, each service on its own broker user
with the permissions ops/bus.py gives it (the rest of the suite shares the test vhost's guest)."""
import json
from urllib.parse import quote, urlsplit

import pytest
from amqp.exceptions import AccessRefused, PreconditionFailed
from kombu import Connection, Exchange, Producer
from sqlalchemy import func, select

from common import metrics
from common.contracts.timesheet import REPORT_ACCEPTED
from common.delivery import DEAD_LETTER_QUEUE, PUBLISHER_HEADER, publisher_of
from ops import bus
from services.payments.models import Payout, ProcessedEvent
from tests.harness import SERVICES, eventually
from tests.payments.support import accepted_report

IDENTITIES = SERVICES + ("gateway",)
PASSWORDS = {name: f"test-bus-{name}-password-of-32-bytes-or-more" for name in IDENTITIES}


def uri_as(amqp_uri, user):
    parts = urlsplit(amqp_uri)
    return f"pyamqp://{user}:{quote(PASSWORDS[user], safe='')}@{parts.hostname}:{parts.port or 5672}{parts.path}"


@pytest.fixture
def service_overrides(rabbit_config):
    """Every service and the gateway on its own broker user, set up on this test's vhost by ops.bus."""
    amqp_uri = rabbit_config["AMQP_URI"]
    vhost = urlsplit(amqp_uri).path[1:]
    bus.apply_identities({**bus.settings({}), "vhost": vhost, "region": None, "passwords": PASSWORDS})
    return {name: {"AMQP_URI": uri_as(amqp_uri, name)} for name in IDENTITIES}


def publish(amqp_uri, exchange, body, **properties):
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        Producer(connection.channel(), exchange=Exchange(exchange, type="topic", durable=True)).publish(
            json.dumps(body), routing_key="report.accepted", content_type="application/json", retry=False,
            **properties)


def test_a_service_cannot_publish_or_declare_on_another_services_exchange(platform):
    notifications = uri_as(platform.amqp_uri, "notifications")
    with pytest.raises(AccessRefused):
        publish(notifications, "timesheet.events", {"forged": True}, user_id="notifications")
    with pytest.raises(AccessRefused), Connection(notifications) as connection:
        Exchange("timesheet.events", type="topic", durable=True)(connection.channel()).declare()
    # nor can a service sign an event with another's name: the broker checks user_id
    with pytest.raises(PreconditionFailed):
        publish(uri_as(platform.amqp_uri, "payments"), "payments.events", {"forged": True}, user_id="timesheet")


def dead_letters(amqp_uri):
    """Every dead letter (taken off the queue) as (headers, body)."""
    letters = []
    with Connection(amqp_uri) as connection:
        queue = DEAD_LETTER_QUEUE(connection.channel())
        queue.declare()
        while (message := queue.get(no_ack=True)) is not None:
            letters.append((message.headers, message.payload))
    return letters


def refused_count():
    return sum(sample.value for family in metrics.EVENTS_REFUSED.collect() for sample in family.samples
               if sample.name.endswith("_total") and sample.labels["service"] == "payments")


def test_a_forged_report_accepted_pays_nothing_and_is_dead_lettered_with_its_reason_and_counted(platform):
    refused_before = refused_count()
    # published on timesheet's exchange by another identity (here the vhost's administrator)
    envelope = platform.publish(REPORT_ACCEPTED, accepted_report("accomplice"))
    letters = []

    def refused_by_payments():
        letters.extend(dead_letters(platform.amqp_uri))
        return [headers for headers, body in letters
                if body["event_id"] == envelope["event_id"] and headers["x-consumer"].startswith("payments.")]

    [headers] = eventually(refused_by_payments)
    assert headers["x-error"].startswith("refused: published by an unnamed user, not by the timesheet service")
    assert headers["x-attempts"] == 0
    assert refused_count() == refused_before + 1
    with platform.session("payments") as session:
        assert session.scalar(select(func.count()).select_from(Payout)) == 0
        assert session.scalar(select(func.count()).select_from(ProcessedEvent).where(
            ProcessedEvent.event_id == envelope["event_id"])) == 0


class Message:
    def __init__(self, user_id, headers):
        self.properties, self.headers = {"user_id": user_id}, headers


def test_a_retry_keeps_its_first_publisher_only_when_the_consumer_itself_sent_it():
    assert publisher_of(Message("timesheet", {}), "payments") == "timesheet"
    assert publisher_of(Message("payments", {PUBLISHER_HEADER: "timesheet"}), "payments") == "timesheet"
    # anyone else may name a publisher in a header, but is then its own user_id
    assert publisher_of(Message("notifications", {PUBLISHER_HEADER: "timesheet"}), "payments") == "notifications"
    assert publisher_of(Message(None, {PUBLISHER_HEADER: "timesheet"}), "payments") is None
