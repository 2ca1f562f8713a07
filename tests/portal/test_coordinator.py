"""A site coordinator in the browser logs a day's attendance for the whole site at once: each row is
logged or refused on its own, a refusal is shown on its row, and the corrected sheet goes through."""
from datetime import date

from common.auth import COORDINATOR, MIO_OFFICER
from tests.portal.support import (REGION, apply_organisation, coordinator_headers, ok, place, staff,
                                  student_headers)

STUDENTS = ("Айгерім Сәрсенова", "Данияр Қасымов", "Мария Ким")


def test_coordinator_logs_a_days_attendance_for_the_whole_site(platform, portal):
    organisation = apply_organisation(platform)
    site_id = organisation["sites"][0]["id"]
    ok(platform.http.post(f"/api/v1/organisations/{organisation['id']}/accredit",
                          headers=platform.auth(MIO_OFFICER, region=REGION)))
    placements = [place(platform, site_id, name, organisation["id"]) for name in STUDENTS]
    coordinator = staff(platform, COORDINATOR, "СЕЙТКАЛИЕВ БОЛАТ", organisation_id=organisation["id"], site_id=site_id)

    portal.open("ru").sign_in(coordinator)
    sheet = portal.wait_for("#attendance-sheet")
    rows = {p["placement_id"]: portal.wait_for(f'tr[data-placement="{p["placement_id"]}"]') for p in placements}
    assert [row.find_element("css selector", "td").text for row in rows.values()] == list(STUDENTS)

    # the same hours for everyone, but 9 hours for one student is past the day's maximum
    portal.fill("rows.0.hours", "3", within=sheet)
    portal.click("#fill-all")
    portal.fill("rows.2.hours", "9", within=sheet)
    portal.click("button[type=submit]", within=sheet)
    assert portal.text("#attendance-summary") == "Учтено: 2, отклонено: 1."
    refusal = portal.field_error("rows.2.hours", within=sheet)
    assert not portal.driver.find_elements("css selector", '[data-field="rows.0.hours"].invalid')
    portal.screenshot("coordinator-attendance-refused-row")

    # only the refused row is sent again
    for index in (0, 1):
        portal.fill(f"rows.{index}.hours", "", within=sheet)
    portal.fill("rows.2.hours", "4", within=sheet)
    portal.click("button[type=submit]", within=sheet)
    portal.wait_for("#attendance-summary", "Учтено: 1, отклонено: 0.")
    portal.wait_gone('[data-field="rows.2.hours"].invalid')

    # the message on the row is the API's own for that row, in Russian as the page asked
    assert refusal == "слишком много часов"
    again = ok(platform.http.post("/api/v1/hours/days", headers={
        **coordinator_headers(platform, organisation["id"], site_id), "Accept-Language": "ru"},
                                  json={"work_date": date.today().isoformat(), "rows": [
                                      {"placement_id": placements[2]["placement_id"], "hours": "9", "note": "x"}]}))
    assert "; ".join(again["results"][0]["error"]["fields"]["hours"]) == refusal

    hours = {}
    for placement in placements:
        entries = ok(platform.http.get("/api/v1/hours", params={"placement_id": placement["placement_id"]},
                                       headers=coordinator_headers(platform, organisation["id"], site_id)))["items"]
        hours[placement["student_name"]] = [(entry["hours"], entry["note"], entry["status"]) for entry in entries]
    assert hours == {"Айгерім Сәрсенова": [("3.00", "Присутствовал(а)", "pending")],
                     "Данияр Қасымов": [("3.00", "Присутствовал(а)", "pending")],
                     "Мария Ким": [("4.00", "Присутствовал(а)", "pending")]}

    # the student disputes an entry; the coordinator sees it among the disputes and answers it
    disputed = ok(platform.http.get("/api/v1/hours", params={"placement_id": placements[1]["placement_id"]},
                                    headers=student_headers(platform, placements[1])))["items"][0]
    ok(platform.http.post(f"/api/v1/hours/{disputed['id']}/dispute", json={"comment": "I was there for 4 hours"},
                          headers=student_headers(platform, placements[1])))
    portal.go("disputes")
    row = portal.wait_for(f'tr[data-id="{disputed["id"]}"]')
    assert "I was there for 4 hours" in row.text
    portal.click("button.secondary", "Ответить", within=row)
    portal.fill("note", "Checked the sign-in sheet: 3 hours.", within=row)
    portal.click("button[type=submit]", within=row)
    portal.wait_for("#disputes .empty")
    answered = ok(platform.http.get("/api/v1/hours", params={"placement_id": placements[1]["placement_id"]},
                                    headers=student_headers(platform, placements[1])))["items"][0]
    assert (answered["status"], answered["resolution"]) == ("pending", "Checked the sign-in sheet: 3 hours.")
