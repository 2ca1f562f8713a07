"""The registrar in the browser: ticks two re-count requests and confirms them under one order, downloads
the queue as CSV, uploads it with a bad row (the problem shown by row and column, nothing applied), then
corrected (applied)."""
import csv
import io

from common.auth import ADMIN, REGISTRAR
from tests.credits.test_credits import accept_report, by_placement, new_id, wait_for_queue
from tests.portal.support import ok, staff

NAMES = ["Айгерім Сәрсенова", "Пётр Иванов", "Дәулет Омаров"]


def set_date(portal, name, value, within):
    element = portal.wait(lambda _: within.find_element("name", name))
    portal.driver.execute_script("arguments[0].value = arguments[1]", element, value)


def with_decision(export, request_id, cells):
    rows = list(csv.reader(io.StringIO(export.removeprefix("\ufeff")), delimiter=";"))
    for row in rows[1:]:
        if row[0] == request_id:
            row[11:] = cells
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return "\ufeff" + out.getvalue()


def test_registrar_confirms_the_selected_under_one_order_and_round_trips_the_csv(platform, portal, tmp_path):
    university = ok(platform.http.get("/api/v1/universities", headers=platform.auth(ADMIN)))[0]["id"]
    placements = [accept_report(platform, new_id(), university, "h20", name=name) for name in NAMES]
    requests = by_placement(wait_for_queue(platform, university, 3))
    first, second, third = (requests[placement]["id"] for placement in placements)
    registrar = staff(platform, REGISTRAR, "БЕКОВА АЛИЯ", university_id=university)

    portal.open("ru").sign_in(registrar)
    portal.go("recounts")
    for request_id in (first, second):
        portal.click("input.recount-select", within=portal.wait_for(f'#recounts tr[data-id="{request_id}"]'))
    portal.click(".recount-tools summary")
    bulk = portal.wait_for("form.recount-bulk")
    portal.fill("discipline", "Социальная практика", within=bulk)
    portal.fill("order_number", "128-П", within=bulk)
    set_date(portal, "order_date", "2026-10-01", bulk)
    portal.click("button[type=submit]", within=bulk)
    assert "Перезачтено: 2" in portal.wait_for("#recount-outcome .notice", "Перезачтено").text
    portal.wait_gone(f'#recounts tr[data-id="{first}"]')

    portal.click("#recount-csv")
    with open(portal.downloaded("recount-requests"), encoding="utf-8") as f:
        export = f.read()
    assert export.startswith("\ufeffrequest_id;") and NAMES[2] in export and NAMES[0] not in export

    upload = tmp_path / "decisions.csv"
    upload.write_text(with_decision(export, third, ["confirm", "", "01.10.2026", "Социальная практика", ""]),
                      encoding="utf-8")
    portal.driver.find_element("id", "recount-file").send_keys(str(upload))
    portal.click("#recount-import")
    problems = portal.wait_for("#recount-file-problems tr", "order_number")
    assert "2" in problems.text and "обязательно при подтверждении" in problems.text
    assert wait_for_queue(platform, university, 1, status="pending")["items"][0]["id"] == third
    portal.screenshot("registrar-csv-refused")

    upload.write_text(with_decision(export, third, ["confirm", "128-П", "01.10.2026", "Социальная практика", ""]),
                      encoding="utf-8")
    portal.driver.find_element("id", "recount-file").send_keys(str(upload))
    portal.click("#recount-import")
    assert "Перезачтено: 1" in portal.wait_for("#recount-outcome .notice", "Перезачтено").text
    assert wait_for_queue(platform, university, 0, status="pending")["total"] == 0
