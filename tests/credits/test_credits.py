"""Credits through the gateway's routes: accepted reports become re-count requests in the student's
university's queue, the registrar decides them, the student sees their credits and gets a certificate
anyone can verify. None of it needs another service: it runs on credits alone (`service`), its events
delivered at once; the helpers take the `platform` too, for the paths that cross services."""
import io
import uuid

from pypdf import PdfReader
from sqlalchemy import select

from common import programme
from common.contracts.credits import CREDITS_RECOUNTED
from common.contracts.payments import PAYOUT_FAILED, PAYOUT_PAID, PAYOUT_SENT
from common.contracts.registry import STUDENT_REGISTERED, STUDENT_TRANSFERRED, UNIVERSITY_ADDED
from common.contracts.timesheet import REPORT_ACCEPTED
from services.credits.models import OutboxEvent, Student
from tests.harness import eventually

REQUESTS = "/api/v1/credits/requests"
CERTIFICATES = "/api/v1/certificates/"
DECISION = {"discipline": "Social practice (Әлеуметтік практика)",
            "order_number": "No. 128-П", "order_date": "2026-10-01"}


def new_id():
    return uuid.uuid4().hex


def accept_report(platform, student_id, university_id, voucher_kind, event_id=None, placement_id=None,
                  name="Aigerim Nurlanovna Seitkali"):
    """Publish timesheet's `report.accepted` for a new (or the given) placement; returns the placement id."""
    placement_id = placement_id or new_id()
    hours = {"h20": "20", "h50": "50.5"}[voucher_kind]
    platform.publish(REPORT_ACCEPTED, {
        "report_id": new_id(), "placement_id": placement_id, "student_id": student_id, "student_name": name,
        "university_id": university_id, "region": "KZ-71", "organisation_id": "org-1",
        "organisation_name": "Astana Care Home No. 2", "site_id": "site-1", "site_name": "Main building",
        "direction": "elderly_care" if voucher_kind == "h20" else "tutoring", "voucher_kind": voucher_kind,
        "hours": hours, "accepted_at": "2026-09-30T10:00:00+00:00", "accepted_by": "operator-1",
    }, event_id=event_id)
    return placement_id


def payout(placement_id, student_id, voucher_kind):
    return {"payout_id": new_id(), "key": f"{placement_id}/{voucher_kind}", "placement_id": placement_id,
            "student_id": student_id, "region": "KZ-71", "voucher_kind": voucher_kind,
            "amount_kzt": programme.voucher(voucher_kind).reward_kzt}


def registrar(platform, university_id):
    return platform.auth("registrar", university_id=university_id)


def queue(platform, university_id, **params):
    response = platform.http.get(REQUESTS, headers=registrar(platform, university_id), params=params)
    assert response.status_code == 200, response.text
    return response.json()


def wait_for_queue(platform, university_id, count, **params):
    return eventually(lambda: (page := queue(platform, university_id, **params))["total"] == count and page)


def by_placement(page):
    return {item["placement_id"]: item for item in page["items"]}


def get_request(platform, request_id, headers):
    return platform.http.get(f"{REQUESTS}/{request_id}", headers=headers)


def verify(platform, code):
    """The public check of a certificate's code: no token."""
    return platform.http.get(CERTIFICATES + code)


def confirm(platform, university_id, request_id, decision=DECISION):
    return platform.http.post(f"{REQUESTS}/{request_id}/confirm", json=decision,
                              headers=registrar(platform, university_id))


def my_credits(platform, student):
    response = platform.http.get("/api/v1/students/me/credits", headers=student)
    assert response.status_code == 200, response.text
    return response.json()


