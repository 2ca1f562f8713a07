"""Coverage on its own (`service`): events in, the Ministry's figures out — by region × direction, per ISO
week, as CSV and as an Excel workbook — the same when events come twice or out of order, and only for
those who may read them. The helpers take the `platform` too."""
import csv
import datetime as dt
import io
import uuid
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import func, select

from common.contracts.credits import CREDITS_RECOUNTED
from common.contracts.payments import PAYOUT_PAID
from common.contracts.placement import PLACEMENT_STARTED
from common.contracts.registry import STUDENT_REGISTERED
from common.contracts.timesheet import HOURS_COMPLETED, REPORT_ACCEPTED, REPORT_SUBMITTED
from services.coverage.models import Fact, ProcessedEvent
from tests.harness import eventually

COVERAGE = "/api/v1/coverage"
ASTANA, ALMATY = "KZ-71", "KZ-75"


def at(day):
    return dt.datetime.fromisoformat(f"{day}T06:00:00+00:00")


def new_id():
    return uuid.uuid4().hex


def register(platform, student_id, region, day):
    platform.publish(STUDENT_REGISTERED, {"student_id": student_id, "full_name": "Student", "university_id": "u1",
                                          "region": region}, occurred_at=at(day))


def place(platform, placement_id, student_id, region, direction, voucher_kind, day):
    platform.publish(PLACEMENT_STARTED, {
        "placement_id": placement_id, "student_id": student_id, "student_name": "Student", "university_id": "u1",
        "project_id": "p1", "project_title": "Project", "direction": direction, "site_id": "s1",
        "site_name": "Site", "organisation_id": "o1", "organisation_name": "Organisation", "region": region,
        "voucher_kind": voucher_kind, "hours_required": 20, "starts_on": "2026-09-01", "ends_on": "2026-12-01",
    }, occurred_at=at(day))


def paid(placement_id, region, amount):
    return {"payout_id": new_id(), "key": f"{placement_id}/h20", "placement_id": placement_id, "student_id": "x",
            "region": region, "voucher_kind": "h20", "amount_kzt": amount}


def get(platform, path, headers, **params):
    return platform.http.get(path, headers=headers, params={"year": 2026, **params})


def figures(document):
    return {name: value for name, value in document.items() if name not in ("region", "region_name", "directions",
                                                                           "direction", "direction_name")}


def publish_a_season(platform):
    """Three students registered in 2026 (one more in 2025), three placements, one voucher done to the end;
    one payout arrives before its placement, and one is published twice under two ids and redelivered."""
    s1, s2, s3, s4 = (new_id() for _ in range(4))
    register(platform, s1, ASTANA, "2026-09-01")
    register(platform, s2, ASTANA, "2026-09-02")
    register(platform, s3, ALMATY, "2026-09-08")
    register(platform, s4, ALMATY, "2025-12-20")
    p1, p2, p3 = new_id(), new_id(), new_id()
    platform.publish(PAYOUT_PAID, paid(p3, ALMATY, 20_000), occurred_at=at("2026-09-23"))
    eventually(lambda: count(platform, Fact) == 1)
    place(platform, p1, s1, ASTANA, "tutoring", "h20", "2026-09-08")
    place(platform, p2, s1, ASTANA, "elderly_care", "h50", "2026-09-15")
    place(platform, p3, s3, ALMATY, "tutoring", "h20", "2026-09-15")
    platform.publish(HOURS_COMPLETED, {"placement_id": p1, "student_id": s1, "voucher_kind": "h20", "hours": "20"},
                     occurred_at=at("2026-09-20"))
    platform.publish(REPORT_SUBMITTED, {"report_id": "r1", "placement_id": p1, "student_id": s1, "region": ASTANA,
                                        "organisation_id": "o1", "site_id": "s1", "voucher_kind": "h20",
                                        "hours": "21.5"}, occurred_at=at("2026-09-21"))
    platform.publish(REPORT_ACCEPTED, {
        "report_id": "r1", "placement_id": p1, "student_id": s1, "student_name": "Student", "university_id": "u1",
        "region": ASTANA, "organisation_id": "o1", "organisation_name": "Organisation", "site_id": "s1",
        "site_name": "Site", "direction": "tutoring", "voucher_kind": "h20", "hours": "21.5",
        "accepted_at": "2026-09-22T06:00:00+00:00", "accepted_by": "op"}, occurred_at=at("2026-09-22"))
    payout = paid(p1, ASTANA, 20_000)
    first = new_id()
    platform.publish(PAYOUT_PAID, payout, event_id=first, occurred_at=at("2026-09-23"))
    platform.publish(PAYOUT_PAID, payout, event_id=first, occurred_at=at("2026-09-23"))  # redelivered
    platform.publish(PAYOUT_PAID, payout, occurred_at=at("2026-09-23"))
    platform.publish(CREDITS_RECOUNTED, {"request_id": "rq1", "placement_id": p1, "student_id": s1,
                                         "university_id": "u1", "credits": 2, "total_credits": 2},
                     occurred_at=at("2026-09-28"))
    return 14  # distinct event ids published


