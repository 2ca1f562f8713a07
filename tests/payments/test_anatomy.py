"""What holds payments' anatomy together: a payout's facts declared once for its answer and its
events, and its states kept to their values by the database itself."""
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from common.contracts.payments import PayoutChanged, PayoutFacts, PayoutOut
from services.payments import rules
from services.payments.models import BankFile, OutboxEvent, Payout, PayoutChange
from tests.payments.support import accept, give_iban, operator, wait_for_status

IBAN = rules.kz_iban("722", "S000012345678")


def test_a_payout_answers_with_the_facts_its_events_carry(service):
    assert give_iban(service, "st-1", IBAN).status_code == 200
    placement = accept(service, "st-1", voucher_kind="h50", region="KZ-75")
    paid = wait_for_status(service, placement, rules.PAID)

    answer = service.http.get(f"/api/v1/payouts/{paid.id}", headers=operator(service)).json()
    with service.session("payments") as session:  # the events as they go on the wire
        events = session.scalars(select(OutboxEvent.envelope).order_by(OutboxEvent.created_at)).all()
    assert [event["event_type"] for event in events] == ["payout.sent", "payout.paid"]
    facts = set(PayoutFacts._declared_fields)
    assert facts <= set(PayoutOut._declared_fields) & set(PayoutChanged._declared_fields)
    for event in events:
        assert {name: answer[name] for name in facts} == {name: event["data"][name] for name in facts}
        assert event["data"]["payout_id"] == answer["id"] == paid.id
    assert (answer["key"], answer["amount_kzt"], answer["region"]) == (f"{placement}/h50", 50_000, "KZ-75")


def test_a_state_outside_its_enum_is_refused_by_the_database(service):
    assert give_iban(service, "st-2", IBAN).status_code == 200
    wait_for_status(service, accept(service, "st-2"), rules.PAID)
    with service.session("payments") as session:
        for model in (Payout, PayoutChange, BankFile):
            with pytest.raises(IntegrityError):
                session.execute(update(model).values(status="someday"))
            session.rollback()
            assert session.execute(update(model).values(status=model.status)).rowcount >= 1, model
