"""Completion reports through the gateway: submission, the Operator's queue and review, exactly one
`report.accepted` on the real broker, and the PDF."""
import io

import eventlet
import pytest
from nameko.events import event_handler
from pypdf import PdfReader

from common.auth import OPERATOR
from common.contracts.timesheet import REPORT_ACCEPTED, REPORT_REJECTED, REPORT_SUBMITTED
from tests.harness import eventually
from tests.timesheet.support import (
    TODAY, complete_hours, coordinator, days_ago, error_of, log, operator, organisation_of, outbox, place, student,
    submit_signed,
)


class AcceptedReports:
    """A consumer of `report.accepted` on the platform's broker, as payments and credits are."""
    name = "accepted_reports_probe"
    received = []

    @event_handler(REPORT_ACCEPTED.source, REPORT_ACCEPTED.name)
    def on_accepted(self, envelope):
        self.received.append(envelope)


@pytest.fixture
def accepted_reports(platform, container_factory):
    AcceptedReports.received = []
    container_factory(AcceptedReports, {"AMQP_URI": platform.amqp_uri}).start()
    return AcceptedReports.received


def submit(platform, placement):
    return submit_signed(platform, placement)


def review(platform, report_id, decision, reason=None, headers=None):
    body = {"decision": decision, **({"reason": reason} if reason else {})}
    return platform.http.post(f"/api/v1/reports/{report_id}/review", headers=headers or operator(platform),
                              json=body)


def test_submission_rejection_resubmission_and_exactly_one_acceptance(platform, accepted_reports):
    placement = place(platform, "site-1")
    site = coordinator(platform, "site-1")
    log(platform, site, placement, "8", days_ago(5))  # stays unconfirmed, outside the report
    early = error_of(platform.http.post("/api/v1/reports", headers=site, json={
        "placement_id": placement["placement_id"], "signature": "AAAA"}), 422)
    assert "0.00 of 20 hours confirmed" in early["message"]
    complete_hours(platform, placement)

    submitted = submit(platform, placement)
    assert submitted.status_code == 201, submitted.text
    report = submitted.json()
    assert (report["status"], report["hours"], report["submissions"]) == ("submitted", "20.00", 1)
    assert [(e["work_date"], e["hours"]) for e in report["entries"]] == \
        [(days_ago(3), "4.00"), (days_ago(2), "8.00"), (days_ago(1), "8.00")]
    assert len(outbox(platform, REPORT_SUBMITTED, report_id=report["id"])) == 1
    assert error_of(submit(platform, placement), 409)

    # Submitted: the entries are frozen, for the site and for the student.
    frozen = error_of(log(platform, site, placement, "1", TODAY.isoformat()), 409)
    assert "frozen" in frozen["message"]
    pending_id = platform.http.get("/api/v1/hours", headers=site,
                                   params={"status": "pending"}).json()["items"][0]["id"]
    confirm = platform.http.post(f"/api/v1/hours/{pending_id}/confirm", headers=student(platform, placement),
                                 json={})
    assert "frozen" in error_of(confirm, 409)["message"]

    # Only the Operator reviews; a rejection needs a reason and returns the report to the site.
    assert error_of(review(platform, report["id"], "accept", headers=site), 403)
    no_reason = error_of(review(platform, report["id"], "reject"), 422)
    assert no_reason["fields"] == {"reason": ["required to reject"]}
    rejected = review(platform, report["id"], "reject", "The 3rd day has no activity note")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    rejection = outbox(platform, REPORT_REJECTED, report_id=report["id"])
    assert len(rejection) == 1 and rejection[0]["data"]["reason"].startswith("The 3rd")
    assert log(platform, site, placement, "1", TODAY.isoformat()).status_code == 201

    again = submit(platform, placement)
    assert again.status_code == 201 and again.json()["id"] == report["id"]
    assert again.json()["submissions"] == 2 and again.json()["reason"].startswith("The 3rd")

    # The review sent twice at once, then once more: one acceptance, one event.
    pool = eventlet.GreenPool()
    answers = list(pool.imap(lambda _: review(platform, report["id"], "accept"), range(2)))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert error_of(review(platform, report["id"], "accept"), 409)["message"] == \
        "the report is accepted, not awaiting review"
    events = outbox(platform, REPORT_ACCEPTED, report_id=report["id"])
    assert len(events) == 1
    accepted = events[0]["data"]
    assert {k: accepted[k] for k in ("placement_id", "student_id", "student_name", "university_id", "region",
                                     "organisation_id", "organisation_name", "site_id", "site_name",
                                     "direction", "voucher_kind")} == \
        {k: placement[k] for k in ("placement_id", "student_id", "student_name", "university_id", "region",
                                   "organisation_id", "organisation_name", "site_id", "site_name",
                                   "direction", "voucher_kind")}
    assert accepted["hours"] == "20.00" and accepted["accepted_by"]

    # On the broker: another report accepted later is a barrier; anything sent twice arrives before it.
    later = place(platform, "site-1")
    complete_hours(platform, later)
    review(platform, submit(platform, later).json()["id"], "accept")
    eventually(lambda: any(e["data"]["placement_id"] == later["placement_id"] for e in accepted_reports))
    assert [e["data"]["report_id"] for e in accepted_reports].count(report["id"]) == 1


