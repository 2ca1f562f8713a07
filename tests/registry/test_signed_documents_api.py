"""Signed documents through the gateway with the project's own GOST test PKI: the accession agreement
a student signs to join (a student registered before agreements signs it at the next sign-in), the
completion report the site signs over its PDF for the Operator, and the verification of signatures
on record. `signed_report_path` runs with NCA's own pack too (test_nca_pack_api)."""
import base64
import datetime as dt
import hashlib
import io

from pypdf import PdfReader
from sqlalchemy import delete, func, select

from common.auth import COORDINATOR
from services.registry import agreements
from services.registry.models import AgreementSignature, Student
from services.timesheet.models import OutboxEvent as TimesheetOutbox
from services.timesheet.models import Report
from tests.registry.gost_pki import INDIVIDUAL, LEGAL_EMPLOYEE, LEGAL_HEAD
from tests.registry.pki import (bearer, challenge, eds_login, make_user, random_bin, register_student, session_pki,
                                sign_document, sign_nonce)
from tests.timesheet.support import complete_hours, error_of, operator, place, student

UTC = dt.timezone.utc


def join(platform, user, region="KZ-71"):
    """`user` registers, signing the accession agreement; returns the student's id."""
    university = platform.http.get("/api/v1/universities").json()[0]["id"]
    response = register_student(platform.http, user, university, region)
    assert response.status_code == 201, response.text
    return response.json()["user_id"]


def accredited_organisation(platform, head, bin_, region="KZ-71"):
    """The organisation applies signed by its head's EDS, with one site; its region's MIO accredits it."""
    nonce = challenge(platform.http)
    applied = platform.http.post("/api/v1/organisations", json={
        "nonce": nonce, "signature": sign_nonce(head, nonce), "bin": bin_, "name": "ТОО «Детский центр»",
        "kind": "centre", "region": region, "address": "Abai ave 10",
        "sites": [{"name": "Centre No. 1", "address": "Abai ave 10", "city": "Astana", "directions": ["tutoring"]}]})
    assert applied.status_code == 201, applied.text
    organisation = applied.json()
    accredited = platform.http.post(f"/api/v1/organisations/{organisation['id']}/accredit",
                                    headers=platform.auth("mio_officer", region=region))
    assert accredited.status_code == 200, accredited.text
    return organisation


def placed_with_hours(platform, student_id, organisation, region="KZ-71"):
    """The student placed at the organisation's site (as placement announces it) with the voucher's
    hours logged and confirmed."""
    placement = place(platform, organisation["sites"][0]["id"], student_id=student_id, region=region,
                      organisation_id=organisation["id"], organisation_name=organisation["name"])
    complete_hours(platform, placement)
    return placement


def report_pdf_of(platform, placement, coordinator):
    response = platform.http.get(f"/api/v1/placements/{placement['placement_id']}/report-document",
                                 headers=coordinator)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf", response.text
    return response.content


