"""Placement hears that a report was accepted: the placement is completed, holds its voucher for the
programme year, and can no longer be withdrawn or cancelled."""
import datetime as dt

from common.contracts.timesheet import REPORT_ACCEPTED
from services.placement.models import Placement
from tests.harness import eventually
from tests.placement.support import (accredit, apply, decide, error_code, interviewed, new_id, publish_project,
                                     student)


def report_accepted(placement):
    return {"report_id": new_id(), "placement_id": placement["id"], "student_id": placement["student_id"],
            "student_name": placement["student_name"], "university_id": placement["university_id"],
            "region": placement["region"], "organisation_id": placement["organisation_id"],
            "organisation_name": "Org", "site_id": placement["site_id"], "site_name": "Site",
            "direction": placement["direction"], "voucher_kind": placement["voucher_kind"], "hours": "20",
            "accepted_at": dt.datetime.now(dt.timezone.utc), "accepted_by": "operator-1"}


def test_defect2_a_completed_placement_cannot_be_withdrawn_nor_its_voucher_taken_again(service):
    """Before the fix placement never heard of the acceptance: the paid student could withdraw,
    apply again for the same voucher kind and collect a second payout and credit request."""
    site, _, _ = accredit(service)
    first = publish_project(service, site, title="Tutoring A")
    same_year = publish_project(service, site, title="Tutoring B")
    # A project whose work starts in the next programme year (from 1 January, Asia/Almaty, by default).
    next_year = dt.date.fromisoformat(first["starts_on"]).year + 1
    later = publish_project(service, site, title="Tutoring next year", starts_on=f"{next_year}-01-15",
                            ends_on=f"{next_year}-03-01")
    student_id = new_id()
    dana = student(service, name="Dana Seitkali", user_id=student_id)
    [application] = interviewed(service, site, first["id"], [dana])
    placement_id = decide(service, site, application["id"], "accepted").json()["placement_id"]
    placement = service.http.get(f"/api/v1/placements/{placement_id}", headers=dana).json()
    assert placement["status"] == "active"

    service.publish(REPORT_ACCEPTED, report_accepted(placement))

    def completed():
        with service.session("placement") as session:
            return session.get(Placement, placement_id).status == "completed"

    eventually(completed)
    http = service.http
    withdraw = http.post(f"/api/v1/placements/{placement_id}/withdraw", json={"reason": "changed my mind"},
                         headers=dana)
    assert error_code(withdraw, 422) == "rule_violation"
    cancel = http.post(f"/api/v1/placements/{placement_id}/cancel", json={"reason": "never came"}, headers=site)
    assert error_code(cancel, 422) == "rule_violation"
    again = http.post(f"/api/v1/projects/{same_year['id']}/applications", json={}, headers=dana)
    assert error_code(again, 422) == "rule_violation"
    assert again.json()["error"]["fields"] == {"voucher_kind": ["already held this year"]}
    # The next programme year the student may start again.
    assert apply(service, dana, later["id"])["status"] == "applied"
    listed = http.get("/api/v1/placements", params={"status": "completed"}, headers=dana).json()
    assert [p["id"] for p in listed["items"]] == [placement_id]