def count(platform, model):
    with platform.session("coverage") as session:
        return session.scalar(select(func.count()).select_from(model))


NATIONAL = {"students_registered": 3, "students_placed": 2, "placements": 3, "hours_done": "21.50",
            "reports_accepted": 1, "paid_kzt": 40_000, "credits_recounted": 2}


def test_events_in_figures_out_by_region_direction_and_week(service):
    ministry = service.auth("ministry")
    distinct_events = publish_a_season(service)
    eventually(lambda: count(service, ProcessedEvent) == distinct_events)
    document = eventually(lambda: (d := get(service, COVERAGE, ministry).json())["totals"] == NATIONAL and d)

    assert document["target_students"] == 50_000 and document["target_percent"] == "0.00"
    assert len(document["regions"]) == 20
    astana = next(r for r in document["regions"] if r["region"] == ASTANA)
    assert figures(astana) == {"students_registered": 2, "students_placed": 1, "placements": 2,
                               "hours_done": "21.50", "reports_accepted": 1, "paid_kzt": 20_000,
                               "credits_recounted": 2}
    cells = {c["direction"]: c for c in astana["directions"]}
    assert len(cells) == 5 and cells["tutoring"]["students_registered"] is None
    assert (cells["tutoring"]["placements"], cells["elderly_care"]["placements"]) == (1, 1)
    assert cells["tutoring"]["direction_name"] == "Репетиторство для детей"

    tutoring = get(service, COVERAGE, ministry, direction="tutoring").json()["totals"]
    assert tutoring["students_registered"] is None and tutoring["placements"] == 2
    assert tutoring["paid_kzt"] == 40_000
    assert get(service, COVERAGE, ministry, year=2025).json()["totals"]["students_registered"] == 1

    weeks = get(service, COVERAGE + "/weekly", ministry).json()["items"]
    assert [(w["week"], w["students_registered"], w["students_placed"], w["placements"],
             w["students_placed_to_date"]) for w in weeks] == [
        ("2026-W36", 2, 0, 0, 0), ("2026-W37", 1, 1, 1, 1), ("2026-W38", 0, 1, 2, 2), ("2026-W39", 0, 0, 0, 2),
        ("2026-W40", 0, 0, 0, 2)]
    assert weeks[0]["week_start"] == "2026-08-31"
    assert (weeks[2]["hours_done"], weeks[3]["reports_accepted"], weeks[3]["paid_kzt"],
            weeks[4]["credits_recounted"]) == ("21.50", 1, 40_000, 2)

    download = get(service, COVERAGE + ".csv", ministry)
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
    assert 'filename="coverage-2026.csv"' in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert len(rows) == 20 * 6 + 1
    row = next(r for r in rows if r["region"] == ASTANA and r["direction"] == "tutoring")
    assert (row["placements"], row["hours_done"], row["paid_kzt"], row["students_registered"]) == ("1", "21.50",
                                                                                                    "20000", "")
    assert rows[-1]["region_name"] == "Итого" and rows[-1]["paid_kzt"] == "40000"

    workbook = download_workbook(service, ministry, 'filename="coverage-2026.xlsx"')
    assert workbook_figures(workbook) == json_figures(document)
    assert workbook_weeks(workbook) == json_weeks(weeks)
    tutoring_only = download_workbook(service, ministry, "coverage-2026.xlsx", direction="tutoring")
    assert workbook_figures(tutoring_only) == json_figures(get(service, COVERAGE, ministry,
                                                               direction="tutoring").json())


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_workbook(platform, headers, filename, **params):
    download = get(platform, COVERAGE + ".xlsx", headers, **params)
    assert download.status_code == 200 and download.headers["Content-Type"] == XLSX_TYPE
    assert filename in download.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(download.content))


