"""Credits' read models converge whatever order their events arrive in, and the 7-credit cap is per
programme year."""
import datetime as dt
import uuid

from common.contracts.payments import PAYOUT_FAILED, PAYOUT_PAID, PAYOUT_SENT
from common.contracts.registry import STUDENT_REGISTERED, STUDENT_TRANSFERRED
from common.contracts.timesheet import REPORT_ACCEPTED
from services.credits.models import Payout, RecountRequest, Student
from services.credits.service import CreditsService
from tests.consumers import at, envelope, orders_with_a_duplicate


def test_a_student_ends_at_the_latest_university_in_every_order(consumers):
    credits = consumers(CreditsService)

    def scenario(student_id):
        return {
            "registered": envelope(STUDENT_REGISTERED, {"student_id": student_id, "full_name": "Dana",
                                                        "university_id": "u1", "region": "KZ-71"}, at(0)),
            "to_u2": envelope(STUDENT_TRANSFERRED, {"student_id": student_id, "from_university_id": "u1",
                                                    "to_university_id": "u2"}, at(5)),
            "to_u3": envelope(STUDENT_TRANSFERRED, {"student_id": student_id, "from_university_id": "u2",
                                                    "to_university_id": "u3"}, at(9)),
        }

    for order in orders_with_a_duplicate(tuple(scenario("probe"))):
        student_id = uuid.uuid4().hex
        events = scenario(student_id)
        credits.deliver(*(events[name] for name in order))
        with credits.read() as session:
            assert session.get(Student, student_id).university_id == "u3", order


def test_a_payout_ends_at_its_latest_state_in_every_order(consumers):
    credits = consumers(CreditsService)

    def scenario(placement_id):
        data = {"payout_id": "p-" + placement_id[:8], "placement_id": placement_id, "student_id": "s1",
                "amount_kzt": 20_000}
        return {"sent": envelope(PAYOUT_SENT, data, at(0)), "failed": envelope(PAYOUT_FAILED, data, at(5)),
                "sent_again": envelope(PAYOUT_SENT, data, at(7)), "paid": envelope(PAYOUT_PAID, data, at(9))}

    for order in orders_with_a_duplicate(tuple(scenario("probe"))):
        placement_id = uuid.uuid4().hex
        events = scenario(placement_id)
        credits.deliver(*(events[name] for name in order))
        with credits.read() as session:
            assert session.get(Payout, placement_id).status == "paid", order


def accepted(student_id, kind, starts_on, accepted_on):
    return envelope(REPORT_ACCEPTED, {
        "report_id": uuid.uuid4().hex, "placement_id": uuid.uuid4().hex, "student_id": student_id,
        "student_name": "Dana", "university_id": "u1", "region": "KZ-71", "organisation_id": "o1",
        "organisation_name": "Org", "site_id": "s1", "site_name": "Site", "direction": "tutoring",
        "voucher_kind": kind, "hours": "20" if kind == "h20" else "50",
        "accepted_at": dt.datetime.combine(accepted_on, dt.time(6), dt.timezone.utc), "accepted_by": "op",
        "starts_on": starts_on}, at(0))


def test_the_credit_cap_is_per_programme_year_and_a_placement_counts_in_the_year_it_started(consumers):
    """Both vouchers in 2026 (the 50-hour one started on 20 December and accepted in January) make 7
    credits for 2026; a third voucher in 2026 is refused; the same student starts again in 2027."""
    credits = consumers(CreditsService)
    student_id = uuid.uuid4().hex
    reports = [accepted(student_id, "h20", dt.date(2026, 3, 2), dt.date(2026, 4, 1)),
               accepted(student_id, "h50", dt.date(2026, 12, 20), dt.date(2027, 1, 30)),
               accepted(student_id, "h20", dt.date(2026, 10, 1), dt.date(2026, 11, 15)),
               accepted(student_id, "h20", dt.date(2027, 1, 10), dt.date(2027, 2, 20))]
    credits.deliver(*reports)
    with credits.read() as session:
        requests = {r.placement_id: r for r in session.query(RecountRequest).filter_by(student_id=student_id)}
    outcome = [(requests[r["data"]["placement_id"]].programme_year, requests[r["data"]["placement_id"]].status)
               for r in reports]
    assert outcome == [(2026, "pending"), (2026, "pending"), (2026, "refused"), (2027, "pending")]
