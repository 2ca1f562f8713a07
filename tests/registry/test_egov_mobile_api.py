"""Signing with eGov Mobile by QR through the whole platform, with a client that behaves as the app
(tests/registry/egov_mobile.py) and the project's GOST PKI: the student registers (the accession
agreement) and signs in from the phone, the site's employee signs the completion report, and every
refusal (a second answer, an expired link, other bytes, a company's key for a person's action, a token
not the link's) leaves nothing behind. NCA RK's own keys: test_nca_pack_api.py."""
import base64
import datetime as dt
from urllib.parse import quote

from sqlalchemy import func, select, update

from common.auth import COORDINATOR
from services.registry import agreements
from services.registry.models import AgreementSignature, MobileSigning, Student
from tests.registry.egov_mobile import EgovMobile
from tests.registry.gost_pki import LEGAL_EMPLOYEE, LEGAL_HEAD
from tests.registry.pki import bearer, make_user, random_bin
from tests.registry.test_signed_documents_api import accredited_organisation, join, placed_with_hours, submit
from tests.timesheet.support import error_of, operator

CMS_FIELD = ("documentsToSign", "0", "documentCms")  # the reasons' place, nested as the contract's own errors


def reason_at(error, path):
    """The first reason given for the field at `path` (a name, or the names down a nested field)."""
    reasons = error["fields"]
    for name in (path,) if isinstance(path, str) else path:
        reasons = reasons[name]
    return reasons[0]