def json_figures(document):
    """The coverage document's figures per (region, direction) row as the table lists them (None: a
    region's own row; the total's region is None too), in its order."""
    rows = []
    for region in document["regions"]:
        rows.append(((region["region"], None), figures(region)))
        rows += [((region["region"], cell["direction"]), figures(cell)) for cell in region["directions"]]
    rows.append(((None, None), document["totals"]))
    return [(key, {name: as_number(value) for name, value in values.items()}) for key, values in rows]


def workbook_figures(workbook):
    """The workbook's coverage sheet the same way, each figure a number as Excel holds it."""
    header, *table = workbook["Coverage"].iter_rows(values_only=True)
    rows = [dict(zip(header, row)) for row in table]
    for row in rows:
        assert all(row[name] is None or isinstance(row[name], (int, float)) for name in NATIONAL), row
    return [((row["region"], row["direction"]), {name: as_number(row[name]) for name in NATIONAL}) for row in rows]


def json_weeks(items):
    return [(w["week"], dt.date.fromisoformat(w["week_start"]),
             {name: as_number(w[name]) for name in (*NATIONAL, "students_placed_to_date", "target_percent_to_date")})
            for w in items]


def workbook_weeks(workbook):
    header, *table = workbook["Weekly"].iter_rows(values_only=True)
    rows = [dict(zip(header, row)) for row in table]
    return [(row["week"], row["week_start"].date(),
             {name: as_number(row[name]) for name in (*NATIONAL, "students_placed_to_date", "target_percent_to_date")})
            for row in rows]


def as_number(value):
    """A figure from JSON (decimals as text) or from Excel (int or float), compared as a decimal."""
    return None if value is None else Decimal(str(value)).normalize()


def test_who_may_read_coverage(service):
    distinct_events = publish_a_season(service)
    eventually(lambda: count(service, ProcessedEvent) == distinct_events)
    assert get(service, COVERAGE, service.auth("admin")).json()["totals"] == NATIONAL

    officer = service.auth("mio_officer", region=ALMATY)
    own = get(service, COVERAGE, officer).json()
    assert own["region"] == ALMATY and [r["region"] for r in own["regions"]] == [ALMATY]
    assert own["totals"]["placements"] == 1 and own["totals"]["paid_kzt"] == 20_000
    assert get(service, COVERAGE + "/weekly", service.auth("nvs_officer", region=ALMATY)).status_code == 200
    assert get(service, COVERAGE + ".csv", officer).headers["Content-Disposition"].endswith('-KZ-75.csv"')
    own_workbook = download_workbook(service, officer, 'coverage-2026-KZ-75.xlsx"')
    assert workbook_figures(own_workbook) == json_figures(own)
    for path in (COVERAGE, COVERAGE + "/weekly", COVERAGE + ".csv", COVERAGE + ".xlsx"):
        assert get(service, path, officer, region=ASTANA).status_code == 403
        assert get(service, path, service.auth("nvs_officer")).status_code == 403
        for role in ("student", "operator", "coordinator", "registrar"):
            assert get(service, path, service.auth(role, region=ASTANA)).status_code == 403
        assert get(service, path, None).status_code == 401  # no token
    bad = get(service, COVERAGE, service.auth("ministry"), region="KZ-00", year=1990)
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"region", "year"}
