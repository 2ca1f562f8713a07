"""The platform as separate OS processes, for tests that kill and restart parts of it.

`BrokerNode` runs a RabbitMQ node of the test's own (own node name, ports and data folder), so
stopping it disturbs nothing else; `BrokerNode.cluster(...)` joins several into one cluster.
`ServiceProcesses` runs each service (any number of copies) and the gateway with `nameko run`,
exactly as `./platform start` does, and can SIGKILL and restart them.
"""
import os
import shutil
import signal
import subprocess
import sys
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


class BrokerNode:
    def __init__(self, name, port, folder):
        self.node = f"{name}@localhost"
        self.port = port
        self.folder = folder
        self.amqp_uri = f"pyamqp://guest:guest@127.0.0.1:{port}/"

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
        os.makedirs(self.folder, exist_ok=True)
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
        self.processes[(service, copy)] = subprocess.Popen(self.command(service), cwd=ROOT, env=env,
                                                           stdout=log, stderr=subprocess.STDOUT)

    def start_all(self, copies=1):
        for service in SERVICES:
            for copy in range(copies):
                self.start(service, copy)
        if self.gateway_port:
            self.start("gateway")
            wait_until(self.healthy, 60, "the platform's health")

    def healthy(self):
        try:
            return requests.get(f"http://127.0.0.1:{self.gateway_port}/api/v1/health", timeout=3).ok
        except requests.RequestException:
            return False

    def kill(self, service, copy=0):
        process = self.processes.pop((service, copy))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def restart(self, service, copy=0):
        self.kill(service, copy)
        self.start(service, copy)

    def stop_all(self):
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
