"""The Ministry's coverage dashboard in the browser shows exactly the coverage API's figures: the
totals, a bar per region, the line over the weeks, the table, and the same CSV; the XLSX is offered
beside it."""
import re
import uuid
from decimal import Decimal

from common.auth import MINISTRY
from common.contracts.registry import STUDENT_REGISTERED
from tests.harness import eventually
from tests.portal.support import ok, place, staff

METRICS = ("students_registered", "students_placed", "placements", "hours_done", "reports_accepted", "paid_kzt",
           "credits_recounted")
STUDENTS = (("KZ-71", "Айгерім Сәрсенова"), ("KZ-71", "Данияр Қасымов"), ("KZ-75", "Мария Ким"))


def shown_number(text):
    """A figure as the page formats it (digit groups with spaces, a decimal comma, a currency sign)."""
    return Decimal(re.sub(r"[^\d,.-]", "", text).replace(",", "."))


def test_dashboard_numbers_match_the_coverage_api(platform, portal):
    year = None
    for region, name in STUDENTS:
        envelope = platform.publish(STUDENT_REGISTERED, {"student_id": uuid.uuid4().hex, "full_name": name,
                                                         "university_id": "enu", "region": region})
        year = envelope["occurred_at"][:4]
    place(platform, "site-astana", "Айгерім Сәрсенова", "org-astana", region="KZ-71")
    place(platform, "site-almaty", "Мария Ким", "org-almaty", kind="h50", region="KZ-75")
    ministry_api = platform.auth(MINISTRY)

    def counted():
        coverage = ok(platform.http.get("/api/v1/coverage", params={"year": year}, headers=ministry_api))
        return coverage if (coverage["totals"]["students_registered"], coverage["totals"]["placements"]) == (3, 2) \
            else None
    coverage = eventually(counted)
    weekly = ok(platform.http.get("/api/v1/coverage/weekly", params={"year": year}, headers=ministry_api))
    csv = platform.http.get("/api/v1/coverage.csv", params={"year": year}, headers=ministry_api)

    portal.open("ru").sign_in(staff(platform, MINISTRY, "ЖАКУПОВ АСКАР"))
    filters = portal.wait_for("#coverage-filters")
    portal.fill("year", year, within=filters)
    portal.click("button[type=submit]", within=filters)
    expected = {metric: Decimal(str(coverage["totals"][metric])) for metric in METRICS}

    def figures_shown():
        return {metric: shown_number(portal.text(f'.kpi[data-metric="{metric}"] .kpi-value')) for metric in METRICS}
    shown = portal.wait(lambda _: figures_shown() == expected and figures_shown())
    target = re.match(r"[\d,]+", portal.text("#coverage-target")).group()
    assert shown_number(target) == Decimal(coverage["target_percent"])
    assert shown["students_registered"] == 3 and shown["placements"] == 2

    bars = {bar.get_attribute("data-key"): Decimal(bar.get_attribute("data-value"))
            for bar in portal.driver.find_elements("css selector", "#region-chart g.bar")}
    assert bars == {region["region"]: Decimal(region["students_placed"]) for region in coverage["regions"]}
    assert bars["KZ-71"] == 1 and bars["KZ-75"] == 1

    points = [(point.get_attribute("data-key"), int(point.get_attribute("data-value")))
              for point in portal.driver.find_elements("css selector", "#week-chart g.point")]
    assert points == [(week["week"], week["students_placed_to_date"]) for week in weekly["items"]]
    rows = portal.driver.find_elements("css selector", "#coverage tbody tr")
    assert [row.get_attribute("data-id") for row in rows] == [region["region"] for region in coverage["regions"]]
    portal.screenshot("ministry-dashboard")

    assert portal.text("#coverage-downloads #coverage-xlsx") == "Скачать XLSX"  # its content: tests/coverage
    portal.click("#coverage-csv")
    with open(portal.downloaded(f"coverage-{year}"), "rb") as f:
        assert f.read() == csv.content
