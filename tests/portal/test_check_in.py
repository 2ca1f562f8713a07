"""Check-in at the site in the browser, on a phone, in Kazakh: the student types the code from the door's
screen to check in and out (a code of another site refused on the code's field); the coordinator's
screen renews its code every window, and a code two windows old is refused. The people's sessions are
put in the page as a sign-in leaves them (signing in by EDS has its own tests). The screen's screenshot
goes to tests/artifacts/portal/coordinator-check-in-screen.png (docs/screenshots/coordinator-check-in.png
comes from it)."""
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from common.auth import COORDINATOR, STUDENT
from tests.portal.browser import PHONE
from tests.portal.support import REGION, coordinator_headers, ok, place, student_headers

@pytest.fixture
def window_seconds():
    return 30


@pytest.fixture
def service_overrides(window_seconds):
    return {"timesheet": {"CHECKIN_WINDOW_SECONDS": window_seconds}}


def as_person(portal, platform, role, name, user_id=None, **scope):
    """The portal signed in as a new person with `role`, as /auth/login would leave its session."""
    token = platform.token(role, user_id=user_id, name=name, **scope)
    session = {"token": token, "refresh": None, "userId": user_id, "roles": [role], "scope": scope,
               "name": name, "role": role}
    portal.driver.execute_script("sessionStorage.setItem('sv.session', arguments[0])", json.dumps(session))
    portal.driver.refresh()
    portal.wait_for("#sign-out")


def check_in_page(portal, platform, placement):
    as_person(portal, platform, STUDENT, placement["student_name"], placement["student_id"], region=REGION)
    return portal.go("check-in")


def current_code(platform, site_id, organisation_id="org-door"):
    return ok(platform.http.get("/api/v1/attendance/code",
                                headers=coordinator_headers(platform, organisation_id, site_id)))


@pytest.fixture
def abroad(portal):
    """The browser in a time zone whose date is not Almaty's now, as a phone set to another zone: the
    portal's "today" must still be the platform's (Asia/Almaty), or today's check-in is not found."""
    now = dt.datetime.now(dt.timezone.utc)
    almaty = now.astimezone(ZoneInfo("Asia/Almaty")).date()
    zone = next(zone for zone in ("Pacific/Honolulu", "Pacific/Kiritimati")  # a day apart: one of them differs
                if now.astimezone(ZoneInfo(zone)).date() != almaty)
    portal.driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": zone})
    yield portal
    portal.driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ""})


def test_a_student_checks_in_and_out_by_typing_the_code(platform, abroad):
    portal = abroad
    placement = place(platform, "site-door", "Айгерім Сәрсенова", "org-door")
    portal.open("kk", size=PHONE, test_signer=False)
    page = check_in_page(portal, platform, placement)
    assert "QR-кодты сканерлеңіз" in page.text

    # another site's code: refused on the code's field, in Kazakh; nothing recorded
    portal.fill("code", current_code(platform, "site-other")["short_code"])
    portal.click("#check-in-form button[type=submit]", "Келуді белгілеу")
    assert portal.field_error("code") == "белгісіз код: экранмен салыстырыңыз"

    code = current_code(platform, "site-door")["short_code"]
    portal.fill("code", f"{code[:3].lower()} {code[3:]}")
    portal.click("#check-in-form button[type=submit]", "Келуді белгілеу")
    portal.wait_for(".page .notice.success", "белгіленді")
    portal.wait_for("#check-in-form button[type=submit]", "Кетуді белгілеу")
    portal.screenshot("student-check-in-kk")

    portal.fill("code", code)
    portal.click("#check-in-form button[type=submit]", "Кетуді белгілеу")
    portal.wait_for(".page .notice.success", "Кету белгіленді")
    attendance = ok(platform.http.get("/api/v1/attendance", headers=student_headers(platform, placement)))["items"]
    assert [(a["status"], a["checked_in_with"], a["checked_out_with"]) for a in attendance] == \
        [("awaiting", "screen", "screen")]


@pytest.mark.parametrize("window_seconds", [5])
def test_the_coordinators_screen_renews_its_code_and_an_old_one_is_refused(platform, portal, window_seconds):
    placement = place(platform, "site-door", "Данияр Қасымов", "org-door")
    portal.open("kk", size=PHONE, test_signer=False)
    as_person(portal, platform, COORDINATOR, "СЕЙТКАЛИЕВ БОЛАТ", site_id="site-door",
              organisation_id="org-door", region=REGION)
    screen = portal.go("check-in")
    assert "«Белгілену» бөлімін ашып" in screen.text
    qr = portal.wait_for("#check-in-qr")
    portal.wait(lambda _: (qr.get_attribute("src") or "").startswith("data:image/svg+xml"))  # drawn once fetched
    shown = lambda _: portal.driver.find_element("id", "check-in-short").get_attribute("data-code")  # noqa: E731
    first = portal.wait(shown)
    assert portal.text("#check-in-short") == f"{first[:3]} {first[3:]}"
    portal.screenshot("coordinator-check-in-screen")  # docs/screenshots/coordinator-check-in.png

    # the code changes with each window; two windows on, the first is past its grace
    second = portal.wait(lambda d: shown(d) not in (None, first) and shown(d), timeout=6 * window_seconds)
    third = portal.wait(lambda d: shown(d) not in (None, first, second) and shown(d), timeout=6 * window_seconds)
    assert ok(platform.http.post("/api/v1/attendance/by-code", headers=student_headers(platform, placement),
                                 json={"code": third, "action": "check_in"}))["status"] == "open"

    check_in_page(portal, platform, placement)
    portal.fill("code", first)
    portal.click("#check-in-form button[type=submit]", "Кетуді белгілеу")
    assert portal.field_error("code") == "мерзімі өтті"
    assert ok(platform.http.get("/api/v1/attendance", headers=student_headers(platform, placement)))["items"][0][
        "status"] == "open"
