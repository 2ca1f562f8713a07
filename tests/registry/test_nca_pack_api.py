"""NCA RK's own TEST keys end to end through the gateway: the registry trusts the pack's GOST CAs as
test CAs (`EDS_TEST_TRUST_STORE`) with the pack's full CRL. These tests sign at the real clock, so
they run while the pack and its CRL are current; NCA publishes a new pack each year."""
import datetime as dt

import pytest

from tests.registry import nca_pack
from tests.registry.egov_mobile import EgovMobile
from tests.registry.pki import (bearer, challenge, eds_login, register_student, session_config, sign_document,
                                sign_nonce)
from tests.registry.test_egov_mobile_api import poll, registration, start
from tests.registry.test_signed_documents_api import placed_with_hours, report_pdf_of, signed_report_path, submit

PACK_CURRENT = dt.datetime(2026, 5, 8, tzinfo=dt.timezone.utc) <= dt.datetime.now(dt.timezone.utc) \
    < dt.datetime(2027, 2, 7, tzinfo=dt.timezone.utc)  # the certificates' start, the CRL's next update
pytestmark = [nca_pack.needs_pack,
              pytest.mark.skipif(not PACK_CURRENT, reason="NCA's test pack or its CRL is not current: "
                                 "put NCA's new yearly pack in ../shared/nca-test")]


@pytest.fixture
def service_overrides():
    pack, own = nca_pack.gost_config(), session_config()
    return {"registry": {"EDS_TRUST_STORE": own["EDS_TRUST_STORE"],
                         "EDS_TEST_TRUST_STORE": pack["EDS_TEST_TRUST_STORE"],
                         "EDS_CRL_FILE": own["EDS_CRL_FILE"] + pack["EDS_CRL_FILE"]}}


def apply(platform, signer, bin_=nca_pack.TEST_BIN):
    nonce = challenge(platform.http)
    return platform.http.post("/api/v1/organisations", json={
        "nonce": nonce, "signature": sign_nonce(signer, nonce), "bin": bin_, "name": "АО «ТЕСТ»",
        "kind": "ngo", "region": "KZ-71", "address": "Mangilik El 55", "sites": []})


def test_the_nca_test_individual_registers_and_signs_in(platform):
    answer = platform.http.post("/api/v1/auth/challenge").json()
    assert answer["accepts_test_keys"] is True and answer["nonce"] in answer["data_to_sign"]
    person = nca_pack.person("individual/valid")
    universities = platform.http.get("/api/v1/universities").json()
    registered = register_student(platform.http, person, universities[0]["id"], "KZ-71")
    assert registered.status_code == 201, registered.text
    assert registered.json()["name"] == "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"
    token = eds_login(platform.http, person)
    me = platform.http.get("/api/v1/students/me", headers=bearer(token)).json()
    assert (me["iin"], me["birth_date"]) == ("123456789011", None)  # a test IIN carries no birth date
    revoked = register_student(platform.http, nca_pack.person("individual/revoked"), universities[0]["id"], "KZ-71")
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]


def test_the_nca_test_ceo_applies_and_an_mio_officer_accredits_it(platform):
    for signer, status, words in ((nca_pack.person("individual/valid"), 403, "not a personal certificate"),
                                  (nca_pack.person("legal/information_system_valid"), 401, "information system")):
        refused = apply(platform, signer)
        assert (refused.status_code, words in refused.json()["error"]["message"]) == (status, True), refused.text
    applied = apply(platform, nca_pack.person("legal/head_valid"))
    assert applied.status_code == 201, applied.text
    organisation = applied.json()
    assert (organisation["bin"], organisation["status"]) == (nca_pack.TEST_BIN, "pending")
    accredited = platform.http.post(f"/api/v1/organisations/{organisation['id']}/accredit",
                                    headers=platform.auth("mio_officer", region="KZ-71"))
    assert accredited.json()["status"] == "accredited", accredited.text
    # the ordinary employee's application for the same BIN is refused: NCA revoked that key on 2026-06-02
    # (its role is refused on its own in test_eds_nca_pack); the signing-right employee meets the taken BIN
    employee = apply(platform, nca_pack.person("legal/employee_valid"))
    assert employee.status_code == 401 and "revoked" in employee.json()["error"]["message"], employee.text
    assert apply(platform, nca_pack.person("legal/employee_signright_valid")).status_code == 409


def test_with_nca_keys_the_student_joins_the_employee_signs_the_report_and_the_operator_accepts(platform):
    """NCA's individual registers by signing the accession agreement; NCA's head applies for the
    test BIN; NCA's employee with signing right signs the completion report of a placement at that
    organisation's site; the Operator sees the signer and accepts. NCA's revoked head and its
    individual (not the coordinator) are refused, with nothing recorded."""
    employee = nca_pack.person("legal/employee_signright_valid")
    report = signed_report_path(platform, nca_pack.person("individual/valid"), nca_pack.person("legal/head_valid"),
                                employee, nca_pack.TEST_BIN)
    assert (report["signature"]["role"], report["signature"]["iin"]) == ("legal_signing_right", employee.iin)
    agreement = platform.http.get("/api/v1/students/me/agreement",
                                  headers=bearer(eds_login(platform.http, nca_pack.person("individual/valid"),
                                                           role="student"))).json()
    assert agreement["signer_iin"] == "123456789011" and agreement["evidence"]["trust_anchor"] == "test"

    organisation = platform.http.get("/api/v1/organisations", headers=platform.auth("operator")).json()["items"][0]
    coordinator = platform.auth("coordinator", organisation_id=organisation["id"],
                                site_id=organisation["sites"][0]["id"], region="KZ-71")
    placement = placed_with_hours(platform, "d" * 32, organisation)
    document = report_pdf_of(platform, placement, coordinator)
    for signer, status, words in ((nca_pack.person("legal/head_revoked"), 422, "revoked"),
                                  (nca_pack.person("individual/valid"), 403, "coordinator's own")):
        refused = submit(platform, placement, coordinator, sign_document(signer, document))
        assert (refused.status_code, words in refused.json()["error"]["message"]) == (status, True), refused.text
    assert platform.http.get("/api/v1/reports", headers=platform.auth("operator"),
                             params={"organisation_id": organisation["id"]}).json()["total"] == 1


def test_with_nca_keys_in_the_phone_the_individual_registers_and_signs_in(platform):
    """eGov Mobile's QR signing (tests/registry/egov_mobile.py) with NCA's individual; its head's key,
    a company's, is refused for a person's sign-in."""
    http, person = platform.http, nca_pack.person("individual/valid")
    signing = start(http, "register", agreement_language="ru")
    assert EgovMobile(person).sign(signing["qr_content"]).status_code == 200
    signed = poll(http, signing)
    registered = http.post("/api/v1/auth/register", json={
        **{key: signed[key] for key in ("nonce", "signature", "agreement_version", "agreement_language")},
        **registration(http)})
    assert registered.status_code == 201 and registered.json()["name"] == "ТЕСТОВ ТЕСТ ТЕСТОВИЧ", registered.text
    login = start(http, "login")
    head = EgovMobile(nca_pack.person("legal/head_valid")).sign(login["qr_content"])
    assert head.status_code == 403 and "personal" in head.json()["error"]["message"], head.text
    assert EgovMobile(person, detached=True).sign(login["qr_content"]).status_code == 200
    signed = poll(http, login)
    token = http.post("/api/v1/auth/login", json={"nonce": signed["nonce"], "signature": signed["signature"]})
    assert token.status_code == 200 and token.json()["user_id"] == registered.json()["user_id"], token.text
