"""The platform as separate OS processes, for tests that kill and restart parts of it.

`BrokerNode` runs a RabbitMQ node of the test's own (own node name, ports and data folder), so
stopping it disturbs nothing else; `BrokerNode.cluster(...)` joins several into one cluster.
`ServiceProcesses` runs each service (any number of copies) and the gateway with `nameko run`,
exactly as `./platform start` does, and can SIGKILL and restart them.
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICES = ("registry", "placement", "timesheet", "payments", "credits", "notifications", "coverage")


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not ready in {timeout}s")
        time.sleep(0.2)


def free_port(low=20000, high=40000):
    """A free port whose distribution port (+20000, Erlang's inter-node and CLI port) is free too."""
    for port in random.sample(range(low, high), 200):
        if all(port_is_free(candidate) for candidate in (port, port + 20000)):
            return port
    raise RuntimeError("no free port pair for a broker node")


def port_is_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class BrokerNode:
    """A RabbitMQ node with a name, ports and data folder of its own. The folder is outside the
    test's private temp folder: the broker runs as the rabbitmq user, which must reach it."""

    def __init__(self, name):
        self.node = f"{name}-{os.getpid()}@localhost"
        self.port = free_port()
        self.folder = tempfile.mkdtemp(prefix=f"student-voucher-{name}-", dir="/var/tmp")
        self.amqp_uri = f"pyamqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def env(self):
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.port + 20000),
            "RABBITMQ_MNESIA_BASE": os.path.join(self.folder, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(self.folder, "log"),
            "RABBITMQ_PID_FILE": os.path.join(self.folder, "pid"),
            "RABBITMQ_CONFIG_FILE": os.path.join(self.folder, "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(self.folder, "enabled_plugins"),
        }

    def ctl(self, *args, check=True):
        return subprocess.run(["rabbitmqctl", "-q", "-n", self.node, *args], env=self.env, check=check,
                              capture_output=True, text=True, timeout=120)

    def start(self):
        with open(os.path.join(self.folder, "rabbitmq.conf"), "w") as conf:
            conf.write(f"listeners.tcp.default = {self.port}\nloopback_users = none\n")
        shutil.chown(self.folder, "rabbitmq", "rabbitmq")
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True, capture_output=True)
        self.await_startup()

    def await_startup(self):
        wait_until(lambda: self.ctl("await_startup", check=False).returncode == 0, 90, self.node)

    def stop_app(self):
        self.ctl("stop_app")

    def start_app(self):
        self.ctl("start_app")
        self.await_startup()

    def shutdown(self):
        self.ctl("stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    @classmethod
    def cluster(cls, nodes):
        """Join `nodes[1:]` to `nodes[0]` (all started)."""
        for node in nodes[1:]:
            node.ctl("stop_app")
            node.ctl("join_cluster", nodes[0].node)
            node.start_app()


class ServiceProcesses:
    """Each service (and the gateway) as `nameko run` under ops/supervise.py, as `./platform start`
    runs them: a process that dies is started again."""

    def __init__(self, amqp_uri, database_urls, log_dir, extra_env=None, gateway_port=None):
        self.env = {
            **os.environ,
            "PYTHONPATH": ROOT,
            "PYTHONWARNINGS": "ignore",
            "AMQP_URI": amqp_uri,
            "LOG_LEVEL": "WARNING",
            **{f"{service.upper()}_DATABASE_URL": url for service, url in database_urls.items()},
            **(extra_env or {}),
        }
        self.log_dir = log_dir
        self.gateway_port = gateway_port
        self.processes = {}  # (service, copy) -> Popen

    def command(self, service):
        config = "gateway/config.yml" if service == "gateway" else f"services/{service}/config.yml"
        module = "gateway.service" if service == "gateway" else f"services.{service}.service"
        return [sys.executable, "-m", "nameko", "run", "--config", config,
                f"{module}:{service.capitalize()}Service"]

    def start(self, service, copy=0):
        env = dict(self.env)
        if service == "gateway":  # copy n of the gateway listens on gateway_port + n
            env["GATEWAY_ADDRESS"] = f"127.0.0.1:{self.gateway_port + copy}"
        log = open(os.path.join(self.log_dir, f"{service}-{copy}.log"), "a")
        supervised = [sys.executable, "-m", "ops.supervise", *self.command(service)]
        self.processes[(service, copy)] = subprocess.Popen(supervised, cwd=ROOT, env=env, stdout=log,
                                                           stderr=subprocess.STDOUT)

    def start_all(self, copies=1):
        for service in SERVICES:
            for copy in range(copies):
                self.start(service, copy)
        if self.gateway_port:
            self.start("gateway")
            wait_until(self.healthy, 120, "the platform's health")

    def healthy(self):
        try:
            return requests.get(f"http://127.0.0.1:{self.gateway_port}/api/v1/health", timeout=3).ok
        except requests.RequestException:
            return False

    def service_pids(self, service, copy=0):
        """The running service process(es) under the supervisor (ops/supervise.py) of this copy."""
        supervisor = self.processes[(service, copy)].pid
        with open(f"/proc/{supervisor}/task/{supervisor}/children") as children:
            return [int(pid) for pid in children.read().split()]

    def kill(self, service, copy=0):
        """SIGKILL the service process; its supervisor starts it again."""
        for pid in self.service_pids(service, copy):
            os.kill(pid, signal.SIGKILL)

    def stop_all(self):
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
