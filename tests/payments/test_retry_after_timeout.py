"""Issue 19, defect 3: an Operator's retry of a payout whose first file went unanswered.

The first file reaches the bank, which pays it, but its answer never comes back (a timeout); the
payout is marked failed and the Operator retries. The retry must end in one payment: the same file
goes again (the bank recognises its MsgId), the bank's answers about it settle the payout, the
ledger equals the statement, and nothing keeps asking the bank."""
import http.server
import threading
import time

import pytest
import requests
from nameko.testing.utils import find_free_port
from sqlalchemy import select

from services.payments import rules
from services.payments.models import BankFile
from tests.harness import eventually
from tests.payments.support import accept, give_iban, ledger_kinds, operator, payout_of, wait_for_status

IBAN = rules.kz_iban("722", "S000012345678")
TIMEOUT = 0.5


class LossyLine:
    """Between payments and the bank: forwards everything, but can lose the answer to a file (the
    bank has it; payments never hears) and can hide the bank's mailbox for a while."""

    def __init__(self, bank_url):
        self.bank_url = bank_url
        self.lose_next_answer = False
        self.mailbox_closed = False
        self.files_posted = 0
        line = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if line.mailbox_closed and self.path.startswith("/_mock/mailbox"):
                    return self.answer(503, b"{}")
                upstream = requests.get(line.bank_url + self.path, timeout=5)
                self.answer(upstream.status_code, upstream.content)

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                upstream = requests.post(line.bank_url + self.path, data=body, timeout=5)
                line.files_posted += self.path == "/payments"
                if line.lose_next_answer:
                    line.lose_next_answer = False
                    time.sleep(3 * TIMEOUT)  # the bank took the file; its answer is too late
                self.answer(upstream.status_code, upstream.content)

            def answer(self, status, body):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the caller gave up waiting

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", find_free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def line(bank):
    line = LossyLine(bank.url)
    yield line
    line.close()


@pytest.fixture
def service_overrides(line):
    return {"payments": {"BANK_URL": line.url, "BANK_TIMEOUT_SECONDS": TIMEOUT, "BANK_MAX_ATTEMPTS": 1}}


def test_operator_retry_after_an_unanswered_file_the_bank_paid_ends_paid_once(service, line):
    line.lose_next_answer = line.mailbox_closed = True
    assert give_iban(service, "st-19", IBAN).status_code == 200
    placement = accept(service, "st-19")

    failed = wait_for_status(service, placement, rules.FAILED)
    assert "did not answer" in failed.reason and failed.reason_code is None
    assert len(service.bank.payments()) == 1, "the bank took the first file and pays it"
    assert ledger_kinds(service, failed.id) == ["accepted"]

    retried = service.http.post(f"/api/v1/payouts/{failed.id}/retry", headers=operator(service))
    assert retried.status_code == 200, retried.text
    sent = wait_for_status(service, placement, rules.SENT)
    assert sent.round == 1 and sent.file_id == failed.file_id, "the same file went again"
    line.mailbox_closed = False  # the bank's answers about that file arrive

    paid = wait_for_status(service, placement, rules.PAID)
    assert paid.bank_status == "ACCP" and ledger_kinds(service, paid.id) == ["accepted", "sent", "paid"]
    assert len(service.bank.payments()) == 1, "paid once"
    with service.session("payments") as session:
        [bank_file] = session.scalars(select(BankFile)).all()
    assert bank_file.status == "received" and bank_file.attempts == 1  # counted afresh by the retry
    posted = line.files_posted
    time.sleep(1)  # many sender rounds
    assert line.files_posted == posted == 2, "nothing is sent or asked again"

    service.bank.advance(1)
    statements = eventually(lambda: service.http.get("/api/v1/bank", headers=operator(service)).json()["statements"])
    assert statements[0]["clean"]
    run = service.http.post("/api/v1/reconciliations", headers=operator(service)).json()
    assert run["clean"] and run["bank_paid_kzt"] == run["ledger_paid_kzt"] == 20_000
    assert payout_of(service, placement).status == rules.PAID
