"""`python -m sandbox_bank`: run the sandbox bank on SANDBOX_BANK_ADDRESS (default 127.0.0.1:8040)."""
import logging
import os
import threading

from werkzeug.serving import run_simple

from sandbox_bank.app import BankApp
from sandbox_bank.bank import SandboxBank


def main():
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    host, port = os.environ.get("SANDBOX_BANK_ADDRESS", "127.0.0.1:8040").rsplit(":", 1)
    bank = SandboxBank(secret=os.environ.get("SANDBOX_BANK_SECRET", "sandbox-bank-secret"),
                       settle_seconds=float(os.environ.get("SANDBOX_BANK_SETTLE_SECONDS", "0.5")))
    stop = threading.Event()
    threading.Thread(target=bank.run_background, args=(stop,), daemon=True).start()
    try:
        control = os.environ.get("SANDBOX_BANK_CONTROL", "true").lower() in ("1", "true", "yes")
        run_simple(host, int(port), BankApp(bank, control=control), threaded=True)
    finally:
        stop.set()


if __name__ == "__main__":
    main()