def test_both_vouchers_become_seven_credits_once_and_no_more(service):
    university, other_university, student_id = new_id(), new_id(), new_id()
    student = service.auth("student", user_id=student_id)
    short = accept_report(service, student_id, university, "h20", event_id="e" * 32)
    accept_report(service, student_id, university, "h20", event_id="e" * 32, placement_id=short)
    accept_report(service, student_id, university, "h20", placement_id=short)  # the same placement again
    long = accept_report(service, student_id, university, "h50")

    page = wait_for_queue(service, university, 2, status="pending")
    requests = by_placement(page)
    assert set(requests) == {short, long}
    assert (requests[short]["credits"], requests[long]["credits"]) == (2, 5)
    assert requests[long]["hours"] == "50.50" and requests[long]["direction"] == "tutoring"
    assert requests[short]["organisation_name"] == "Astana Care Home No. 2"

    # The queue's filters and pages.
    assert [i["placement_id"] for i in queue(service, university, voucher_kind="h50")["items"]] == [long]
    assert queue(service, university, status="confirmed")["total"] == 0
    assert queue(service, university, received_from="2999-01-01")["total"] == 0
    assert queue(service, university, received_from="2026-01-01", received_to="2999-01-01")["total"] == 2
    one = queue(service, university, limit=1, offset=1)
    assert one["total"] == 2 and len(one["items"]) == 1
    for params, field in (({"received_from": "2026-02-01", "received_to": "2026-01-01"}, "received_to"),
                          ({"limit": 0}, "limit"), ({"status": "lost"}, "status")):
        bad = service.http.get(REQUESTS, headers=registrar(service, university), params=params)
        assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {field}

    # Another university's registrar, and another student, do not see these requests.
    short_id, long_id = requests[short]["id"], requests[long]["id"]
    assert queue(service, other_university)["total"] == 0
    assert get_request(service, short_id, registrar(service, other_university)).status_code == 404
    assert confirm(service, other_university, short_id).status_code == 404
    assert get_request(service, short_id, service.auth("student")).status_code == 404
    assert get_request(service, short_id, student).json()["status"] == "pending"
    assert service.http.get(REQUESTS, headers=student).status_code == 403
    assert confirm(service, university, "no-such-request").status_code == 404
    blank = confirm(service, university, short_id, {"discipline": " ", "order_number": "No.\x00 1"})
    assert blank.status_code == 400 and set(blank.json()["error"]["fields"]) == {"discipline", "order_number"}
    assert get_request(service, "%00' OR 1=1", student).status_code == 404

    # The registrar confirms both: 2 + 5 = 7.
    confirmed = confirm(service, university, short_id)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["order_number"] == "No. 128-П"
    assert confirm(service, university, short_id).status_code == 409
    assert confirm(service, university, long_id).status_code == 200
    mine = my_credits(service, student)
    assert (mine["total_credits"], mine["pending_credits"], mine["max_credits"]) == (7, 0, 7)
    assert {r["status"] for r in mine["requests"]} == {"confirmed"}

    def recounted_events():
        with service.session("credits") as session:
            rows = session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == CREDITS_RECOUNTED.name)
                                   .order_by(OutboxEvent.created_at)).all()
            return [row.envelope["data"] for row in rows]  # recorded with the change; the relay sends them

    events = eventually(lambda: len(recounted_events()) == 2 and recounted_events())
    assert [(e["credits"], e["total_credits"]) for e in events] == [(2, 2), (5, 7)]
    assert {e["university_id"] for e in events} == {university}

    # A third accepted report would go past 7: refused with the reason and flagged to the Operator.
    extra = accept_report(service, student_id, university, "h20")
    refused = eventually(lambda: by_placement(queue(service, university, status="refused")).get(extra))
    assert refused["flagged"]
    assert "at most 7 credits" in refused["reason"] and "would make 9" in refused["reason"]
    assert confirm(service, university, refused["id"]).status_code == 409
    flagged = service.http.get("/api/v1/credits/flagged", headers=service.auth("operator"))
    assert flagged.status_code == 200 and [i["id"] for i in flagged.json()["items"]] == [refused["id"]]
    not_operator = service.http.get("/api/v1/credits/flagged", headers=registrar(service, university))
    assert not_operator.status_code == 403
    mine = my_credits(service, student)
    assert mine["total_credits"] == 7 and [r["status"] for r in mine["requests"]].count("refused") == 1


