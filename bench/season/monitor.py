"""What a season run measures besides its own requests: per-phase latency figures, a plain-text
progress bar, each platform process's memory and the broker's queue depths, sampled while it runs."""
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote

import requests

from bench.figures import percentile


@dataclass
class PhaseStats:
    name: str
    latencies_ms: list = field(default_factory=list)
    errors: int = 0
    retries: int = 0
    started: float = 0.0
    finished: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, milliseconds, error=False, retry=False):
        with self.lock:
            self.latencies_ms.append(milliseconds)
            self.errors += error
            self.retries += retry

    @property
    def seconds(self):
        return max(self.finished - self.started, 1e-9)

    def row(self):
        count = len(self.latencies_ms)
        return (f"{self.name:<22}{count:>9}{count / self.seconds:>10.1f}{self.seconds:>9.1f}"
                f"{percentile(self.latencies_ms, 50):>9.1f}{percentile(self.latencies_ms, 95):>9.1f}"
                f"{percentile(self.latencies_ms, 99):>9.1f}{self.errors:>8}{self.retries:>8}")

    HEADER = (f"{'phase':<22}{'requests':>9}{'req/s':>10}{'seconds':>9}{'p50 ms':>9}{'p95 ms':>9}"
              f"{'p99 ms':>9}{'errors':>8}{'retries':>8}")


class ProgressBar:
    """`phase [#####.....] done/total  req/s`, redrawn in place on a terminal, a line every few
    seconds otherwise; silent when `stream` is None."""

    def __init__(self, stream, name, total, stats, width=30):
        self.stream, self.name, self.total, self.stats, self.width = stream, name, max(total, 1), stats, width
        self.done = 0
        self.lock = threading.Lock()
        self.last_drawn = 0.0
        self.interactive = bool(stream) and stream.isatty()

    def advance(self, count=1):
        with self.lock:
            self.done += count
            now = time.monotonic()
            if self.stream and (now - self.last_drawn > (0.2 if self.interactive else 5) or self.done >= self.total):
                self.last_drawn = now
                self.draw()

    def draw(self):
        filled = int(self.width * min(self.done, self.total) / self.total)
        rate = len(self.stats.latencies_ms) / max(time.monotonic() - self.stats.started, 1e-9)
        line = (f"{self.name:<22}[{'#' * filled}{'.' * (self.width - filled)}] "
                f"{self.done}/{self.total} {rate:7.1f} req/s")
        self.stream.write(("\r" + line) if self.interactive else line + "\n")
        self.stream.flush()

    def close(self):
        if self.stream and self.interactive:
            self.draw()
            self.stream.write("\n")


def process_memory_kb(pid):
    """(resident, peak resident) of `pid` in KiB: /proc's VmRSS and VmHWM, or ps's rss for both."""
    try:
        with open(f"/proc/{pid}/status") as status:
            values = dict(line.split(":", 1) for line in status if line.startswith(("VmRSS", "VmHWM")))
        return int(values["VmRSS"].split()[0]), int(values["VmHWM"].split()[0])
    except (OSError, KeyError):
        answer = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True)
        rss = int(answer.stdout.strip() or 0)
        return rss, rss


def process_cpu_seconds(pid):
    """CPU time `pid` has used so far (user + system: /proc's utime + stime), or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sampler:
    """Samples, every `interval` seconds in a background thread, the memory and CPU time of the named
    processes (`{name: pid}`) and the depth of every queue of `vhost` on the broker's management API."""

    def __init__(self, pids=None, management_url=None, vhost="/", auth=("guest", "guest"), interval=1.0):
        self.pids = dict(pids or {})
        self.management_url = management_url
        self.vhost = vhost
        self.auth = auth
        self.interval = interval
        self.memory = {}  # name -> {"first": rss, "last": rss, "peak": hwm, "cpu": seconds used by then}
        self.queues = {}  # queue name -> peak depth
        self.broker_error = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True, name="season-sampler")
        self.http = requests.Session()

    def start(self):
        self.sample()
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=10)
        self.sample()
        self.http.close()

    def loop(self):
        while not self.stopping.wait(self.interval):
            self.sample()

    def sample(self):
        for name, pid in self.pids.items():
            rss, hwm = process_memory_kb(pid)
            seen = self.memory.setdefault(name, {"first": rss, "last": rss, "peak": hwm})
            seen["last"], seen["peak"] = rss or seen["last"], max(seen["peak"], hwm)
            cpu = process_cpu_seconds(pid)
            if cpu is not None:
                seen["cpu"] = cpu
        if self.management_url and self.broker_error is None:
            self.sample_queues()

    def sample_queues(self):
        url = f"{self.management_url.rstrip('/')}/api/queues/{quote(self.vhost, safe='')}"
        try:
            answer = self.http.get(url, auth=self.auth, timeout=5,
                                   params={"columns": "name,messages"})
            answer.raise_for_status()
        except requests.RequestException as exc:
            self.broker_error = f"broker's management API not reachable: {exc}"
            return
        for queue in answer.json():
            depth = queue.get("messages") or 0
            self.queues[queue["name"]] = max(self.queues.get(queue["name"], 0), depth)

    def memory_lines(self):
        """Per process: peak and resident memory, and CPU time used with its share of all of theirs."""
        total_cpu = sum(seen.get("cpu", 0) for seen in self.memory.values()) or 1
        return [f"  {name:<26} peak {seen['peak'] / 1024:8.1f} MiB   resident at start "
                f"{seen['first'] / 1024:8.1f} MiB, at end {seen['last'] / 1024:8.1f} MiB   "
                f"CPU {seen.get('cpu', 0):8.1f} s ({100 * seen.get('cpu', 0) / total_cpu:4.1f}%)"
                for name, seen in sorted(self.memory.items())]

    def queue_lines(self, top=12):
        if self.broker_error:
            return ["  " + self.broker_error]
        deepest = sorted(self.queues.items(), key=lambda item: -item[1])[:top]
        return [f"  {name:<60} {depth:>8}" for name, depth in deepest]
