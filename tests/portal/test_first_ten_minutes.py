"""The first ten minutes of a newcomer, in the browser, on a platform in demo mode: the demo data as
`./platform start` seeds it, every signature made by the portal's demo signer and verified by the
registry as any other. A new demo student registers, the registrar of ENU confirms their enrolment, the
student applies and books an interview; the demo
coordinator accepts them, logs the hours and submits the report once the student confirmed them; the
Operator accepts it, the bank (the simulator) pays, the registrar re-counts the credits and the student
downloads the certificate. Screenshots of each step go to tests/artifacts/portal/walk-*.png (the
README's, docs/screenshots/, come from them)."""
import datetime as dt

import pytest

from common.auth import OPERATOR
from ops.demo import PROJECTS, DemoAuthority, Seeder
from services.registry.repository import bootstrap_admin
from tests.harness import eventually
from tests.portal.support import ok
from tests.registry.pki import session_config

PROJECT = PROJECTS["coordinator"][0]["title"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return DemoAuthority(str(tmp_path_factory.mktemp("demo")))


@pytest.fixture
def service_overrides(demo):
    """The registry trusts the demo CA as a test CA (beside the suite's own PKIs); the gateway is in demo mode."""
    config = session_config()
    return {"registry": {"EDS_TEST_TRUST_STORE": [demo.pki.trust_store_path],
                         "EDS_CRL_FILE": config["EDS_CRL_FILE"] + [demo.pki.crl_path]},
            "gateway": {"DEMO_MODE": "1", "DEMO_FOLDER": demo.folder}}


def seeded(platform, demo):
    with platform.session("registry") as session, session.begin():
        bootstrap_admin(session, demo.person("admin")["iin"], demo.person("admin")["name"])
    Seeder(demo, platform.base_url).seed()


def sign_in_as(portal, key, language="ru"):
    portal.open(language, test_signer=False)
    portal.click("#eds-sign-in")
    portal.click(f'#demo-signer button.demo-person[data-key="{key}"]')
    portal.wait_for("#sign-out")


def set_date(portal, name, value, within):
    element = portal.wait(lambda _: within.find_element("name", name))
    portal.driver.execute_script("arguments[0].value = arguments[1]", element, value)


def test_a_newcomer_walks_the_whole_student_path_with_the_demo_people(platform, portal, demo):
    seeded(platform, demo)
    health = ok(platform.http.get("/api/v1/health"))
    assert health["demo"] is True

    # a new demo student registers at ENU with a fresh demo key
    portal.open("ru", test_signer=False)
    assert "ДЕМО-РЕЖИМ" in portal.text("#demo-banner")
    portal.screenshot("walk-01-demo-mode")
    portal.click("#eds-sign-in")
    picker = portal.wait_for("#demo-signer")
    assert "СЕЙТКАЛИЕВ БОЛАТ" in picker.text and "ОМАРОВ ЕРЛАН" not in picker.text  # heads sign applications
    portal.screenshot("walk-02-demo-signer")
    portal.click("#demo-new-student")
    portal.wait_for(".hero .form-status", "нет учётной записи")
    universities = ok(platform.http.get("/api/v1/universities", params={"region": "KZ-71"}))
    enu = next(u for u in universities if u["code"] == "ENU")
    form = portal.wait_for("#register-form")
    portal.fill("region", "KZ-71", within=form)
    portal.fill("university_id", enu["id"], within=form)
    portal.fill("phone", "+77011112233", within=form)
    portal.fill("email", "new.student@demo.example.kz", within=form)
    portal.click("button[type=submit]", within=form)
    portal.click('#demo-signer button.demo-person[data-key="new-student-1"]')
    portal.wait_for("#sign-out")
    assert portal.text(".who-name") == "ДЕМО СТУДЕНТ 1"
    portal.wait_for(".notice", "ещё не подтвердил")  # browses; applies once ENU confirms the enrolment

    # the registrar of ENU confirms that the new student studies there
    sign_in_as(portal, "registrar")
    portal.go("enrolments")
    row = portal.wait_for("#enrolments tr", "ДЕМО СТУДЕНТ 1")
    portal.click("button.confirm", within=row)
    portal.wait_gone("#enrolments button.confirm")
    student_id = ok(platform.http.post("/api/v1/auth/login", json=signed(platform, demo.folder, "new-student-1")))[
        "user_id"]
    platform.wait_for_enrolment(student_id, "confirmed")

    # finds the demo school's project, applies and books the first interview slot
    sign_in_as(portal, "new-student-1")
    portal.go("projects")
    card = portal.wait_for("article.project", PROJECT)
    assert "Школа-гимназия № 12" in card.text
    portal.click("button.apply", within=card)
    portal.fill("motivation", "I tutor my younger brother in maths.", within=card)
    portal.click("button[type=submit]", within=card)
    portal.click("a.button", within=card)
    application = portal.wait_for("article.application")
    portal.click("button.primary", within=application)
    portal.click("button.slot", within=application)
    assert "Собеседование" in portal.wait_for("article.application p.interview").text
    portal.screenshot("walk-03-student-interview-booked")

    # the demo coordinator accepts the student after the interview and logs 20 hours over three days
    sign_in_as(portal, "coordinator")
    portal.go("applicants")
    row = portal.wait_for("#applicants tr", "ДЕМО СТУДЕНТ 1")
    portal.click("button.accept", within=row)
    portal.wait_for("#applicants tr", "Принят")
    portal.screenshot("walk-04-coordinator-accepted")
    today = dt.date.today()
    for days_ago, hours in ((2, "8"), (1, "8"), (0, "4")):
        portal.go("attendance")
        sheet = portal.wait_for("#attendance-sheet")
        set_date(portal, "work_date", (today - dt.timedelta(days=days_ago)).isoformat(), sheet)
        portal.fill("rows.0.hours", hours, within=sheet)
        portal.click("button[type=submit]", within=sheet)
        portal.wait_for("#attendance-summary", "Учтено: 1, отклонено: 0.")
    portal.screenshot("walk-05-coordinator-hours")

    # the student confirms the hours and gives the card account's IBAN for the payout
    sign_in_as(portal, "new-student-1")
    portal.go("hours")
    for remaining in (3, 2, 1):
        portal.wait(lambda d, n=remaining: len(d.find_elements("css selector", "button.confirm")) == n)
        portal.click("button.confirm")
    portal.wait(lambda d: not d.find_elements("css selector", "button.confirm"))
    portal.screenshot("walk-06-student-confirmed")
    portal.go("payouts")
    details = portal.wait_for("#payout-details-form")
    portal.fill("iban", "KZ86125KZT5004100100", within=details)
    portal.fill("iin", DemoAuthority(demo.folder).person("new-student-1")["iin"], within=details)
    portal.fill("holder_name", "DEMO STUDENT", within=details)
    portal.click("button[type=submit]", within=details)
    portal.click('#demo-signer button.demo-person[data-key="new-student-1"]')  # the step-up: signed with EDS
    portal.wait_for("#payout-details", "0100")

    # the coordinator submits the completion report
    sign_in_as(portal, "coordinator")
    portal.go("reports")
    portal.click("button.submit-report")
    portal.click('#demo-signer button.demo-person[data-key="coordinator"]')  # signed with EDS
    portal.wait_gone("button.submit-report")

    # the Operator accepts it; the bank pays
    sign_in_as(portal, "operator")
    row = portal.wait_for("#report-queue tr", "ДЕМО СТУДЕНТ 1")
    portal.screenshot("walk-07-operator-queue")
    portal.click("button.accept", within=row)
    portal.wait_for("#report-queue .empty")

    def paid():
        payouts = ok(platform.http.get("/api/v1/payouts", headers=platform.auth(OPERATOR)))["items"]
        return payouts if payouts and payouts[0]["status"] == "paid" else None
    assert eventually(paid, timeout=30)[0]["amount_kzt"] == 20_000
    portal.go("payouts")
    portal.wait_for("#payouts tr", "Выплачена")
    portal.screenshot("walk-08-operator-paid")

    # the registrar of ENU re-counts the credits
    sign_in_as(portal, "registrar")

    def request_row():
        portal.go("recounts")
        return portal.wait_for("#recounts tr", "ДЕМО СТУДЕНТ 1")
    row = eventually(request_row, timeout=30)
    portal.click("button.secondary", "Перезачесть", within=row)
    portal.fill("discipline", "Social practice", within=row)
    portal.fill("order_number", "42-СВ", within=row)
    set_date(portal, "order_date", today.isoformat(), row)
    portal.click("button[type=submit]", within=row)
    portal.wait_gone("#recounts button.secondary")
    portal.screenshot("walk-09-registrar-confirmed")

    # the student sees the credits and downloads the certificate
    sign_in_as(portal, "new-student-1")
    portal.go("credits")
    portal.wait_for("#credits-total", "2")
    portal.click("#certificate")
    with open(portal.downloaded("certificate"), "rb") as f:
        assert f.read(5) == b"%PDF-"
    portal.screenshot("walk-10-student-credits")
    token = ok(platform.http.post("/api/v1/auth/login", json=signed(platform, demo.folder, "new-student-1")))
    me = {"Authorization": f"Bearer {token['access_token']}"}
    assert ok(platform.http.get("/api/v1/students/me/credits", headers=me))["total_credits"] == 2

    # the Ministry's dashboard, for the README
    sign_in_as(portal, "ministry")
    portal.wait_for("#coverage-downloads")
    portal.screenshot("walk-11-ministry-dashboard")


def signed(platform, folder, key):
    """A sign-in body signed by the demo person `key` as the gateway's demo signer keeps them."""
    challenge = ok(platform.http.post("/api/v1/auth/challenge"), 201)
    return {"nonce": challenge["nonce"],
            "signature": DemoAuthority(folder).sign(key, challenge["data_to_sign"].encode("utf-8"))}
