"""The registrar at scale, over the real broker and through the gateway: many re-counts confirmed under
one order with each row's answer, and the queue's CSV exported, filled in and imported all or nothing,
each `credits.recounted` exactly once."""
import csv
import io

from sqlalchemy import select

from common.contracts.credits import CREDITS_RECOUNTED
from common.contracts.registry import STUDENT_REGISTERED
from services.credits import rules
from services.credits.models import OutboxEvent, Student
from tests.credits.test_credits import accept_report, by_placement, new_id, registrar, wait_for_queue
from tests.harness import eventually

REQUESTS = "/api/v1/credits/requests"
ORDER = {"order_number": "No. 128-П", "order_date": "2026-10-01", "discipline": "Social practice"}
IINS = ["950101300038", "960202400041", "970303300052", "980404400063", "990505300074"]
NAMES = ["Сейтқали Айгерім", "Иванов Пётр", "Омаров Дәулет", "Ким Анна", "Ахметов Ержан"]


def recounted(platform):
    """How many `credits.recounted` each request has in credits' outbox."""
    with platform.session("credits") as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == CREDITS_RECOUNTED.name)).all()
        counts = {}
        for row in rows:
            counts[row.envelope["data"]["request_id"]] = counts.get(row.envelope["data"]["request_id"], 0) + 1
        return counts


def post_csv(platform, headers, text, content_type="text/csv"):
    return platform.http.post(f"{REQUESTS}/decisions", data=text.encode("utf-8-sig") if isinstance(text, str) else text,
                              headers={**headers, "Content-Type": content_type})


