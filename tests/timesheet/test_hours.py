"""Hours through the gateway: logging one and a day at a time, refusals, answers, attendance, progress."""
import datetime as dt

from sqlalchemy import func, select

from common.contracts.placement import PLACEMENT_WITHDRAWN
from common.contracts.timesheet import HOURS_COMPLETED, HOURS_DISPUTED, HOURS_LOGGED
from services.timesheet.models import HourEntry, IdempotentRequest, Placement
from tests.harness import eventually
from tests.timesheet.support import (
    TODAY, coordinator, days_ago, error_of, log, outbox, place, student,
)


def entry_count(platform, **where):
    with platform.session("timesheet") as session:
        return session.scalar(select(func.count()).select_from(HourEntry).filter_by(**where))


def test_logging_one_entry_and_each_refusal(platform):
    first = place(platform, "site-1")
    other_site = place(platform, "site-2", student_id=first["student_id"], kind="h50")
    site1, site2 = coordinator(platform, "site-1"), coordinator(platform, "site-2")

    logged = log(platform, site1, first, "3.5")
    assert logged.status_code == 201, logged.text
    entry = logged.json()
    assert (entry["hours"], entry["status"], entry["work_date"]) == ("3.50", "pending", TODAY.isoformat())
    assert entry["student_id"] == first["student_id"] and entry["source"] == "coordinator"
    assert [e["data"] for e in outbox(platform, HOURS_LOGGED)] == [{
        "entry_id": entry["id"], "placement_id": first["placement_id"], "student_id": first["student_id"],
        "site_id": "site-1", "work_date": TODAY.isoformat(), "hours": "3.50", "comment": None}]

    future = error_of(log(platform, site1, first, "1", (TODAY + dt.timedelta(days=1)).isoformat()), 422)
    assert "future" in future["message"] and "work_date" in future["fields"]
    outside = error_of(log(platform, site1, first, "1", days_ago(31)), 422)
    assert "window" in outside["message"]
    assert error_of(log(platform, site1, first, "0.3"), 422)["fields"]["hours"] == ["not a multiple of 0.25"]
    assert "correction" in error_of(log(platform, site1, first, "-1"), 422)["message"]
    assert error_of(log(platform, site2, first, "1"), 404)["code"] == "not_found"  # not site 2's student
    assert error_of(log(platform, site1, {**first, "placement_id": "nobody"}, "1"), 404)
    assert error_of(log(platform, platform.auth("student", user_id=first["student_id"]), first, "1"), 403)

    # The 8-hour cap counts the student's day across both placements.
    other_site_entry = log(platform, site2, other_site, "4.5")
    assert other_site_entry.status_code == 201
    over = error_of(log(platform, site1, first, "0.25"), 422)
    assert "8" in over["message"] and "8.00 already logged" in over["fields"]["hours"][0]

    # The same Idempotency-Key gives the same entry, not more hours; reused for another request: 409.
    key = {"Idempotency-Key": "day-before-1"}
    once = log(platform, site1, first, "2", days_ago(1), **key)
    again = log(platform, site1, first, "2", days_ago(1), **key)
    assert once.status_code == again.status_code == 201 and once.json() == again.json()
    assert error_of(log(platform, site1, first, "3", days_ago(1), **key), 409)
    assert entry_count(platform, placement_id=first["placement_id"]) == 2
    with platform.session("timesheet") as session:
        assert session.scalar(select(func.count()).select_from(IdempotentRequest)) == 1
    # One `hours.logged` per entry: refusals and the replayed request recorded none.
    assert sorted(e["data"]["entry_id"] for e in outbox(platform, HOURS_LOGGED)) == \
        sorted([entry["id"], once.json()["id"], other_site_entry.json()["id"]])

    # A withdrawn placement takes no more hours.
    platform.publish(PLACEMENT_WITHDRAWN, {"placement_id": first["placement_id"],
                                           "student_id": first["student_id"], "reason": "moved city"})

    def withdrawn():
        with platform.session("timesheet") as session:
            return session.get(Placement, first["placement_id"]).status == "withdrawn"

    eventually(withdrawn)
    assert "left" in error_of(log(platform, site1, first, "1", days_ago(2)), 422)["message"]

    listed = platform.http.get("/api/v1/hours", headers=site1, params={"limit": 1}).json()
    assert listed["total"] == 2 and len(listed["items"]) == 1
    assert platform.http.get("/api/v1/hours", headers=site2).json()["total"] == 1