def test_certificate_states_the_vouchers_and_anyone_can_verify_its_code(service):
    university, student_id = new_id(), new_id()
    service.publish(UNIVERSITY_ADDED, {"university_id": university, "code": "ENU", "region": "KZ-71",
                                        "name": "L.N. Gumilyov Eurasian National University"})
    student = service.auth("student", user_id=student_id)
    assert service.http.get("/api/v1/students/me/certificate", headers=student).status_code == 422

    short = accept_report(service, student_id, university, "h20")
    long = accept_report(service, student_id, university, "h50")
    requests = by_placement(wait_for_queue(service, university, 2))
    assert confirm(service, university, requests[short]["id"]).status_code == 200
    paid = payout(short, student_id, "h20")
    service.publish(PAYOUT_SENT, paid)
    service.publish(PAYOUT_PAID, paid)
    service.publish(PAYOUT_FAILED, {**payout(long, student_id, "h50"), "reason": "card expired"})

    def certificate():
        response = service.http.get("/api/v1/students/me/certificate", headers=student)
        assert response.status_code == 200, response.text
        return response

    def certificate_text():
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(certificate().content)).pages)
        return " ".join(text.split())

    # Payouts and the university's name arrive as events; the certificate shows them once applied.
    text = eventually(lambda: "payout failed" in (t := certificate_text()) and "paid" in t and "Eurasian" in t
                      and t)
    response = certificate()
    assert response.headers["Content-Type"] == "application/pdf"
    code = response.headers["X-Certificate-Code"]
    assert len(code.replace("-", "")) >= 16
    for fact in ("Aigerim Nurlanovna Seitkali", "2 of 7", code, "20-hour", "50-hour", "50.50",
                 "Astana Care Home No. 2", "Work with the elderly", "Tutoring for children", "paid",
                 "payout failed", "pending", "Студенческий ваучер", CERTIFICATES + code):
        assert fact in text, fact
    assert certificate().headers["X-Certificate-Code"] == code  # the same facts: the same certificate

    verified = verify(service, code)
    assert verified.status_code == 200, verified.text
    facts = verified.json()
    assert facts["valid"] and facts["code"] == code and facts["total_credits"] == 2
    assert facts["student_name"] == "Aigerim Nurlanovna Seitkali"
    vouchers = {v["voucher_kind"]: v for v in facts["vouchers"]}
    assert (vouchers["h20"]["payment_status"], vouchers["h20"]["credits"]) == ("paid", 2)
    assert (vouchers["h50"]["payment_status"], vouchers["h50"]["credits_status"]) == ("failed", "pending")
    assert student_id not in verified.text and university not in verified.text
    assert verify(service, code.lower().replace("-", "")).json()["code"] == code
    unknown = verify(service, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"

    # A decision changes the facts: a new certificate with its own code; the old one still verifies.
    long_id = requests[long]["id"]
    rejected = service.http.post(f"{REQUESTS}/{long_id}/reject", json={"reason": "no such course"},
                                  headers=registrar(service, university))
    assert rejected.status_code == 200 and rejected.json()["reason"] == "no such course"
    renewed = certificate().headers["X-Certificate-Code"]
    assert renewed != code
    # The vouchers come in the order credits received them, which two events need not keep.
    def long_voucher_status(certificate_code):
        vouchers = verify(service, certificate_code).json()["vouchers"]
        return next(v["credits_status"] for v in vouchers if v["voucher_kind"] == "h50")

    assert long_voucher_status(renewed) == "rejected"
    assert long_voucher_status(code) == "pending"


def test_a_transfer_moves_open_requests_and_leaves_confirmed_ones(service):
    old, new, student_id = new_id(), new_id(), new_id()
    short = accept_report(service, student_id, old, "h20")
    long = accept_report(service, student_id, old, "h50")
    requests = by_placement(wait_for_queue(service, old, 2))
    assert confirm(service, old, requests[short]["id"]).status_code == 200

    service.publish(STUDENT_TRANSFERRED, {"student_id": student_id, "from_university_id": old,
                                           "to_university_id": new})
    moved = eventually(lambda: by_placement(queue(service, new)).get(long))
    assert moved["status"] == "pending" and moved["transferred_from_university_id"] == old
    assert [i["placement_id"] for i in queue(service, old)["items"]] == [short]
    assert get_request(service, moved["id"], registrar(service, old)).status_code == 404
    confirmed = confirm(service, new, moved["id"])
    assert confirmed.status_code == 200 and confirmed.json()["university_id"] == new
    assert my_credits(service, service.auth("student", user_id=student_id))["total_credits"] == 7

    # A report accepted after a transfer, still naming the old university, goes to the new one.
    later_student = new_id()
    service.publish(STUDENT_REGISTERED, {"student_id": later_student, "full_name": "Dias Serikuly",
                                          "university_id": old, "region": "KZ-71"})
    service.publish(STUDENT_TRANSFERRED, {"student_id": later_student, "from_university_id": old,
                                           "to_university_id": new})

    def studies_at_new():
        with service.session("credits") as session:
            known = session.get(Student, later_student)
            return known is not None and known.university_id == new

    eventually(studies_at_new)
    placement = accept_report(service, later_student, old, "h20")
    assert eventually(lambda: by_placement(queue(service, new)).get(placement))["university_id"] == new
