"""A day's batch of 1,000 accepted reports: 1,000 payouts in one pain.001, the ledger balanced and
the reconciliation with the day's statement clean; then a debit the platform never asked for shows up
as a mismatch."""
import pytest
from sqlalchemy import func, select

from common.auth import MINISTRY
from common.clock import utcnow
from common.contracts.timesheet import REPORT_ACCEPTED
from services.payments import domain, repository, rules
from services.payments.models import Payout
from tests.harness import eventually
from services.payments.models import BankFile
from tests.payments.support import STUDENT_IIN, accepted_report, give_iban, operator, publish_many

STUDENTS = 500  # two vouchers each: 1,000 payouts
REGIONS = ("KZ-71", "KZ-75", "KZ-35")


@pytest.fixture
def service_overrides():
    """Payouts wait for the day's batch, sent when the Operator asks (no time of day set)."""
    return {"payments": {"PAYOUT_SCHEDULE": rules.DAILY, "PAYOUT_BATCH_AT": ""}}


def count(service, status):
    with service.session("payments") as session:
        return session.scalar(select(func.count()).select_from(Payout).where(Payout.status == status))


def test_a_day_batch_of_a_thousand_payouts(service):
    students = [f"st-{n:04d}" for n in range(STUDENTS)]
    ibans = [rules.kz_iban("601", f"A{n:012d}") for n in range(STUDENTS)]
    assert give_iban(service, students[0], ibans[0]).status_code == 200
    with service.session("payments") as session, session.begin():  # the rest as that call stores them
        for student_id, iban in zip(students[1:], ibans[1:]):
            details = repository.details_row(session, student_id)
            repository.add(session, domain.set_details(details, {
                "method": rules.IBAN, "iban": iban, "bank_code": "601", "bank_name": "Halyk Bank",
                "bic": "HSBKKZKX", "iin": STUDENT_IIN, "holder_name": "Student " + student_id}, student_id, utcnow()))
    publish_many(service, REPORT_ACCEPTED, [accepted_report(student_id, kind, REGIONS[n % len(REGIONS)])
                                            for n, student_id in enumerate(students) for kind in ("h20", "h50")])
    eventually(lambda: count(service, rules.READY) == 2 * STUDENTS, timeout=180, interval=0.5)
    batch = service.http.post("/api/v1/payout-batches", json={}, headers=operator(service))
    assert batch.status_code == 201, batch.text
    assert batch.json()["payouts"] == 1000 and batch.json()["amount_kzt"] == STUDENTS * 70_000
    eventually(lambda: count(service, rules.PAID) == 1000, timeout=180, interval=0.5)

    with service.session("payments") as session:
        assert set(session.scalars(select(Payout.batch_id))) == {batch.json()["id"]}
        [bank_file] = session.scalars(select(BankFile)).all()
    assert bank_file.payouts == 1000 and bank_file.problems == [] and bank_file.group_status == "ACCP"
    assert service.bank.validate(bank_file.document.encode())[0] == 200
    ledger = service.http.get("/api/v1/ledger", headers=operator(service)).json()
    assert ledger["balanced"] and ledger["accounts"]["paid_out"] == STUDENTS * 70_000
    assert ledger["accounts"]["student_payable"] == ledger["accounts"]["at_bank"] == 0
    service.bank.advance(1)
    eventually(lambda: service.http.get("/api/v1/bank", headers=operator(service)).json()["statements"])
    run = service.http.post("/api/v1/reconciliations", headers=operator(service)).json()
    assert run["clean"] and run["checked"] == 1000 and run["bank_paid_kzt"] == STUDENTS * 70_000
    totals = service.http.get("/api/v1/payouts/totals", headers=service.auth(MINISTRY)).json()
    assert sum(region["paid_kzt"] for region in totals) == STUDENTS * 70_000
    assert {region["region"] for region in totals} == set(REGIONS)

    stranger = bank_file.document.replace(bank_file.id, "SV-NOT-FROM-THE-PLATFORM", 2)
    stranger = stranger[:stranger.index("<CdtTrfTxInf>")] + stranger[stranger.index("<CdtTrfTxInf>"):].split(
        "</CdtTrfTxInf>")[0] + "</CdtTrfTxInf></PmtInf></CstmrCdtTrfInitn></Document>"
    stranger = stranger.replace("<NbOfTxs>1000</NbOfTxs>", "<NbOfTxs>1</NbOfTxs>").replace(
        f"<CtrlSum>{STUDENTS * 70_000}.00</CtrlSum>", "<CtrlSum>20000.00</CtrlSum>")
    start = stranger.index("<EndToEndId>") + len("<EndToEndId>")
    stranger = stranger[:start] + "NOT-OURS-1" + stranger[stranger.index("</EndToEndId>"):]
    assert service.bank.http.post(service.bank.url + "/payments", data=stranger.encode()).status_code == 202
    service.bank.advance(1)
    eventually(lambda: len(service.http.get("/api/v1/bank", headers=operator(service)).json()["statements"]) == 2)
    run = service.http.post("/api/v1/reconciliations", headers=operator(service)).json()
    assert not run["clean"]
    assert [(m["key"], m["kind"]) for m in run["mismatches"]] == [("NOT-OURS-1", "unknown_entry")]
