"""The Operator in the browser accepts a completion report; the payout it triggers is paid through the
bank simulator and shows in the Operator's payouts; reconciliation with the bank's statement comes out
clean."""
import datetime as dt

from common.auth import MIO_OFFICER, OPERATOR
from tests.harness import eventually
from tests.timesheet.support import submit_signed
from tests.portal.support import (REGION, apply_organisation, coordinator_headers, ok, place, staff,
                                  student_headers)


def completed_report(platform):
    """A student placed at an accredited site worked the 20 hours, confirmed them, gave an IBAN; the
    site submitted the completion report. Answers the placement and the report."""
    organisation = apply_organisation(platform)
    site_id = organisation["sites"][0]["id"]
    ok(platform.http.post(f"/api/v1/organisations/{organisation['id']}/accredit",
                          headers=platform.auth(MIO_OFFICER, region=REGION)))
    placement = place(platform, site_id, "Айгерім Сәрсенова", organisation["id"])
    site = coordinator_headers(platform, organisation["id"], site_id)
    student = student_headers(platform, placement)
    today = dt.date.today()
    for days_ago, hours in ((3, "8"), (2, "8"), (1, "4")):
        entry = ok(platform.http.post("/api/v1/hours", headers=site, json={
            "placement_id": placement["placement_id"], "work_date": (today - dt.timedelta(days=days_ago)).isoformat(),
            "hours": hours, "note": "Homework club"}), 201)
        ok(platform.http.post(f"/api/v1/hours/{entry['id']}/confirm", headers=student, json={}))
    details = {"iban": "KZ86125KZT5004100100", "iin": "000101500011", "holder_name": "AIGERIM SARSENOVA"}
    ok(platform.http.put("/api/v1/me/payout-details", json=details,
                         headers={**student, **platform.step_up(placement["student_id"], details)}))
    report = ok(submit_signed(platform, placement, headers=site), 201)
    return placement, report


def test_operator_accepts_a_report_and_sees_its_payout_paid(platform, portal):
    placement, report = completed_report(platform)
    operator = staff(platform, OPERATOR, "НУРЛАНОВА ДАНА")

    portal.open("ru").sign_in(operator)
    row = portal.wait_for(f'#report-queue tr[data-id="{report["id"]}"]')
    assert "Айгерім Сәрсенова" in row.text and "20 / 20" in row.text
    # its hours were all logged today: flagged, with the reason in the page's language
    assert "внесены за 1 дн." in row.find_element("css selector", 'li[data-flag="few_logging_days"]').text
    portal.click("button.link", "Часы", within=row)
    portal.wait(lambda _: len(row.find_elements("css selector", "td tbody tr")) == 3)  # the entries, inside the row
    portal.screenshot("operator-report-queue")
    portal.click("button.accept", within=row)
    portal.wait_for("#report-queue .empty")

    operator_api = platform.auth(OPERATOR)
    accepted = ok(platform.http.get(f"/api/v1/reports/{report['id']}", headers=operator_api))
    assert accepted["status"] == "accepted" and accepted["reviewer_name"] == "НУРЛАНОВА ДАНА"

    def paid():
        payouts = ok(platform.http.get("/api/v1/payouts", params={"placement_id": placement["placement_id"]},
                                       headers=operator_api))["items"]
        return payouts if payouts and payouts[0]["status"] == "paid" else None
    payout = eventually(paid, timeout=30)[0]
    assert payout["amount_kzt"] == 20_000

    # the bell counts the Operator's desk's unread notifications as the API does, and marks one read
    def bell_matches_api():
        unread = ok(platform.http.get("/api/v1/notifications/unread-count", headers=operator_api))["unread"]
        portal.go("reports")
        badge = portal.wait_for("#bell").text
        return unread if unread and badge == str(unread) else None
    unread = eventually(bell_matches_api)
    portal.click("#bell")
    portal.click("#notifications li.unread button.link")
    if unread > 1:
        portal.wait_for("#unread-count", str(unread - 1))
    else:
        portal.wait(lambda d: not d.find_element("id", "unread-count").is_displayed())
    assert ok(platform.http.get("/api/v1/notifications/unread-count", headers=operator_api))["unread"] == unread - 1

    portal.go("payouts")
    row = portal.wait_for(f'#payouts tr[data-id="{payout["id"]}"]')
    assert "Выплачена" in row.text and "20 000 ₸" in row.text.replace("\u00a0", " ")

    platform.bank.advance(1)  # the bank's day ends: its statement shows the payout
    eventually(lambda: ok(platform.http.get("/api/v1/bank", headers=operator_api))["statements"])
    portal.go("reconciliation")
    portal.click("#reconcile")
    summary = portal.wait_for("#reconciliation .notice")
    assert summary.text == "Проверено выплат: 1; все совпадают с банком."
    portal.screenshot("operator-reconciliation")
