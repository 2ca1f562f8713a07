"""Check-in at the site with its code, through the gateway: the door screen's QR code scanned, its short
code typed, a printed sheet's code; check-out; the coordinator's bulk approval into hour entries; and
each refusal, with nothing recorded. Timesheet's clock is driven by the test (the services run in this
process), so windows pass without waiting."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from common.contracts.placement import PLACEMENT_WITHDRAWN
from services.timesheet import rules
from services.timesheet.models import Attendance, CheckInCodeUse, Placement
from tests.harness import eventually
from tests.timesheet.support import TODAY, coordinator, error_of, log, place, student

NINE = dt.datetime.combine(TODAY, dt.time(9, 0), tzinfo=rules.LOCAL_TIME).astimezone(dt.timezone.utc)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Timesheet's clock, starting at 09:00 today in Almaty."""
    clock = Clock(NINE)
    monkeypatch.setattr("services.timesheet.service.utcnow", clock)
    return clock


def screen_code(platform, site_id):
    answer = platform.http.get("/api/v1/attendance/code", headers=coordinator(platform, site_id))
    assert answer.status_code == 200, answer.text
    return answer.json()


def by_code(platform, headers, code, action="check_in", **extra):
    return platform.http.post("/api/v1/attendance/by-code", headers={**headers, **extra},
                              json={"code": code, "action": action})


def at(text):
    return dt.datetime.fromisoformat(text)


def counts(platform):
    with platform.session("timesheet") as session:
        return (session.scalar(select(func.count()).select_from(Attendance)),
                session.scalar(select(func.count()).select_from(CheckInCodeUse)))


def test_check_in_by_scan_and_typed_code_then_bulk_approval_into_entries(platform, clock):
    ann, bek = place(platform, "site-1"), place(platform, "site-1")
    site = coordinator(platform, "site-1")

    shown = screen_code(platform, "site-1")
    assert (shown["kind"], shown["site_id"], shown["window_seconds"]) == ("screen", "site-1", 30)
    assert at(shown["valid_from"]) <= NINE < at(shown["valid_until"]) == at(shown["accepted_until"]) - \
        dt.timedelta(seconds=30)
    assert shown["value"].startswith("SV1.s.site-1.") and len(shown["short_code"]) == 6
    assert shown["qr_svg"].startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in shown["qr_svg"]

    # Ann scans the screen's QR code: checked in at the server's time, with the screen's code.
    checked_in = by_code(platform, student(platform, ann), shown["value"])
    assert checked_in.status_code == 200, checked_in.text
    assert (checked_in.json()["status"], checked_in.json()["checked_in_with"]) == ("open", "screen")
    assert at(checked_in.json()["checked_in_at"]) == NINE
    assert checked_in.json()["student_name"] == ann["student_name"]

    # Bek checks in with the printed sheet's code of this hour, and out with the same code within
    # its grace: one use for each action.
    sheet = platform.http.get("/api/v1/attendance/code-sheet", headers=site).json()
    assert (sheet["date"], sheet["window_seconds"], len(sheet["codes"])) == (TODAY.isoformat(), 3600, 24)
    nine_to_ten = next(code for code in sheet["codes"] if at(code["valid_from"]) == NINE)
    assert nine_to_ten["qr_svg"].startswith("<svg") and nine_to_ten["value"].startswith("SV1.p.site-1.")
    assert by_code(platform, student(platform, bek), nine_to_ten["short_code"]).status_code == 200
    clock.advance(minutes=90)
    bek_out = by_code(platform, student(platform, bek), nine_to_ten["value"], "check_out")
    assert bek_out.status_code == 200, bek_out.text
    assert (bek_out.json()["status"], bek_out.json()["checked_out_with"]) == ("awaiting", "sheet")

    # Ann types the screen's short code as people do (lower case, a space) to check out at 11:40.
    clock.advance(minutes=70)
    typed = screen_code(platform, "site-1")["short_code"]
    ann_out = by_code(platform, student(platform, ann), f"{typed[:3].lower()} {typed[3:]}", "check_out")
    assert ann_out.status_code == 200, ann_out.text
    assert at(ann_out.json()["checked_out_at"]) == NINE + dt.timedelta(minutes=160)

    # Bek already has 7 hours logged today: his 1.5 hours would pass the day's 8.
    assert log(platform, site, bek, "7").status_code == 201
    listed = platform.http.get("/api/v1/attendance", headers=site,
                               params={"status": "awaiting", "work_date": TODAY.isoformat()}).json()
    assert sorted(item["student_name"] for item in listed["items"]) == sorted([ann["student_name"],
                                                                                bek["student_name"]])
    ann_id, bek_id = ann_out.json()["id"], bek_out.json()["id"]
    decided = platform.http.post("/api/v1/attendance/decisions", headers={**site, "Accept-Language": "kk"}, json={
        "rows": [{"attendance_id": ann_id, "approve": True}, {"attendance_id": bek_id, "approve": True},
                 {"attendance_id": ann_id, "approve": True}, {"attendance_id": "nobody", "approve": False}]})
    assert decided.status_code == 200, decided.text
    answer = decided.json()
    assert (answer["decided"], answer["refused"]) == (1, 3)
    assert [row["status"] for row in answer["results"]] == [200, 422, 409, 404]
    assert answer["results"][1]["error"]["fields"] == {"hours": ["сол күні 7.00 есепке алынған"]}
    entry_id = answer["results"][0]["attendance"]["entry_id"]
    entries = platform.http.get("/api/v1/hours", headers=student(platform, ann)).json()["items"]
    assert [(e["id"], e["hours"], e["work_date"], e["source"], e["note"]) for e in entries] == \
        [(entry_id, "2.50", TODAY.isoformat(), "attendance", "attendance 09:00–11:40")]
    bek_now = platform.http.get("/api/v1/attendance", headers=student(platform, bek)).json()["items"]
    assert [(a["status"], a["entry_id"]) for a in bek_now] == [("awaiting", None)]


