"""The student confirms many entries at once: own entries only, each row on its own, the voucher's
completion recorded once."""
from common.contracts.timesheet import HOURS_COMPLETED
from tests.harness import eventually
from tests.timesheet.support import coordinator, days_ago, log, outbox, place, student

CONFIRM_MANY = "/api/v1/hours/confirm"


def logged_entries(platform, placement, hours_per_day, days):
    site = coordinator(platform, placement["site_id"])
    ids = []
    for day in range(1, days + 1):
        response = log(platform, site, placement, hours_per_day, days_ago(day))
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def test_confirming_many_entries_each_row_on_its_own(platform):
    mine = place(platform, "site-1")
    someone_elses = place(platform, "site-1")
    own_ids = logged_entries(platform, mine, "4", 5)  # 20 hours: the h20 voucher
    other_id = logged_entries(platform, someone_elses, "2", 1)[0]
    me = student(platform, mine)

    response = platform.http.post(CONFIRM_MANY, headers=me,
                                  json={"entry_ids": own_ids[:4] + [other_id, "no-such-entry", own_ids[0]]})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["confirmed"], answer["refused"]) == (4, 3)
    statuses = [(row["index"], row["status"]) for row in answer["results"]]
    assert statuses == [(0, 200), (1, 200), (2, 200), (3, 200), (4, 404), (5, 404), (6, 409)]
    assert all(row["entry"]["status"] == "confirmed" for row in answer["results"][:4])
    assert answer["results"][4]["error"]["code"] == "not_found"  # another student's entry does not exist
    assert not outbox(platform, HOURS_COMPLETED, placement_id=mine["placement_id"])

    last = platform.http.post(CONFIRM_MANY, headers=me, json={"entry_ids": own_ids[4:], "comment": "All right"})
    assert last.status_code == 200 and last.json()["confirmed"] == 1, last.text
    eventually(lambda: len(outbox(platform, HOURS_COMPLETED, placement_id=mine["placement_id"])) == 1)
    other = platform.http.get("/api/v1/hours", headers=student(platform, someone_elses)).json()["items"]
    assert [entry["status"] for entry in other] == ["pending"]

    assert platform.http.post(CONFIRM_MANY, headers=me, json={"entry_ids": []}).status_code == 400
    site = coordinator(platform, "site-1")
    assert platform.http.post(CONFIRM_MANY, headers=site, json={"entry_ids": own_ids}).status_code == 403
