"""Risk-based review through the gateway: flags on the Operator's queue, and bulk acceptance with
mixed rows (each accepted exactly as one by one, or refused without a change)."""
import datetime as dt

from sqlalchemy import select, update

from common.contracts.timesheet import REPORT_ACCEPTED
from services.timesheet.models import HourEntry, Report, ReportHistory
from tests.timesheet.support import complete_hours, error_of, operator, outbox, place, submit_signed


def logged_as_worked(platform, placement):
    """Each of the placement's entries as if logged on a day of its own (the test logs them all now)."""
    with platform.session("timesheet") as session, session.begin():
        entries = session.scalars(select(HourEntry).where(HourEntry.placement_id == placement["placement_id"])
                                  .order_by(HourEntry.work_date)).all()
        for days_back, entry in enumerate(reversed(entries), start=1):
            entry.created_at = entry.created_at - dt.timedelta(days=days_back)


def submitted(platform, placement):
    response = submit_signed(platform, placement)
    assert response.status_code == 201, response.text
    return response.json()


def test_flags_that_read_the_site_at_submission(platform):
    """At a small site: the signer sharing a student's surname, and the third report completed in the
    fewest days possible, like the two before it."""
    kin, other, third = (place(platform, "small-site", student_name=name) for name in (
        "Сотрудникова Айгерім", "Айгерім Сәрсенова", "Bekzat Omarov"))
    for placement in (kin, other, third):
        complete_hours(platform, placement)
        logged_as_worked(platform, placement)
    kin, other, third = (submitted(platform, p) for p in (kin, other, third))
    assert [item["code"] for item in kin["flags"]] == ["same_surname"]  # signed by СОТРУДНИКОВА ДАНА
    assert other["flags"] == []  # two reports at the site so far: too few to tell
    assert third["flags"] == [{"code": "minimum_time_site",
                               "reason": "all 3 reports of the site completed in the minimum number of days"}]


def test_queue_by_flag_and_bulk_acceptance_with_mixed_rows(platform):
    routine, backfilled, sampled = (place(platform, f"risk-site-{n}") for n in range(3))
    for placement in (routine, backfilled, sampled):
        complete_hours(platform, placement)
    for placement in (routine, sampled):
        logged_as_worked(platform, placement)
    routine, backfilled, sampled = (submitted(platform, p) for p in (routine, backfilled, sampled))
    assert (routine["flags"], sampled["flags"]) == ([], [])
    assert backfilled["flags"] == [{"code": "few_logging_days",
                                    "reason": "the hours of 3 work days were logged on 1 day(s)"}]
    with platform.session("timesheet") as session, session.begin():  # as the sample rate would have it
        session.execute(update(Report).where(Report.id == sampled["id"]).values(sampled=True))

    def queue(**params):
        answer = platform.http.get("/api/v1/reports", headers=operator(platform), params=params)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert queue(flag="few_logging_days") == [backfilled["id"]]
    assert queue(flag="same_minute") == []
    assert queue(flagged="true") == [backfilled["id"]]
    assert queue(flagged="false") == [routine["id"], sampled["id"]]
    assert queue(sort="flags")[0] == backfilled["id"]
    assert error_of(platform.http.get("/api/v1/reports", headers=operator(platform), params={"flag": "odd"}),
                    400)["fields"]["flag"]
    detail = platform.http.get(f"/api/v1/reports/{backfilled['id']}",
                               headers={**operator(platform), "Accept-Language": "ru"}).json()
    assert detail["flags"] == [{"code": "few_logging_days", "reason": "часы 3 рабочих дней внесены за 1 дн."}]

    # A queue filter takes only the routine report: the flagged and the sampled one stay for a look.
    by_filter = platform.http.post("/api/v1/reports/reviews", headers=operator(platform),
                                   json={"filter": {"region": "KZ-75"}, "limit": 50})
    assert by_filter.status_code == 200, by_filter.text
    assert by_filter.json()["accepted"] == 1
    assert [(row["report_id"], row["status"]) for row in by_filter.json()["results"]] == [(routine["id"], 200)]

    # Listed ids: each row answered on its own, in the order asked.
    by_ids = platform.http.post("/api/v1/reports/reviews", headers=operator(platform), json={
        "report_ids": [backfilled["id"], "no-such-report", routine["id"], sampled["id"]]})
    assert by_ids.status_code == 200, by_ids.text
    rows = by_ids.json()["results"]
    assert [(row["index"], row["report_id"], row["status"]) for row in rows] == [
        (0, backfilled["id"], 422), (1, "no-such-report", 404), (2, routine["id"], 409), (3, sampled["id"], 422)]
    assert rows[0]["error"]["fields"] == {"flags": ["few_logging_days"]}
    assert "sampled" in rows[3]["error"]["message"]
    assert (by_ids.json()["accepted"], by_ids.json()["refused"]) == (0, 4)

    # Exactly one acceptance recorded, audited with the Operator; the refused reports are untouched.
    assert len(outbox(platform, REPORT_ACCEPTED, report_id=routine["id"])) == 1
    assert outbox(platform, REPORT_ACCEPTED, report_id=backfilled["id"]) == []
    assert outbox(platform, REPORT_ACCEPTED, report_id=sampled["id"]) == []
    with platform.session("timesheet") as session:
        history = {report_id: [(row.action, row.actor) for row in session.scalars(
            select(ReportHistory).where(ReportHistory.report_id == report_id).order_by(ReportHistory.id))]
            for report_id in (routine["id"], backfilled["id"], sampled["id"])}
        statuses = {report.id: report.status for report in session.scalars(select(Report))}
    operator_id = platform.http.get(f"/api/v1/reports/{routine['id']}", headers=operator(platform)) \
        .json()["reviewed_by"]
    assert [action for action, _ in history[routine["id"]]] == ["submitted", "accepted"]
    assert history[routine["id"]][1][1] == operator_id
    assert [action for action, _ in history[backfilled["id"]]] == ["submitted"]
    assert [action for action, _ in history[sampled["id"]]] == ["submitted"]
    assert statuses == {routine["id"]: "accepted", backfilled["id"]: "submitted", sampled["id"]: "submitted"}

    # Only the Operator accepts, and a request names ids or a filter.
    assert error_of(platform.http.post("/api/v1/reports/reviews", headers=operator(platform), json={}), 400)
