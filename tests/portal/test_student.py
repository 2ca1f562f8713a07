"""A student in the browser: from EDS sign-in (first registration) to a booked interview, after the
region's MIO officer accredited the organisation in the same portal; then the student's bell tells of
the interview in Kazakh and is cleared by marking its notifications read. A student registered before
the accession agreement existed signs it at the next sign-in."""
from sqlalchemy import delete, select

from common.auth import COORDINATOR, MIO_OFFICER
from services.registry import agreements
from services.registry.models import AgreementSignature, Student
from tests.harness import eventually
from tests.portal.browser import PHONE
from tests.portal.support import (REGION, apply_organisation, ok, publish_project, signed_in, staff,
                                  wait_until_placement_knows_site)
from tests.registry.pki import make_user, register_student


def test_officer_accredits_then_a_student_registers_finds_a_project_and_books_an_interview(platform, portal):
    organisation = apply_organisation(platform)
    site_id = organisation["sites"][0]["id"]

    # the region's MIO officer accredits the organisation in the portal
    officer = staff(platform, MIO_OFFICER, "АХМЕТОВА ДИНА", region=REGION)
    portal.open("ru").sign_in(officer)
    row = portal.wait_for(f'tr[data-id="{organisation["id"]}"]')
    assert "School No. 12" in row.text and "Ждёт аккредитации" in row.text
    portal.click("button.accredit", within=row)
    portal.wait_gone(f'tr[data-id="{organisation["id"]}"]')
    assert ok(platform.http.get(f"/api/v1/organisations/{organisation['id']}",
                                headers=platform.auth(MIO_OFFICER, region=REGION)))["status"] == "accredited"
    wait_until_placement_knows_site(platform, site_id)

    # its site coordinator publishes two projects with interview slots
    coordinator = staff(platform, COORDINATOR, "СЕЙТКАЛИЕВ БОЛАТ", organisation_id=organisation["id"], site_id=site_id)
    headers = signed_in(platform, coordinator)
    tutoring = publish_project(platform, headers)
    publish_project(platform, headers, title="Inclusive classroom helper", direction="inclusive_education",
                    description="Support children with special needs during lessons.")

    # a student, on a phone, in Kazakh: no account yet, so registers with the same EDS
    student = make_user(name="СЕРИКОВА АЙЖАН БОЛАТОВНА")
    portal.open("kk", size=PHONE)
    assert portal.text("#eds-sign-in") == "ЭЦҚ арқылы кіру"
    portal.click("#eds-sign-in")
    portal.sign_pending(student)
    portal.wait_for(".hero .form-status", "есептік жазба жоқ")

    universities = ok(platform.http.get("/api/v1/universities", params={"region": REGION}))
    form = portal.wait_for("#register-form")
    portal.fill("region", REGION, within=form)
    portal.fill("university_id", universities[0]["id"], within=form)
    portal.fill("phone", "12345", within=form)
    portal.fill("email", "aizhan@example.kz", within=form)
    portal.click("button[type=submit]", within=form)
    portal.sign_pending(student)
    assert portal.field_error("phone", within=form) == "мән пішімге сәйкес емес"  # the API's own words, in Kazakh
    assert portal.wait_for('[data-field="phone"].invalid')
    portal.fill("phone", "+77011112233", within=form)
    portal.click("button[type=submit]", within=form)
    portal.sign_pending(student)
    portal.wait_for("#sign-out")
    assert portal.text(".who-name") == "СЕРИКОВА АЙЖАН БОЛАТОВНА"
    with platform.session("registry") as session:  # the university's registrar confirms the new student
        student_id = session.scalar(select(Student.id).where(Student.iin == student.iin))
    platform.confirm_enrolment(student_id, universities[0]["id"])
    portal.go("profile")
    portal.wait_for("#enrolment", "Расталды")
    portal.go("projects")

    # searches the projects by direction and applies to the tutoring one, then books the first slot
    portal.click("details.filters-box > summary")  # folded on a phone
    filters = portal.wait_for("#project-filters")
    portal.fill("direction", "tutoring", within=filters)
    portal.click("button[type=submit]", within=filters)
    card = portal.wait_for(f'article.project[data-id="{tutoring["id"]}"]')
    portal.wait(lambda _: len(portal.driver.find_elements("css selector", "article.project")) == 1)
    assert "3 орынның 3 бос" in card.text
    portal.screenshot("student-projects-phone")
    portal.click("button.apply", within=card)
    portal.fill("motivation", "I tutor my younger brother in maths.", within=card)
    portal.click("button[type=submit]", within=card)
    portal.click("a.button", within=card)

    application = portal.wait_for("article.application")
    assert "Maths tutoring for fifth grade" in application.text and "Берілді" in application.text
    portal.click("button.primary", within=application)
    portal.click("button.slot", within=application)
    booked = portal.wait_for("article.application p.interview")
    assert "Сұхбат:" in booked.text
    assert "жылғы" in booked.text and "10:00" in booked.text  # spelled in Kazakh, in Almaty's time (05:00 UTC)
    portal.screenshot("student-interview-booked-phone")

    me = signed_in(platform, student)
    applications = ok(platform.http.get("/api/v1/applications", headers=me))["items"]
    assert len(applications) == 1
    assert applications[0]["project_id"] == tutoring["id"]
    assert applications[0]["motivation"] == "I tutor my younger brother in maths."
    slots = ok(platform.http.get(f"/api/v1/projects/{tutoring['id']}/slots", headers=headers))["items"]
    assert [slot["application_id"] for slot in slots if slot["booked"]] == [applications[0]["id"]]
    assert applications[0]["interview"]["id"] == sorted(slots, key=lambda s: s["starts_at"])[0]["id"]

    # the interview's events reach the student's bell, in the language the student registered in
    def bell_matches_api():
        unread = ok(platform.http.get("/api/v1/notifications/unread-count", headers=me))["unread"]
        for page in ("profile", "applications"):  # the bell asks the API again on each page it is drawn on
            portal.go(page)
        return unread if unread == 2 and portal.wait_for("#bell").text == "2" else None
    eventually(bell_matches_api)
    portal.click("#bell")
    panel = portal.wait_for("#notifications")

    def unread(_):  # read again if the bell's refresh draws the list anew meanwhile
        items = panel.find_elements("css selector", "li.unread")
        return [(item.find_element("css selector", "strong").text, item.text) for item in items] or None
    items = portal.wait(unread)
    assert [title for title, _ in items] == ["Сұхбат белгіленді", "Сұхбатқа жазылыңыз"]  # newest first
    assert "«Maths tutoring for fifth grade» жобасы бойынша сұхбатыңыз" in items[0][1]
    portal.screenshot("student-notifications-phone")
    portal.click("#notifications li.unread button.link")
    portal.wait_for("#unread-count", "1")
    portal.click("#notifications li.unread button.link")
    portal.wait(lambda d: not d.find_element("id", "unread-count").is_displayed())
    portal.wait(lambda _: not panel.find_elements("css selector", "li.unread"))
    assert len(portal.driver.find_elements("css selector", "#notifications li.read")) == 2
    assert ok(platform.http.get("/api/v1/notifications/unread-count", headers=me))["unread"] == 0


def test_a_student_registered_before_the_agreement_signs_it_at_the_next_sign_in(platform, portal):
    student = make_user(name="ОМАРОВА ЖАНАР")
    university = ok(platform.http.get("/api/v1/universities", params={"region": REGION}))[0]["id"]
    student_id = ok(register_student(platform.http, student, university, REGION), 201)["user_id"]
    with platform.session("registry") as session, session.begin():  # as registered before agreements existed
        session.execute(delete(AgreementSignature).where(AgreementSignature.student_id == student_id))

    portal.open("ru")
    portal.click("#eds-sign-in")
    portal.sign_pending(student)
    portal.wait_for(".hero .form-status", f"договор присоединения к программе (редакция {agreements.CURRENT})")
    portal.click("#sign-agreement")
    portal.sign_pending(student)
    portal.wait_for("#sign-out")
    with platform.session("registry") as session:
        signed = session.scalars(select(AgreementSignature).where(AgreementSignature.student_id == student_id)).all()
    assert [(row.version, row.language) for row in signed] == [(agreements.CURRENT, "ru")]
