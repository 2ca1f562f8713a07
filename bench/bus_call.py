"""The cost of one call over the bus, side by side on this machine:

1. a raw kombu request/reply round trip to a trivial consumer (the floor for this broker),
2. a nameko RPC to a trivial method (standalone client; and as the gateway makes it, back to back
   from one worker and within HTTP requests),
3. an HTTP request to the gateway that makes one such RPC.

    python -m bench.bus_call [--calls 2000]

Prints each median and p99 and the ratio to the raw round trip. Needs RabbitMQ on localhost
(`./platform start` or `./platform test` leave one running; so does `rabbitmq-server -detached`).
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import requests  # noqa: E402
from kombu import Connection, Consumer, Exchange, Producer, Queue  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from common.rpc import rpc  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from bench.figures import percentile  # noqa: E402
from gateway.http import route  # noqa: E402
from gateway.rpc import TimedRpc  # noqa: E402

AMQP_URI = "pyamqp://guest:guest@localhost:5672/"


class Echo:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value


GATEWAY_RPC_MS = []


class EchoGateway:
    """A gateway route making one RPC, timing that RPC as the gateway sees it; and the same RPC made
    back to back by one gateway worker, with no HTTP traffic around it."""
    name = "bench_gateway"
    config = {}
    echo_service = TimedRpc("bench_echo")

    @rpc
    def back_to_back(self, count):
        return time_calls(lambda: self.echo_service.echo(1), count)

    @route("GET", "/bench/echo", summary="one RPC", tag="bench", public=True)
    def echo(self, request):
        started = time.perf_counter()
        value = self.echo_service.echo(1)
        GATEWAY_RPC_MS.append((time.perf_counter() - started) * 1000)
        return {"value": value}


def time_calls(call, count):
    for _ in range(min(100, count)):  # warm up connections and caches
        call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def raw_kombu(count, confirms=False):
    """A request on one queue, the reply on another, through the default exchange. With `confirms`,
    each side publishes on a connection of its own in confirm mode and waits for the broker's
    confirm, as the platform's RPC does."""
    exchange = Exchange("", type="direct")
    publishing = {"confirm_publish": True} if confirms else None
    with Connection(AMQP_URI) as server_conn, Connection(AMQP_URI) as client_conn, \
            Connection(AMQP_URI, transport_options=publishing) as server_out, \
            Connection(AMQP_URI, transport_options=publishing) as client_out:
        requests_queue = Queue("bench-raw-" + uuid.uuid4().hex, auto_delete=True)
        replies_queue = Queue("bench-raw-reply-" + uuid.uuid4().hex, auto_delete=True, exclusive=True)
        server_producer = Producer((server_out if confirms else server_conn).channel())

        def serve(body, message):
            server_producer.publish(body, exchange=exchange, routing_key=message.properties["reply_to"],
                                    correlation_id=message.properties["correlation_id"])
            message.ack()

        replies = []
        client_producer = Producer((client_out if confirms else client_conn).channel())
        with Consumer(server_conn.channel(), [requests_queue], callbacks=[serve]), \
                Consumer(client_conn.channel(), [replies_queue], callbacks=[lambda b, m: replies.append(b)],
                         no_ack=True):
            server = eventlet.spawn(drain_forever, server_conn)

            def call():
                client_producer.publish({"value": 1}, exchange=exchange, routing_key=requests_queue.name,
                                        reply_to=replies_queue.name, correlation_id=uuid.uuid4().hex)
                while not replies:
                    client_conn.drain_events(timeout=5)
                replies.pop()

            try:
                return time_calls(call, count)
            finally:
                server.kill()


def drain_forever(connection):
    while True:
        try:
            connection.drain_events(timeout=1)
        except socket.timeout:
            pass


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(prog="python -m bench.bus_call")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    port = free_port()
    config = {"AMQP_URI": AMQP_URI, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}  # public routes only: no token keys
    echo = ServiceContainer(Echo, config)
    gateway = ServiceContainer(EchoGateway, config)
    echo.start()
    gateway.start()
    try:
        results = {"raw kombu round trip": raw_kombu(args.calls),
                   "raw, publisher confirms": raw_kombu(args.calls, confirms=True)}
        with ClusterRpcProxy({"AMQP_URI": AMQP_URI}, timeout=600) as cluster:
            results["nameko RPC"] = time_calls(lambda: cluster.bench_echo.echo(1), args.calls)
            results["gateway RPC, back to back"] = cluster.bench_gateway.back_to_back(args.calls)
        with requests.Session() as http:
            url = f"http://127.0.0.1:{port}/bench/echo"
            results["HTTP -> gateway -> RPC"] = time_calls(lambda: http.get(url).raise_for_status(), args.calls)
        results["gateway RPC within HTTP"] = GATEWAY_RPC_MS[-args.calls:]
    finally:
        gateway.stop()
        echo.stop()
    floor = statistics.median(results["raw kombu round trip"])
    print(f"{'path':<28}{'median ms':>10}{'p99 ms':>10}{'x raw':>8}   ({args.calls} sequential calls each)")
    for name, samples in results.items():
        median = statistics.median(samples)
        print(f"{name:<28}{median:>10.2f}{percentile(samples, 99):>10.2f}{median / floor:>8.2f}")


if __name__ == "__main__":
    main()
