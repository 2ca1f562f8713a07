"""`python -m ops.bank_simulator`, as `./platform start` and the benchmarks run it: stopped, it stops
the simulator it started."""
import os
import signal
import subprocess
import sys

from nameko.testing.utils import find_free_port

from bench.season.own_platform import healthy
from tests.harness import ROOT, eventually


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return [int(child) for child in listing.read().split()]


def test_stopping_the_bank_simulator_stops_mock_bank(tmp_path):
    port = find_free_port()
    env = {**os.environ, "BANK_SIMULATOR_ADDRESS": f"127.0.0.1:{port}", "BANK_SIMULATOR_DB": str(tmp_path / "bank.db")}
    wrapper = subprocess.Popen([sys.executable, "-m", "ops.bank_simulator"], env=env, cwd=ROOT)
    try:
        eventually(lambda: healthy(f"http://127.0.0.1:{port}", "/_mock/accounts/OPERATOR"), timeout=30)
        [simulator] = children(wrapper.pid)
        wrapper.send_signal(signal.SIGTERM)
        assert wrapper.wait(timeout=10) == 0
        assert not os.path.exists(f"/proc/{simulator}")  # ended, and waited for
        assert not healthy(f"http://127.0.0.1:{port}", "/_mock/health")
    finally:
        if wrapper.poll() is None:
            wrapper.kill()