def test_a_days_attendance_in_bulk_with_good_and_bad_rows(platform):
    ann, bek, elsewhere = place(platform, "site-1"), place(platform, "site-1"), place(platform, "site-9")
    site = coordinator(platform, "site-1")
    day = {"work_date": days_ago(1), "rows": [
        {"placement_id": ann["placement_id"], "hours": "4", "note": "Reading club"},
        {"placement_id": elsewhere["placement_id"], "hours": "2", "note": "Not ours"},
        {"placement_id": bek["placement_id"], "hours": "3.75", "note": "Maths"},
        {"placement_id": ann["placement_id"], "hours": "4.25", "note": "Past the cap"},
        {"placement_id": bek["placement_id"], "hours": "1.1", "note": "Odd step"},
    ]}
    headers = {**site, "Idempotency-Key": "attendance-yesterday"}
    answer = platform.http.post("/api/v1/hours/days", headers=headers, json=day)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["logged"], body["refused"]) == (2, 3)
    assert [row["status"] for row in body["results"]] == [201, 404, 201, 422, 422]
    assert body["results"][0]["entry"]["hours"] == "4.00" and body["results"][1]["entry"] is None
    assert "8" in body["results"][3]["error"]["message"]
    assert body["results"][4]["error"]["fields"] == {"hours": ["not a multiple of 0.25"]}

    replay = platform.http.post("/api/v1/hours/days", headers=headers, json=day)
    assert replay.status_code == 200 and replay.json() == body
    assert entry_count(platform) == 2
    assert sorted((e["data"]["placement_id"], e["data"]["hours"]) for e in outbox(platform, HOURS_LOGGED)) == \
        sorted([(ann["placement_id"], "4.00"), (bek["placement_id"], "3.75")])
    assert entry_count(platform, placement_id=ann["placement_id"]) == 1

    malformed = platform.http.post("/api/v1/hours/days", headers=site,
                                   json={"work_date": days_ago(1), "rows": [{"placement_id": "x"}]})
    assert error_of(malformed, 400)["fields"]["rows"]


def test_the_student_confirms_disputes_and_completes_the_voucher_once(platform):
    placement = place(platform, "site-1")
    site, me = coordinator(platform, "site-1"), student(platform, placement)
    ids = [log(platform, site, placement, hours, days_ago(day)).json()["id"]
           for day, hours in ((3, "8"), (2, "8"), (1, "4"))]

    def answer(entry_id, action, headers=me, **body):
        return platform.http.post(f"/api/v1/hours/{entry_id}/{action}", headers=headers, json=body)

    assert answer(ids[0], "confirm").json()["status"] == "confirmed"
    assert answer(ids[1], "confirm", comment="Right").json()["student_comment"] == "Right"
    disputed = answer(ids[2], "dispute", comment="I left at 12, that was 3 hours")
    assert disputed.json()["status"] == "disputed"
    assert error_of(answer(ids[2], "dispute", comment="again"), 409)
    assert error_of(answer(ids[1], "confirm"), 409)
    assert error_of(answer(ids[0], "confirm", headers=student(platform, place(platform, "site-1"))), 404)
    assert error_of(answer(ids[2], "dispute"), 400)["fields"]["comment"]
    assert [e["data"] for e in outbox(platform, HOURS_DISPUTED)] == [{
        "entry_id": ids[2], "placement_id": placement["placement_id"], "student_id": placement["student_id"],
        "site_id": "site-1", "work_date": days_ago(1), "hours": "4.00",
        "comment": "I left at 12, that was 3 hours"}]

    progress = platform.http.get("/api/v1/progress", headers=me).json()
    assert progress["total"] == 1
    assert {k: progress["items"][0][k] for k in ("hours_required", "hours_logged", "hours_confirmed",
                                                 "open_disputes", "voucher_kind")} == \
        {"hours_required": 20, "hours_logged": "20.00", "hours_confirmed": "16.00", "open_disputes": 1,
         "voucher_kind": "h20"}
    blocked = error_of(platform.http.post("/api/v1/reports", headers=site,
                                          json={"placement_id": placement["placement_id"],
                                                "signature": "AAAA"}), 422)
    assert "disputed" in blocked["message"]

    # The site corrects the disputed entry: a new entry with a reason; the original is never edited.
    correction = platform.http.post(f"/api/v1/hours/{ids[2]}/corrections", headers=site,
                                    json={"hours": "-1", "reason": "Left at noon"})
    assert correction.status_code == 201, correction.text
    assert correction.json()["hours"] == "-1.00" and correction.json()["corrects_id"] == ids[2]
    original = platform.http.get("/api/v1/hours", headers=me, params={"status": "pending"}).json()["items"]
    assert {e["id"]: e["hours"] for e in original} == {ids[2]: "4.00", correction.json()["id"]: "-1.00"}
    assert "Left at noon" in next(e for e in original if e["id"] == ids[2])["resolution"]
    too_far = platform.http.post(f"/api/v1/hours/{ids[2]}/corrections", headers=site,
                                 json={"hours": "-3.25", "reason": "x"})
    assert "below zero" in error_of(too_far, 422)["message"]

    # A dispute answered with a note goes back to the student too.
    extra = log(platform, site, placement, "1", days_ago(4)).json()["id"]
    answer(extra, "dispute", comment="Was I there?")
    resolved = answer(extra, "resolve", headers=site, note="Signed register, 14:00-15:00")
    assert resolved.json()["status"] == "pending" and resolved.json()["resolution"].startswith("Signed")
    assert error_of(answer(extra, "resolve", headers=site, note="again"), 409)

    for entry_id in (correction.json()["id"], ids[2]):
        answer(entry_id, "confirm")
    assert outbox(platform, HOURS_COMPLETED) == []
    answer(extra, "confirm")
    completed = outbox(platform, HOURS_COMPLETED, placement_id=placement["placement_id"])
    assert len(completed) == 1 and completed[0]["data"]["hours"] == "20.00"

    # Disputing and confirming again past the voucher's hours does not announce it twice.
    answer(extra, "dispute", comment="Sorry, wrong")
    answer(extra, "confirm")
    assert len(outbox(platform, HOURS_COMPLETED)) == 1
    assert sorted(e["data"]["comment"] for e in outbox(platform, HOURS_DISPUTED, entry_id=extra)) == \
        ["Sorry, wrong", "Was I there?"]