def submit(platform, placement, coordinator, signature):
    return platform.http.post("/api/v1/reports", headers=coordinator,
                              json={"placement_id": placement["placement_id"], "signature": signature})


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def signed_report_path(platform, student_user, head, employee, bin_, coordinator=None):
    """The whole path: the student joins by signing the agreement; the organisation, applied for by
    its head's EDS, is accredited with a site; the student works the hours there; the site's employee
    signs the report's PDF (detached) and it is submitted; the Operator sees the signer in the queue
    and on the PDF, and accepts. `coordinator`: the submitting coordinator's headers (by default a
    coordinator of the site). Returns the accepted report."""
    student_id = join(platform, student_user)
    organisation = accredited_organisation(platform, head, bin_)
    coordinator = coordinator(organisation) if coordinator else platform.auth(
        COORDINATOR, organisation_id=organisation["id"], site_id=organisation["sites"][0]["id"], region="KZ-71")
    placement = placed_with_hours(platform, student_id, organisation)
    document = report_pdf_of(platform, placement, coordinator)
    assert "Айгерім Сәрсенова" in pdf_text(document) and "Signed with EDS by the organisation" in pdf_text(document)
    signature = sign_document(employee, document)
    submitted = submit(platform, placement, coordinator, signature)
    assert submitted.status_code == 201, submitted.text
    report = submitted.json()
    again = submit(platform, placement, coordinator, signature)  # its answer lost, the site sends it again
    assert again.status_code == 201 and again.json() == report, again.text
    other = submit(platform, placement, coordinator, sign_document(employee, document))
    assert other.status_code == 409, other.text  # a second signature is a second submission
    signer = report["signature"]
    assert (signer["iin"], signer["bin"], signer["role"]) == (employee.iin, bin_, signer["role"])
    assert signer["name"] and signer["role"].startswith("legal_")

    queue = platform.http.get("/api/v1/reports", headers=operator(platform), params={"status": "submitted"}).json()
    assert [item["signature"] for item in queue["items"] if item["id"] == report["id"]] == [signer]
    signed_at = dt.datetime.fromisoformat(signer["signed_at"])
    assert dt.timedelta(0) <= dt.datetime.now(UTC) - signed_at < dt.timedelta(minutes=5)
    text = pdf_text(platform.http.get(f"/api/v1/reports/{report['id']}/pdf", headers=operator(platform)).content)
    words = " ".join(text.split())  # lines wrap where the page ends
    assert f"Signed with EDS by {signer['name']} (IIN {signer['iin']}" in words, words
    assert f"{signed_at:%Y-%m-%d %H:%M:%S} UTC" in words
    kept = platform.http.get(f"/api/v1/reports/{report['id']}/signed-document", headers=operator(platform))
    assert kept.content == document  # the Operator receives exactly the bytes that were signed

    accepted = platform.http.post(f"/api/v1/reports/{report['id']}/review", headers=operator(platform),
                                  json={"decision": "accept"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text
    return report


def test_a_student_joins_by_signing_the_accession_agreement_and_downloads_it(platform):
    http = platform.http
    user = make_user(name="ЖАНЫБЕКОВА АЛИЯ САКЕНОВНА")
    university = http.get("/api/v1/universities").json()[0]["id"]
    base = {"university_id": university, "region": "KZ-71", "language": "kk"}
    nonce = challenge(http, agreement_language="kk")
    assert nonce.agreement == {"agreement_version": agreements.CURRENT, "agreement_language": "kk"}
    assert nonce.data_to_sign.startswith(agreements.text(agreements.CURRENT, "kk"))
    assert f"Nonce: {nonce}" in nonce.data_to_sign

    # refused, nothing recorded: the bare sign-in text; the agreement's fields over the sign-in text;
    # a version that does not exist
    bare = challenge(http)
    assert error_of(http.post("/api/v1/auth/register", json={"nonce": bare, "signature": sign_nonce(user, bare),
                                                              **base}), 400)["fields"]["agreement_version"]
    bare = challenge(http)
    wrong_text = http.post("/api/v1/auth/register", json={"nonce": bare, "signature": sign_nonce(user, bare),
                                                          **nonce.agreement, **base})
    assert "over another document" in error_of(wrong_text, 401)["message"]
    old = challenge(http, agreement_language="ru")
    unknown = http.post("/api/v1/auth/register", json={"nonce": old, "signature": sign_nonce(user, old), **base,
                                                       "agreement_version": "2019-1", "agreement_language": "ru"})
    assert error_of(unknown, 400)["fields"] == {"agreement_version": ["unknown version"]}
    with platform.session("registry") as session:
        assert session.scalar(select(func.count()).select_from(Student)) == 0
        assert session.scalar(select(func.count()).select_from(AgreementSignature)) == 0

    signature = sign_nonce(user, nonce)
    registered = http.post("/api/v1/auth/register", json={"nonce": nonce, "signature": signature,
                                                          **nonce.agreement, **base})
    assert registered.status_code == 201, registered.text
    me = bearer(registered.json()["access_token"])
    agreement = http.get("/api/v1/students/me/agreement", headers=me).json()
    assert (agreement["version"], agreement["language"], agreement["text"]) == (
        agreements.CURRENT, "kk", nonce.data_to_sign)
    assert (agreement["signer_iin"], agreement["signer_name"]) == (user.iin, "ЖАНЫБЕКОВА АЛИЯ САКЕНОВНА")
    evidence = agreement["evidence"]
    assert evidence["chain"][0]["serial"] == format(user.certificate.serial_number, "x")
    assert evidence["chain"][-1]["subject"] == session_pki().root.certificate.subject.human_friendly
    assert {check["source"] for check in evidence["revocation"]} == {"crl"}
    assert all(check["this_update"] and check["crl_number"] for check in evidence["revocation"])
    assert agreement["signature"] == signature  # the CMS as the student sent it, the text inside

    # anyone holding the agreement verifies it with its code; the answer masks the IIN
    verdict = http.post("/api/v1/agreements/verify", json={"code": agreement["code"],
                                                           "signature": agreement["signature"]}).json()
    assert (verdict["matches_record"], verdict["valid"], verdict["signer_name"]) == (
        True, True, "ЖАНЫБЕКОВА АЛИЯ САКЕНОВНА")
    assert verdict["signer_iin"] == "********" + user.iin[-4:] and verdict["signed_at"] == agreement["signed_at"]
    another = http.post("/api/v1/agreements/verify", json={"code": agreement["code"],
                                                           "signature": sign_nonce(user, nonce)}).json()
    assert (another["matches_record"], another["valid"]) == (False, True) and "not the one" in another["reason"]
    assert error_of(http.post("/api/v1/agreements/verify", json={"code": "0" * 30, "signature": "AAAA"}), 404)


def test_a_student_registered_before_agreements_signs_the_current_one_at_the_next_sign_in(platform):
    http = platform.http
    user = make_user()
    student_id = join(platform, user)
    with platform.session("registry") as session, session.begin():  # as registered before agreements existed
        session.execute(delete(AgreementSignature).where(AgreementSignature.student_id == student_id))

    nonce = challenge(http)
    refused = error_of(http.post("/api/v1/auth/login", json={"nonce": nonce, "signature": sign_nonce(user, nonce)}),
                       403)
    assert refused["fields"] == {"agreement_version": [agreements.CURRENT]}
    nonce = challenge(http, agreement_language="ru")
    joined = http.post("/api/v1/auth/login", json={"nonce": nonce, "signature": sign_nonce(user, nonce),
                                                   **nonce.agreement})
    assert joined.status_code == 200 and joined.json()["user_id"] == student_id, joined.text
    agreement = http.get("/api/v1/students/me/agreement", headers=bearer(joined.json()["access_token"])).json()
    assert (agreement["language"], agreement["text"]) == ("ru", nonce.data_to_sign)
    assert eds_login(http, user)  # signed: the sign-in text alone opens again


def test_the_site_signs_its_report_and_the_operator_accepts_it(platform):
    """The path with the project's GOST PKI; the report is submitted by a real site coordinator (an
    employee the organisation's representative added, signed in by EDS) and signed by another
    employee of the organisation."""
    bin_ = random_bin()
    head = make_user(name="ОМАРОВ ЕРЛАН", usages=LEGAL_HEAD, bin_=bin_)
    coordinator_user = make_user(name="КАСЫМОВА ДИНА", usages=LEGAL_EMPLOYEE, bin_=bin_)

    def real_coordinator(organisation):
        added = platform.http.post("/api/v1/staff", headers=bearer(eds_login(platform.http, head)), json={
            "iin": coordinator_user.iin, "full_name": "КАСЫМОВА ДИНА", "role": COORDINATOR,
            "organisation_id": organisation["id"], "site_id": organisation["sites"][0]["id"]})
        assert added.status_code == 201, added.text
        return bearer(eds_login(platform.http, coordinator_user))

    signer = make_user(name="СОТРУДНИКОВ АРМАН", usages=LEGAL_EMPLOYEE, bin_=bin_)
    signed_report_path(platform, make_user(), head, signer, bin_, coordinator=real_coordinator)


def test_report_signatures_that_do_not_hold_are_refused_with_nothing_recorded(platform):
    http = platform.http
    bin_ = random_bin()
    head = make_user(usages=LEGAL_HEAD, bin_=bin_)
    organisation = accredited_organisation(platform, head, bin_)
    coordinator_user = make_user(name="КАСЫМОВА ДИНА")  # the coordinator's personal key
    added = http.post("/api/v1/staff", headers=platform.auth("admin"), json={
        "iin": coordinator_user.iin, "full_name": "КАСЫМОВА ДИНА", "role": COORDINATOR,
        "organisation_id": organisation["id"], "site_id": organisation["sites"][0]["id"]})
    coordinator = bearer(eds_login(http, coordinator_user))
    assert added.status_code == 201, added.text
    placement = placed_with_hours(platform, "f" * 32, organisation)
    document = report_pdf_of(platform, placement, coordinator)
    other = placed_with_hours(platform, "e" * 32, organisation)
    other_document = report_pdf_of(platform, other, coordinator)
    now = dt.datetime.now(UTC)
    revoked = make_user(usages=LEGAL_EMPLOYEE, bin_=bin_)
    session_pki().revoke(revoked)
    expired = make_user(usages=LEGAL_EMPLOYEE, bin_=bin_, not_before=now - dt.timedelta(days=30),
                        not_after=now - dt.timedelta(days=1))
    employee = make_user(usages=LEGAL_EMPLOYEE, bin_=bin_)
    for signature, status, words in (
            (sign_document(make_user(usages=LEGAL_EMPLOYEE, bin_=random_bin()), document), 403, "another organisation"),
            (sign_document(make_user(usages=INDIVIDUAL), document), 403, "coordinator's own"),
            (sign_document(revoked, document), 422, "revoked"),
            (sign_document(employee, other_document), 422, "over another document"),
            (sign_document(expired, document), 422, "expired at the time of signing"),
            ("not a signature", 400, "base64")):
        refused = error_of(submit(platform, placement, coordinator, signature), status)
        assert words in refused["message"], refused
    with platform.session("timesheet") as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 0
        assert session.scalar(select(func.count()).select_from(TimesheetOutbox)
                              .where(TimesheetOutbox.event_type == "report.submitted")) == 0

    # the coordinator's own personal key signs; the verification answers the Operator and the parties
    submitted = submit(platform, placement, coordinator, sign_document(coordinator_user, document))
    assert submitted.status_code == 201, submitted.text
    report = submitted.json()
    assert (report["signature"]["iin"], report["signature"]["role"], report["signature"]["bin"]) == (
        coordinator_user.iin, "individual", None)
    kept = http.get(f"/api/v1/reports/{report['id']}/signature", headers=operator(platform)).json()
    assert kept["evidence"]["document_sha256"] == hashlib.sha256(document).hexdigest()
    verify = f"/api/v1/reports/{report['id']}/signature/verify"
    presented = {"signature": kept["signature"], "document_base64": base64.b64encode(document).decode()}
    verdict = http.post(verify, headers=student(platform, placement), json=presented).json()
    assert (verdict["matches_record"], verdict["valid"], verdict["signer_iin"]) == (True, True, coordinator_user.iin)
    # the detached signature presented with another document is not the one on record
    wrong = http.post(verify, headers=operator(platform), json={
        **presented, "document_base64": base64.b64encode(other_document).decode()}).json()
    assert (wrong["matches_record"], wrong["valid"]) == (False, True) and "document" in wrong["reason"]
    assert error_of(http.post(verify, headers=platform.auth(COORDINATOR, site_id="another-site",
                                                            organisation_id="x"), json=presented), 404)
    assert error_of(http.post(verify, json=presented), 401)
