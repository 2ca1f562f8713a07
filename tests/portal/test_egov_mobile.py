"""Signing in with eGov Mobile by QR, in the browser at phone size in Kazakh: the portal shows the QR
and the button that opens the app on this phone, polls, and signs the student in once the app (the
client of tests/registry/egov_mobile.py) has signed. The screenshot of the QR is docs/screenshots/'s."""
from tests.portal.browser import PHONE
from tests.registry.egov_mobile import EgovMobile
from tests.registry.pki import make_user, register_student


def test_a_student_signs_in_on_the_phone_with_egov_mobile(platform, portal):
    student = make_user(name="СЕРИКОВА АЙЖАН БОЛАТОВНА")
    university = platform.http.get("/api/v1/universities").json()[0]["id"]
    assert register_student(platform.http, student, university, "KZ-71").status_code == 201

    portal.open("kk", size=PHONE)
    assert portal.text("#egov-sign-in") == "eGov Mobile арқылы кіру"
    portal.click("#egov-sign-in")
    qr = portal.wait_for("#egov-qr")
    assert portal.text("#egov-status") == "eGov Mobile-дағы қолтаңбаны күтудеміз…"
    app_link = portal.wait_for("#egov-app-link")  # on a phone: the app opens on the same device
    assert app_link.text == "eGov Mobile ашу"
    assert app_link.get_attribute("href").startswith("https://mgovsign.page.link/?link=")
    assert portal.driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", qr) > 100
    assert qr.size["width"] >= 200  # drawn: the SVG loaded as an image, shown large enough to scan
    portal.screenshot("egov-mobile-sign-in")

    answered = EgovMobile(student).sign(qr.get_attribute("data-content"))
    assert answered.status_code == 200, answered.text
    portal.wait_for("#sign-out")  # the page polled, saw the signature and signed in with it
    portal.wait_gone("#egov-mobile")
    assert "СЕРИКОВА" in portal.text(".who-name")