def test_each_refusal_names_the_code_and_records_nothing(platform, clock):
    here = place(platform, "site-1")
    me = student(platform, here)
    left = place(platform, "site-3", student_id=here["student_id"])
    platform.publish(PLACEMENT_WITHDRAWN, {"placement_id": left["placement_id"], "student_id": here["student_id"],
                                           "reason": "moved city"})

    def withdrawn():
        with platform.session("timesheet") as session:
            return session.get(Placement, left["placement_id"]).status == "withdrawn"

    eventually(withdrawn)
    old = screen_code(platform, "site-1")
    clock.advance(seconds=60)  # two windows on: the old code is past its grace
    current = screen_code(platform, "site-1")
    sheet = platform.http.get("/api/v1/attendance/code-sheet", headers=coordinator(platform, "site-1")).json()
    later = sheet["codes"][-1]
    refusals = {
        "another site's code": (screen_code(platform, "site-2")["value"], 422),
        "placement withdrawn": (screen_code(platform, "site-3")["value"], 422),
        "expired": (old["value"], 422),
        "for a later time": (later["value"], 422),
        "signature does not match": (current["value"][:-3] + ("xyz" if current["value"][-3:] != "xyz" else "abc"), 422),
        "not a check-in code": ("https://example.com/check-in", 400),
        "unknown code: check it against the screen": (screen_code(platform, "site-2")["short_code"], 422),
    }
    for reason, (code, status) in refusals.items():
        assert error_of(by_code(platform, me, code), status)["fields"] == {"code": [reason]}, reason
    assert error_of(by_code(platform, me, old["short_code"]), 422)["fields"] == {"code": ["expired"]}
    nowhere = platform.auth("student")
    assert error_of(by_code(platform, nowhere, current["value"]), 422)["fields"] == {"code": ["no active placement"]}
    assert error_of(by_code(platform, me, current["value"], "check_out"), 409)["fields"] == {"code": ["check in first"]}
    assert error_of(by_code(platform, me, current["value"], "arrive"), 400)["fields"]["action"]
    assert counts(platform) == (0, 0)

    # A replayed scan: the same code for a second check-in (after a check-out with another code).
    assert by_code(platform, me, current["value"]).status_code == 200
    clock.advance(seconds=30)
    assert by_code(platform, me, screen_code(platform, "site-1")["value"], "check_out").status_code == 200
    replay = error_of(by_code(platform, me, current["value"]), 409)
    assert replay["fields"] == {"code": ["already used"]}
    in_russian = error_of(by_code(platform, me, current["value"], **{"Accept-Language": "ru"}), 409)
    assert in_russian["message"] == "Вы уже отметили приход этим кодом"
    assert counts(platform) == (1, 2)

    # A check-in left open (no check-out) stays out of the hours and does not hold up the next day's.
    assert by_code(platform, me, screen_code(platform, "site-1")["value"]).status_code == 200
    clock.advance(days=1)
    tomorrow = by_code(platform, me, screen_code(platform, "site-1")["value"])
    assert tomorrow.status_code == 200, tomorrow.text
    clock.advance(hours=1)
    out = by_code(platform, me, screen_code(platform, "site-1")["value"], "check_out").json()
    assert (out["id"], out["status"]) == (tomorrow.json()["id"], "awaiting")

    # Codes are the coordinator's to show.
    assert error_of(platform.http.get("/api/v1/attendance/code", headers=me), 403)
