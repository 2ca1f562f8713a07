"""Keeps one service process running, as a container runtime's restart policy does in production.

    python -m ops.supervise <command ...>

A nameko service stops for good when it cannot answer an RPC because the broker is gone (nameko
ends the container rather than lose track of a reply); restarting the process is the remedy, and
unfinished work is safe because every change commits in one transaction and events are acked
only after commit. The pause between restarts doubles while the process keeps dying young.
SIGTERM or SIGINT stops the process and the supervisor.
"""
import json
import signal
import subprocess
import sys
import time

FIRST_PAUSE_SECONDS = 1.0
LONGEST_PAUSE_SECONDS = 30.0
HEALTHY_AFTER_SECONDS = 30.0


def supervise(command):
    state = {"child": None, "stopping": False}

    def stop(_signum, _frame):
        state["stopping"] = True
        if state["child"] is not None:
            state["child"].terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pause = FIRST_PAUSE_SECONDS
    while not state["stopping"]:
        started = time.monotonic()
        state["child"] = subprocess.Popen(command)
        code = state["child"].wait()
        if state["stopping"]:
            return code
        pause = FIRST_PAUSE_SECONDS if time.monotonic() - started > HEALTHY_AFTER_SECONDS \
            else min(pause * 2, LONGEST_PAUSE_SECONDS)
        print(json.dumps({"level": "WARNING", "logger": "ops.supervise",
                          "message": f"{command[-1]} exited with {code}; restarting in {pause:.0f} s"}),
              file=sys.stderr, flush=True)
        time.sleep(pause)
    return 0


if __name__ == "__main__":
    sys.exit(supervise(sys.argv[1:]))