def test_operator_queue_and_the_report_pdf(platform):
    almaty = place(platform, "site-1", student_name="Айгерім Сәрсенова")
    astana = place(platform, "site-7", region="KZ-71", organisation_name="Astana Care Home")
    third = place(platform, "site-1", student_name="Bekzat Omarov")
    report_ids = {}
    for placement in (almaty, astana, third):
        complete_hours(platform, placement)
        report_ids[placement["placement_id"]] = submit(platform, placement).json()["id"]

    queue = platform.http.get("/api/v1/reports", headers=operator(platform),
                              params={"status": "submitted", "limit": 2}).json()
    assert queue["total"] == 3 and len(queue["items"]) == 2
    in_astana = platform.http.get("/api/v1/reports", headers=operator(platform), params={"region": "KZ-71"})
    assert [r["organisation_name"] for r in in_astana.json()["items"]] == ["Astana Care Home"]
    by_org = platform.http.get("/api/v1/reports", headers=operator(platform),
                               params={"organisation_id": organisation_of("site-1"), "submitted_from": TODAY.isoformat(),
                                       "submitted_to": TODAY.isoformat()}).json()
    assert by_org["total"] == 2
    assert platform.http.get("/api/v1/reports", headers=operator(platform),
                             params={"submitted_from": days_ago(-1)}).json()["total"] == 0
    assert platform.http.get("/api/v1/reports", headers=coordinator(platform, "site-7")).json()["total"] == 1
    assert error_of(platform.http.get("/api/v1/reports", headers=operator(platform),
                                      params={"region": "KZ-99"}), 400)["fields"]["region"]

    report_id = report_ids[almaty["placement_id"]]
    assert review(platform, report_id, "accept",
                  headers=platform.auth(OPERATOR, name="Dana Operator")).status_code == 200
    pdf = platform.http.get(f"/api/v1/reports/{report_id}/pdf", headers=student(platform, almaty))
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in ("Completion report", "Almaty Children's Centre No. 7", "Айгерім Сәрсенова",
                     "Site site-1", "Homework help", days_ago(1), "Confirmed hours", "20.00",
                     "Accepted by Dana Operator", "20 hours, 20,000 KZT, 2 credits"):
        assert expected in text, expected
    assert error_of(platform.http.get(f"/api/v1/reports/{report_id}/pdf",
                                      headers=coordinator(platform, "site-7")), 404)
    detail = platform.http.get(f"/api/v1/reports/{report_id}", headers=coordinator(platform, "site-1")).json()
    assert detail["status"] == "accepted" and detail["reviewer_name"] == "Dana Operator"
