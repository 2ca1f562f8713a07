"""The bank simulator `mock-bank` (PyPI) as the platform's bank until `BANK_URL` names the real one:
`python -m ops.bank_simulator` starts it in Asia/Almaty bank time, opens the Operator's account in
tenge (`BANK_DEBTOR_IBAN`) if it has none, and keeps running as long as the simulator does.

Settings: `BANK_SIMULATOR_ADDRESS` (`127.0.0.1:8090`), `BANK_SIMULATOR_DB` (`var/bank.db`; its
accounts, files and messages survive a restart), `BANK_AUTH` (`user:password`, optional), and the
debtor's `BANK_DEBTOR_IBAN` / `BANK_DEBTOR_NAME`. `BANK_SIMULATOR_CLOCK` (`YYYY-MM-DDTHH:MM`, optional)
starts bank time there rather than now: a benchmark that starts after the 15:00 cutoff would
otherwise see its payouts settle the next business day.
"""
import datetime as dt
import os
import signal
import subprocess
import sys
import time

from zoneinfo import ZoneInfo

import requests

OPERATOR_ACCOUNT = "OPERATOR"
OPENING_BALANCE_TIYN = 10 ** 15  # ten trillion tenge: the simulator's account never runs dry
BANK_TIME = ZoneInfo("Asia/Almaty")


def start_clock(now=None):
    """A first bank moment for `--clock`: 09:00 in Asia/Almaty on today's date there, or the next
    Monday on a weekend, so a file sent now settles today, before the 15:00 cutoff."""
    day = (now or dt.datetime.now(BANK_TIME)).date()
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return f"{day.isoformat()}T09:00"


def main():
    host, port = os.environ.get("BANK_SIMULATOR_ADDRESS", "127.0.0.1:8090").rsplit(":", 1)
    database = os.environ.get("BANK_SIMULATOR_DB", "var/bank.db")
    auth = os.environ.get("BANK_AUTH") or None
    clock = os.environ.get("BANK_SIMULATOR_CLOCK") or None
    command = [sys.executable, "-m", "mockbank", "--host", host, "--port", port, "--db", database,
               "--timezone", "Asia/Almaty", "--quiet"] + (["--auth", auth] if auth else []) \
        + (["--clock", clock] if clock else [])
    simulator = subprocess.Popen(command)
    # Stopped (SIGTERM, as `./platform stop` and the benchmarks stop it), it stops the simulator too:
    # by default Python would end at once, without the `finally` below, and leave it running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    url = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"
    http = requests.Session()
    if auth:
        http.auth = tuple(auth.split(":", 1))
    try:
        wait_until_up(http, url, simulator)
        open_operator_account(http, url)
        sys.exit(simulator.wait())
    finally:
        if simulator.poll() is None:
            simulator.terminate()
            simulator.wait(timeout=10)


def wait_until_up(http, url, simulator, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and simulator.poll() is None:
        try:
            if http.get(url + "/_mock/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the bank simulator did not start at {url}")


def open_operator_account(http, url):
    if http.get(f"{url}/_mock/accounts/{OPERATOR_ACCOUNT}", timeout=5).status_code == 200:
        return
    http.post(url + "/_mock/accounts", timeout=5, json={
        "id": OPERATOR_ACCOUNT, "iban": os.environ.get("BANK_DEBTOR_IBAN", "KZ85125KZT0000000001"),
        "name": os.environ.get("BANK_DEBTOR_NAME", "Financial Centre JSC"), "currency": "KZT",
        "balance": OPENING_BALANCE_TIYN}).raise_for_status()


if __name__ == "__main__":
    main()