def test_check_in_and_out_approved_as_an_entry(platform):
    placement = place(platform, "site-1")
    me, site = student(platform, placement), coordinator(platform, "site-1")
    yesterday = TODAY - dt.timedelta(days=1)
    at = dt.datetime.combine(yesterday, dt.time(9, 0)).isoformat() + "+05:00"
    checked_in = platform.http.post("/api/v1/attendance", headers=me,
                                    json={"placement_id": placement["placement_id"], "at": at})
    assert checked_in.status_code == 201, checked_in.text
    attendance_id = checked_in.json()["id"]
    assert error_of(platform.http.post("/api/v1/attendance", headers=me,
                                       json={"placement_id": placement["placement_id"]}), 409)
    someone_else = student(platform, place(platform, "site-1"))
    assert error_of(platform.http.post(f"/api/v1/attendance/{attendance_id}/check-out", headers=someone_else,
                                       json={}), 404)
    out_at = dt.datetime.combine(yesterday, dt.time(11, 40)).isoformat() + "+05:00"
    checked_out = platform.http.post(f"/api/v1/attendance/{attendance_id}/check-out", headers=me,
                                     json={"at": out_at})
    assert checked_out.json()["status"] == "awaiting"

    awaiting = platform.http.get("/api/v1/attendance", headers=site, params={"status": "awaiting"}).json()
    assert [a["id"] for a in awaiting["items"]] == [attendance_id]
    assert error_of(platform.http.post(f"/api/v1/attendance/{attendance_id}/decision",
                                       headers=coordinator(platform, "site-2"), json={"approve": True}), 404)
    approved = platform.http.post(f"/api/v1/attendance/{attendance_id}/decision", headers=site,
                                  json={"approve": True})
    assert approved.status_code == 200, approved.text
    entry_id = approved.json()["entry_id"]
    entries = platform.http.get("/api/v1/hours", headers=me).json()["items"]
    assert [(e["id"], e["hours"], e["work_date"], e["source"], e["note"]) for e in entries] == \
        [(entry_id, "2.50", yesterday.isoformat(), "attendance", "attendance 09:00–11:40")]
    assert [(e["data"]["entry_id"], e["data"]["student_id"]) for e in outbox(platform, HOURS_LOGGED)] == \
        [(entry_id, placement["student_id"])]
    assert error_of(platform.http.post(f"/api/v1/attendance/{attendance_id}/decision", headers=site,
                                       json={"approve": False}), 409)
