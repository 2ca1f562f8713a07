"""Peak registration: EDS registrations per second through the gateway at rising concurrency, until
the p99 latency of a registration passes 200 ms; in the same run, a trivial HTTP -> gateway -> one
RPC call (GET /api/v1/regions) at the same concurrencies, for the ratio.

    python -m bench.peak_registration [--seconds 8] [--levels 1,2,4,8,16,32,64] [--copies N] [--url URL]

A registration is the two requests a student's browser makes: a challenge, then the registration
with a GOST 2015 (512-bit) CMS signature over it, as KalkanCrypt writes it (the signing, done by NCALayer in life, is not timed).
Without --url it starts the platform as OS processes (bench/season/own_platform.py). Prints the
curve and saves a chart to bench/results/ and to bench/peak_registration.png.
"""
import argparse
import itertools
import os
import shutil
import sys
import tempfile
import threading
import time

import requests

from bench.figures import percentile
from bench.season.driver import client_address
from bench.season.own_platform import OwnPlatform
from tests.processes import ROOT
from tests.registry.pki import make_user, sign_nonce

RESULTS = os.path.join(ROOT, "bench", "results")
CHART = os.path.join(ROOT, "bench", "peak_registration.png")
API = "/api/v1"


class Level:
    def __init__(self, clients):
        self.clients = clients
        self.latencies_ms = []
        self.errors = 0
        self.seconds = 0.0

    @property
    def rate(self):
        return len(self.latencies_ms) / max(self.seconds, 1e-9)

    @property
    def p50(self):
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self):
        return percentile(self.latencies_ms, 99)


def run_level(clients, seconds, make_work):
    """`clients` threads each repeating `make_work()`'s answer (a function that returns the
    milliseconds it spent on requests, or None when it failed) for `seconds`."""
    level, lock = Level(clients), threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        work = make_work()
        while time.monotonic() < deadline:
            spent = work()
            with lock:
                if spent is None:
                    level.errors += 1
                else:
                    level.latencies_ms.append(spent)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    level.seconds = time.monotonic() - started
    return level


def registration(base_url, university_id, numbers):
    """A client registering new students one after another."""
    http = requests.Session()

    def register():
        number = next(numbers)
        user = make_user()
        address = client_address(number)
        started = time.perf_counter()
        challenge = http.post(f"{base_url}{API}/auth/challenge", headers=address, timeout=30,
                              params={"agreement_language": "kk"})
        spent = time.perf_counter() - started
        if challenge.status_code != 201:
            return None
        nonce = challenge.json()["nonce"]
        body = {"nonce": nonce, "signature": sign_nonce(user, challenge.json()), "university_id": university_id,
                "region": "KZ-71", "language": "kk", "agreement_version": challenge.json()["agreement_version"],
                "agreement_language": "kk"}
        started = time.perf_counter()
        registered = http.post(f"{base_url}{API}/auth/register", json=body, headers=address, timeout=30)
        spent += time.perf_counter() - started
        return spent * 1000 if registered.status_code == 201 else None

    return register


def trivial_call(base_url):
    http = requests.Session()

    def call():
        started = time.perf_counter()
        answer = http.get(f"{base_url}{API}/regions", timeout=30)
        return (time.perf_counter() - started) * 1000 if answer.ok else None

    return call


def sweep(name, levels, seconds, limit_ms, make_work):
    print(f"\n{name}\n{'clients':>8}{'per s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}", flush=True)
    curve = []
    for clients in levels:
        level = run_level(clients, seconds, make_work)
        curve.append(level)
        print(f"{clients:>8}{level.rate:>10.1f}{level.p50:>9.1f}{level.p99:>9.1f}{level.errors:>8}", flush=True)
        if level.p99 > limit_ms:
            break
    return curve


def best_within(curve, limit_ms):
    """The highest rate at which p99 stayed within the limit (None if it never did)."""
    within = [level for level in curve if level.p99 <= limit_ms and not level.errors]
    return max(within, key=lambda level: level.rate) if within else None


def chart(registrations, trivial, limit_ms, path):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, (rates, latencies) = pyplot.subplots(1, 2, figsize=(11, 4.2))
    for curve, label in ((registrations, "EDS registration"), (trivial, "GET /api/v1/regions (one RPC)")):
        clients = [level.clients for level in curve]
        rates.plot(clients, [level.rate for level in curve], marker="o", label=label)
        latencies.plot(clients, [level.p99 for level in curve], marker="o", label=label)
    latencies.axhline(limit_ms, color="grey", linestyle="--", label=f"p99 limit {limit_ms:.0f} ms")
    for axis, title in ((rates, "throughput (per second)"), (latencies, "p99 latency (ms)")):
        axis.set_xscale("log", base=2)
        axis.set_xlabel("concurrent clients")
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
        axis.legend()
    figure.suptitle("Peak registration through the gateway (2-core machine, shared)")
    figure.tight_layout()
    figure.savefig(path, dpi=90)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.peak_registration", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running platform's gateway (its gateway must trust one proxy)")
    parser.add_argument("--copies", type=int, default=1, help="copies of the gateway and the busiest services")
    parser.add_argument("--seconds", type=float, default=8, help="per concurrency level")
    parser.add_argument("--levels", default="1,2,4,8,16,32,64")
    parser.add_argument("--p99-ms", type=float, default=200)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    levels = [int(level) for level in args.levels.split(",")]
    own = None
    if args.url:
        urls = [args.url]
    else:
        own = OwnPlatform(tempfile.mkdtemp(prefix="peak-registration-"), args.copies)
        own.start()
        urls = own.base_urls
    try:
        university_id = requests.get(f"{urls[0]}{API}/universities", params={"region": "KZ-71"},
                                     timeout=10).json()[0]["id"]
        numbers = itertools.count()
        spread = itertools.cycle(urls)
        registrations = sweep("EDS registrations (challenge + register)", levels, args.seconds, args.p99_ms,
                              lambda: registration(next(spread), university_id, numbers))
        trivial = sweep("trivial HTTP -> gateway -> RPC (GET /api/v1/regions)", levels, args.seconds / 2,
                        args.p99_ms, lambda: trivial_call(next(spread)))
    finally:
        if own:
            own.stop()
    peak, trivial_peak = best_within(registrations, args.p99_ms), best_within(trivial, args.p99_ms)
    if peak and trivial_peak:
        print(f"\npeak: {peak.rate:.1f} registrations/s at {peak.clients} clients (p99 {peak.p99:.1f} ms); "
              f"trivial call {trivial_peak.rate:.1f}/s at {trivial_peak.clients} clients; "
              f"ratio {peak.rate / trivial_peak.rate:.2f}")
    os.makedirs(RESULTS, exist_ok=True)
    saved = os.path.join(RESULTS, f"peak_registration-x{args.copies}-{int(time.time())}.png")
    chart(registrations, trivial, args.p99_ms, saved)
    shutil.copyfile(saved, CHART)
    print(f"chart: {saved} (copied to {CHART})")


if __name__ == "__main__":
    sys.exit(main())