def filled(export, decisions):
    """The exported CSV with decision cells filled in by request id: {id: [decision, number, date, discipline, reason]}."""
    rows = list(csv.reader(io.StringIO(export.removeprefix("\ufeff")), delimiter=";"))
    for row in rows[1:]:
        row[11:] = decisions.get(row[0], row[11:])
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def test_bulk_confirmation_and_the_csv_round_trip_apply_each_decision_once(platform, monkeypatch):
    university, other = new_id(), new_id()
    students = [new_id() for _ in IINS]
    for student_id, iin, name in zip(students, IINS, NAMES):
        platform.publish(STUDENT_REGISTERED, {"student_id": student_id, "iin": iin, "full_name": name,
                                              "university_id": university, "region": "KZ-71"})
    def known(student_id):
        with platform.session("credits") as session:
            return session.scalar(select(Student.iin).where(Student.id == student_id))

    assert eventually(lambda: known(students[-1])) == IINS[-1]
    placements = [accept_report(platform, student_id, university, "h20", name=name)
                  for student_id, name in zip(students, NAMES)]
    second = accept_report(platform, students[0], university, "h50", name=NAMES[0])  # 2 + 5 for the first student
    accept_report(platform, new_id(), other, "h20")  # another university's
    ids = {placement: item["id"] for placement, item in by_placement(wait_for_queue(platform, university, 6)).items()}
    a, b, c, d, e = (ids[placement] for placement in placements)
    elsewhere_id = wait_for_queue(platform, other, 1)["items"][0]["id"]
    headers = registrar(platform, university)

    # c already confirmed under the same order, d under another: the bulk answers c as such, d a 409.
    assert platform.http.post(f"{REQUESTS}/{c}/confirm", json=ORDER, headers=headers).status_code == 200
    assert platform.http.post(f"{REQUESTS}/{d}/confirm", json={**ORDER, "order_number": "No. 7"},
                              headers=headers).status_code == 200
    rows = [{"request_id": a}, {"request_id": ids[second], "discipline": "Pedagogy"}, {"request_id": c},
            {"request_id": d}, {"request_id": "f" * 32}, {"request_id": elsewhere_id}, {"request_id": a}]
    bulk = platform.http.post(f"{REQUESTS}/confirmations", json={**ORDER, "requests": rows}, headers=headers)
    assert bulk.status_code == 200, bulk.text
    answer = bulk.json()
    assert (answer["confirmed"], answer["already_confirmed"], answer["refused"]) == (2, 2, 3)
    assert [(r["index"], r["status"], r["already_confirmed"]) for r in answer["results"]] == [
        (0, 200, False), (1, 200, False), (2, 200, True), (3, 409, False), (4, 404, False), (5, 404, False),
        (6, 200, True)]
    results = answer["results"]
    assert results[1]["request"]["discipline"] == "Pedagogy" and results[0]["request"]["order_number"] == "No. 128-П"
    assert results[3]["request"] is None and results[3]["error"]["fields"] == {"status": ["confirmed"]}
    assert results[4]["error"]["code"] == results[5]["error"]["code"] == "not_found"
    assert eventually(lambda: recounted(platform) == {a: 1, ids[second]: 1, c: 1, d: 1})
    totals = {r["request_id"]: r["request"]["order_number"] for r in results if r["request"]}
    assert totals == {a: "No. 128-П", ids[second]: "No. 128-П", c: "No. 128-П"}
    missing = platform.http.post(f"{REQUESTS}/confirmations", json={"requests": [{"request_id": e}]}, headers=headers)
    assert missing.status_code == 400 and set(missing.json()["error"]["fields"]["requests"]["0"]) == {
        "discipline", "order_number"}

    # The queue's CSV, two requests a page, streamed: one row per pending request, IINs and Cyrillic intact.
    monkeypatch.setattr(rules, "EXPORT_PAGE", 2)
    extra = [accept_report(platform, students[1], university, "h50"), accept_report(platform, students[2], university, "h50")]
    wait_for_queue(platform, university, 4, status="pending")
    export = platform.http.get(f"{REQUESTS}.csv", params={"status": "pending"}, headers=headers)
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    text = export.content.decode("utf-8")
    assert text.startswith("\ufeffrequest_id;student_iin;student_name;") and text.count("\ufeff") == 1
    exported = {row[0]: row for row in csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";")}
    assert exported.pop("request_id") == list(rules.CSV_COLUMNS)
    pending = by_placement(wait_for_queue(platform, university, 4, status="pending"))
    x, y, z = b, pending[extra[0]]["id"], pending[extra[1]]["id"]
    assert set(exported) == {e, x, y, z}
    assert exported[e][1:3] == [IINS[4], NAMES[4]] and exported[e][11:] == [""] * 5
    assert platform.http.get(f"{REQUESTS}.csv", headers=platform.auth("student")).status_code == 403

    # Filled in with bad rows: every problem named by row and column, nothing applied.
    bad = filled(text, {e: ["confirm", "", "01.10.2026", "Practice", ""], x: ["reject", "", "", "", ""],
                        y: ["approve", "", "", "", ""]})
    bad += ";".join([elsewhere_id] + [""] * 10 + ["confirm", "12", "2026-10-01", "Practice", ""]) + "\r\n"
    bad += ";".join([a] + [""] * 10 + ["confirm", "12", "2026-13-01", "Practice", ""]) + "\r\n"
    refused = post_csv(platform, headers, bad)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    order = [row[0] for row in csv.reader(io.StringIO(bad.removeprefix("\ufeff")), delimiter=";")]
    row_of = {request_id: str(index + 1) for index, request_id in enumerate(order)}
    assert error["message"] == "5 row(s) of the file are wrong: nothing was applied"
    assert error["fields"]["rows"] == {
        row_of[e]: {"order_number": ["required to confirm"]}, row_of[x]: {"reason": ["required to reject"]},
        row_of[y]: {"decision": ["Must be one of: confirm, reject."]},
        row_of[elsewhere_id]: {"request_id": ["no such re-count request"]}, "7": {"order_date": ["Not a valid date."]}}
    assert wait_for_queue(platform, university, 4, status="pending")
    russian = post_csv(platform, {**headers, "Accept-Language": "ru"}, bad).json()["error"]
    assert russian["fields"]["rows"][row_of[x]] == {"reason": ["обязательно при отказе"]}

    # Corrected: applied, each row answered; a's row (confirmed already under this order) changes nothing.
    good = filled(text, {e: ["confirm", "No. 128-П", "01.10.2026", "Social practice", ""],
                         x: ["reject", "", "", "", "not our student"]})
    good += ";".join([a] + [""] * 10 + ["confirm", "No. 128-П", "2026-10-01", "Social practice", ""]) + "\r\n"
    applied = post_csv(platform, headers, good)
    assert applied.status_code == 200, applied.text
    summary = applied.json()
    assert (summary["confirmed"], summary["rejected"], summary["already_decided"], summary["skipped"]) == (1, 1, 1, 2)
    assert {(r["request_id"], r["status"], r["already_decided"]) for r in summary["results"]} == {
        (e, "confirmed", False), (x, "rejected", False), (a, "confirmed", True)}
    assert {i["id"] for i in wait_for_queue(platform, university, 2, status="pending")["items"]} == {y, z}
    assert post_csv(platform, headers, good).json()["already_decided"] == 3  # sent again: nothing new
    assert eventually(lambda: recounted(platform) == {a: 1, ids[second]: 1, c: 1, d: 1, e: 1})

    # Not a CSV: refused before anything is read.
    assert post_csv(platform, headers, good, "application/json").status_code == 415
    assert post_csv(platform, headers, "\xff\xfe".encode("latin-1") + "é".encode("utf-16-le")).status_code == 400
    assert post_csv(platform, headers, b"x" * (5 * 1024 * 1024)).status_code == 413
