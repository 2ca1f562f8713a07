"""The platform's Prometheus series, one process-wide set labelled by service.

Every metric is declared here once, so the gateway's `GET /metrics` and each service's metrics port
(`METRICS_PORT`) show the same names. Several nameko containers may share a process (the tests run
all of them in one), hence the `service` label on everything a service reports.

A service reports a figure only it knows with `set_gauge`, e.g. the payments service after a payout
changes state: ``set_gauge("payouts", count, status="paid")``.
"""
import logging
import threading

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)
PREFIX = "student_voucher_"

REQUESTS = Counter(
    PREFIX + "requests_total", "HTTP requests, RPCs and timer runs handled, by name and outcome",
    ["service", "kind", "name", "outcome"])
DURATION = Histogram(
    PREFIX + "request_duration_seconds", "Time to handle one request, RPC, event or timer run",
    ["service", "kind", "name"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
EVENTS_CONSUMED = Counter(
    PREFIX + "events_consumed_total", "Events handled by a consumer, by event type and outcome",
    ["service", "event", "outcome"])
EVENTS_PUBLISHED = Counter(
    PREFIX + "events_published_total", "Events published from a service's outbox, by event type",
    ["service", "event"])
# How many wait there now is the broker's to say: `./platform status` reads the queue's depth.
EVENTS_DEAD_LETTERED = Counter(
    PREFIX + "events_dead_lettered_total", "Events moved to the dead-letters queue after every retry failed",
    ["service", "event"])
EVENTS_REFUSED = Counter(
    PREFIX + "events_refused_total",
    "Events dead-lettered unread because their publisher does not own their exchange, by event and publisher",
    ["service", "event", "publisher"])
EVENTS_UNROUTABLE = Counter(
    PREFIX + "events_unroutable_total", "Events published with no queue bound for them, kept in `unroutable`",
    ["service", "event"])
GAUGES = {
    # Reported by the payments process only; with several replicas, read it with max(), not sum().
    "payouts": Gauge(PREFIX + "payouts", "Payouts by status, as the payments service counts them",
                     ["status"]),
}


def set_gauge(name, value, **labels):
    """Set one of `GAUGES` (by its short name) to `value`, for the given label values."""
    gauge = GAUGES[name]
    (gauge.labels(**labels) if labels else gauge).set(value)


class OutboxBacklog:
    """`student_voucher_outbox_backlog{service}`: unsent outbox rows, counted when scraped.

    Each outbox relay registers a counting function while its container runs."""

    def __init__(self):
        self.sources = {}
        self.lock = threading.Lock()

    def track(self, key, service, count):
        with self.lock:
            self.sources[key] = (service, count)

    def forget(self, key):
        with self.lock:
            self.sources.pop(key, None)

    def collect(self):
        family = GaugeMetricFamily(PREFIX + "outbox_backlog", "Events recorded but not yet published",
                                   labels=["service"])
        totals = {}
        with self.lock:
            sources = list(self.sources.values())
        for service, count in sources:
            try:
                totals[service] = totals.get(service, 0) + count()
            except Exception:  # a database that is down leaves its series out of this scrape
                log.warning("could not count the outbox backlog of %s", service)
        for service, total in sorted(totals.items()):
            family.add_metric([service], total)
        yield family


OUTBOX_BACKLOG = OutboxBacklog()
REGISTRY.register(OUTBOX_BACKLOG)

_server_lock = threading.Lock()
_server_port = None


def serve(port):
    """Serve this process's metrics on `port` (once per process, however many containers ask)."""
    global _server_port
    with _server_lock:
        if _server_port is None:
            start_http_server(int(port))
            _server_port = int(port)
            log.info("metrics on port %s", port)