def start(http, purpose, headers=None, **fields):
    response = http.post("/api/v1/egov-mobile/signings", json={"purpose": purpose, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def poll(http, signing):
    response = http.get(f"/api/v1/egov-mobile/signings/{signing['id']}")
    assert response.status_code == 200, response.text
    return response.json()


def registration(http):
    university = http.get("/api/v1/universities").json()[0]["id"]
    return {"university_id": university, "region": "KZ-71", "language": "kk"}


def test_a_student_registers_and_signs_in_from_the_phone(platform):
    http = platform.http
    user = make_user(name="ЖАНЫБЕКОВА АЛИЯ САКЕНОВНА")
    signing = start(http, "register", agreement_language="kk")
    link = EgovMobile.scan(signing["qr_content"])
    assert link.startswith(platform.http.base_url + "/api/v1/egov-mobile/links/")
    assert signing["app_link"].startswith("https://mgovsign.page.link/?link=" + quote(link, safe=""))
    assert signing["qr_svg"].startswith("<svg") and signing["business_app_link"] is None
    assert poll(http, signing)["status"] == "waiting" and poll(http, signing)["signature"] is None

    app = EgovMobile(user)
    api_1 = app.api_1(signing["qr_content"])
    assert "Договор присоединения" in api_1["description"]
    documents = app.api_2(api_1)
    [document] = documents["documentsToSign"]
    text = base64.b64decode(document["documentCms"]).decode("utf-8")
    assert text.startswith(agreements.text(agreements.CURRENT, "kk")) and f"Nonce: {signing['nonce']}" in text
    assert {"name": "nonce", "value": signing["nonce"]} in document["meta"]
    signed = app.signed(documents)
    answered = app.put(api_1, signed)
    assert answered.status_code == 200, answered.text

    again = app.put(api_1, signed)  # single use: a second answer is refused, the first stays
    assert error_of(again, 409)["fields"]["link"]
    assert error_of(app.http.get(link), 409)["fields"]["link"]
    done = poll(http, signing)
    assert (done["status"], done["signature"], done["signer_name"]) == (
        "signed", signed["documentsToSign"][0]["documentCms"], "ЖАНЫБЕКОВА АЛИЯ САКЕНОВНА")

    registered = http.post("/api/v1/auth/register", json={  # the portal goes on as after NCALayer
        "nonce": done["nonce"], "signature": done["signature"], "agreement_version": done["agreement_version"],
        "agreement_language": done["agreement_language"], **registration(http)})
    assert registered.status_code == 201, registered.text
    agreement = http.get("/api/v1/students/me/agreement", headers=bearer(registered.json()["access_token"])).json()
    assert (agreement["text"], agreement["signature"], agreement["signer_iin"]) == (text, done["signature"], user.iin)

    login = start(http, "login")
    assert EgovMobile(user, detached=True).sign(login["qr_content"]).status_code == 200  # detached: as good
    signed_in = poll(http, login)
    token = http.post("/api/v1/auth/login", json={"nonce": signed_in["nonce"], "signature": signed_in["signature"]})
    assert token.status_code == 200 and token.json()["user_id"] == registered.json()["user_id"], token.text


def test_each_wrong_answer_is_refused_and_nothing_is_kept(platform):
    http = platform.http
    user = make_user()
    company = make_user(name="ОМАРОВ ЕРЛАН", usages=LEGAL_HEAD, bin_=random_bin())
    signing = start(http, "register", agreement_language="ru")
    app = EgovMobile(user)
    api_1 = app.api_1(signing["qr_content"])
    documents = app.api_2(api_1)

    refusals = {
        "other bytes": (app.put(api_1, app.signed(documents, lambda content: content.replace(b"Nonce", b"nonce"))),
                        422, CMS_FIELD, "another document"),
        "a company's key": (app.put(api_1, EgovMobile(company).signed(documents)), 403, CMS_FIELD, "personal"),
        "a token not the link's": (app.put(api_1, app.signed(documents), token="x" * 43), 401, "Authorization",
                                   "token"),
        "no token": (app.http.get(api_1["document"]["uri"]), 401, "Authorization", "token"),
        "another document": (app.put(api_1, {**app.signed(documents), "documentsToSign": [
            {**app.signed(documents)["documentsToSign"][0], "id": "report-1"}]}), 400, "documentsToSign", "one"),
        "not a CMS": (app.put(api_1, {**documents, "documentsToSign": [
            {**documents["documentsToSign"][0], "documentCms": "bm90IGEgQ01T"}]}), 400, CMS_FIELD, ""),
        "an unknown link": (app.http.get(EgovMobile.scan(signing["qr_content"]) + "x"), 404, "link", "unknown"),
    }
    for case, (response, status, field, words) in refusals.items():
        error = error_of(response, status)
        assert words in reason_at(error, field), (case, error)
    assert poll(http, signing)["status"] == "waiting"  # none of them counted

    newer = app.api_1(signing["qr_content"])  # the app fetched the link again: only the newest token counts
    assert error_of(app.put(api_1, app.signed(documents)), 401)["fields"]["Authorization"]
    with platform.session("registry") as session, session.begin():  # the time runs out before the answer
        session.execute(update(MobileSigning).where(MobileSigning.id == signing["id"])
                        .values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    expired = error_of(app.put(newer, app.signed(documents)), 410)
    assert "expired" in expired["fields"]["expiry_date"][0]
    assert error_of(app.http.get(EgovMobile.scan(signing["qr_content"])), 410)["fields"]["expiry_date"]
    assert poll(http, signing)["status"] == "expired" and poll(http, signing)["signature"] is None
    with platform.session("registry") as session:
        assert session.scalar(select(func.count()).select_from(Student)) == 0
        assert session.scalar(select(func.count()).select_from(AgreementSignature)) == 0

    login = start(http, "login")  # a company's key never signs a person in, and the link stays open
    assert "personal" in reason_at(error_of(EgovMobile(company).sign(login["qr_content"]), 403), CMS_FIELD)
    assert poll(http, login)["status"] == "waiting"
    assert error_of(http.post("/api/v1/egov-mobile/signings", json={"purpose": "register"}), 400)["fields"] == {
        "agreement_language": ["required to register"]}


def test_the_site_signs_its_completion_report_from_the_phone(platform):
    """The organisation's employee signs the report's PDF in the app (eGov Business's link beside
    eGov Mobile's); the coordinator's portal submits it as after NCALayer and the Operator sees the signer.
    Another company's key is refused at the app's answer, with nothing kept."""
    bin_ = random_bin()
    head = make_user(name="ОМАРОВ ЕРЛАН", usages=LEGAL_HEAD, bin_=bin_)
    employee = make_user(name="КАСЫМОВА ДИНА", usages=LEGAL_EMPLOYEE, bin_=bin_)
    stranger = make_user(name="ЧУЖОЙ ЧЕЛОВЕК", usages=LEGAL_EMPLOYEE, bin_=random_bin())
    student_id = join(platform, make_user())
    organisation = accredited_organisation(platform, head, bin_)
    coordinator = platform.auth(COORDINATOR, organisation_id=organisation["id"],
                                site_id=organisation["sites"][0]["id"], region="KZ-71")
    placement = placed_with_hours(platform, student_id, organisation)
    pdf = platform.http.get(f"/api/v1/placements/{placement['placement_id']}/report-document",
                            headers=coordinator).content
    assert error_of(platform.http.post("/api/v1/egov-mobile/signings", json={
        "purpose": "report", "placement_id": placement["placement_id"]}), 401)  # a coordinator's only

    signing = start(platform.http, "report", coordinator, placement_id=placement["placement_id"])
    assert signing["business_app_link"].startswith("https://egovbusiness.page.link/?link=")
    app = EgovMobile(employee, detached=True)
    api_1 = app.api_1(signing["qr_content"])
    documents = app.api_2(api_1)
    assert base64.b64decode(documents["documentsToSign"][0]["documentCms"]) == pdf  # the very PDF
    refused = error_of(app.put(api_1, EgovMobile(stranger, detached=True).signed(documents)), 403)
    assert "another organisation" in reason_at(refused, CMS_FIELD)
    assert poll(platform.http, signing)["status"] == "waiting"
    assert app.put(api_1, app.signed(documents)).status_code == 200

    signed = poll(platform.http, signing)
    submitted = submit(platform, placement, coordinator, signed["signature"])
    assert submitted.status_code == 201, submitted.text
    signer = submitted.json()["signature"]
    assert (signer["iin"], signer["bin"], signer["name"]) == (employee.iin, bin_, "КАСЫМОВА ДИНА")
    queue = platform.http.get("/api/v1/reports", headers=operator(platform), params={"status": "submitted"}).json()
    assert [item["signature"]["iin"] for item in queue["items"]] == [employee.iin]
