"""The portal signs through NCALayer's `kz.gov.pki.knca.basics` `sign`, here a stand-in speaking its
WebSocket protocol (tests/portal/ncalayer.py): what the page asks NCALayer for (module, method, CMS
format, attached data, key usage per purpose, test CAs only when the deployment trusts them, the page's
language), and what it makes of each answer: a PEM-armoured CMS the registry then verifies, a
cancelled dialog, a refusal, an NCALayer without the module, and no NCALayer at all."""
import base64
import socket

import pytest
from selenium.webdriver.support.ui import Select

from common.auth import MIO_OFFICER
from tests.portal.ncalayer import CANCELLED, MODULE_NOT_FOUND, refused, signed_by
from tests.portal.support import BIN, REGION, ok
from tests.registry.gost_pki import LEGAL_HEAD
from tests.registry.pki import make_user, session_pki

PERSON = ["1.2.398.3.3.4.1.1"]
LEGAL_ENTITY = ["1.2.398.3.3.4.1.2"]


def assert_asked_to_sign(request, key_usages, locale, test_keys):
    """One `basics.sign` request for an attached CMS over the challenge's data, as the deployment allows."""
    assert request["module"] == "kz.gov.pki.knca.basics" and request["method"] == "sign"
    args = request["args"]
    assert args["format"] == "cms" and args["locale"] == locale
    assert args["signingParams"] == {"decode": True, "encapsulate": True, "digested": False}
    assert args["signerParams"] == {"extKeyUsageOids": key_usages, **({"chain": []} if test_keys else {})}
    assert "\nNonce: " in base64.b64decode(args["data"], validate=True).decode("utf-8")  # the challenge's text


def trusts_test_keys(platform):
    return ok(platform.http.post("/api/v1/auth/challenge"), 201).get("accepts_test_keys") is True


def closed_port_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return "ws://127.0.0.1:%d" % probe.getsockname()[1]


def test_a_student_cancels_is_refused_then_registers_and_signs_in_through_ncalayer(platform, portal, ncalayer):
    assert not trusts_test_keys(platform)  # production CAs only: NCALayer offers production keys only
    student = make_user(name="ЖАНУЗАКОВА АЛИЯ СЕРИКОВНА")
    portal.open("kk").use_ncalayer(ncalayer.url)
    status = ".hero .form-status"

    ncalayer.answer_with(CANCELLED)
    portal.click("#eds-sign-in")
    portal.wait_for(status, "Сіз NCALayer-де қол қоюдан бас тарттыңыз.")

    ncalayer.answer_with(refused("SIGNING_FAILURE", "key store password incorrect"))
    portal.click("#eds-sign-in")
    portal.wait_for(status, "NCALayer қол қоюдан бас тартты (SIGNING_FAILURE: key store password incorrect).")

    # the signature verifies: the registry knows the key's owner has no account yet
    ncalayer.answer_with(signed_by(student))
    portal.click("#eds-sign-in")
    portal.wait_for(status, "есептік жазба жоқ")

    universities = ok(platform.http.get("/api/v1/universities", params={"region": REGION}))
    form = portal.wait_for("#register-form")
    portal.fill("region", REGION, within=form)
    portal.fill("university_id", universities[0]["id"], within=form)
    portal.fill("phone", "+77015556677", within=form)
    ncalayer.answer_with(signed_by(student))
    portal.click("button[type=submit]", within=form)
    portal.wait_for("#sign-out")
    assert portal.text(".who-name") == "ЖАНУЗАКОВА АЛИЯ СЕРИКОВНА"

    assert len(ncalayer.requests) == 4
    for request in ncalayer.requests:
        assert_asked_to_sign(request, PERSON, "kk", test_keys=False)
    assert len({request["args"]["data"] for request in ncalayer.requests}) == 4  # a fresh challenge each time


# This deployment marks the test PKI's root as a test CA, so NCALayer is asked to offer test keys too.
@pytest.mark.parametrize("service_overrides", [{"registry": {"EDS_TEST_TRUST_STORE": [session_pki().trust_store_path]}}],
                         ids=["test CAs trusted"])
def test_an_organisation_applies_signed_by_a_legal_entity_key_through_ncalayer(platform, portal, ncalayer):
    assert trusts_test_keys(platform)
    portal.open("en").use_ncalayer(closed_port_url())
    portal.click("#to-apply")
    form = portal.wait_for("#apply-form")
    portal.click("button[type=submit]", within=form)  # nothing listens where NCALayer should
    portal.wait_for("#apply-form .form-status", "NCALayer is not running: start it and try again.")

    Select(portal.wait_for("#lang")).select_by_value("ru")  # the page is drawn again in Russian
    portal.use_ncalayer(ncalayer.url)
    form = portal.wait_for("#apply-form")
    for name, value in {"bin": BIN, "name": "Гимназия № 7", "kind": "school", "region": REGION,
                        "address": "пр. Абая 10", "sites.0.name": "Гимназия № 7", "sites.0.city": "Астана",
                        "sites.0.address": "пр. Абая 10", "sites.0.directions": "tutoring"}.items():
        portal.fill(name, value, within=form)

    ncalayer.answer_with(MODULE_NOT_FOUND)
    portal.click("button[type=submit]", within=form)
    portal.wait_for("#apply-form .form-status", "NCALayer ответил непонятно для портала: обновите NCALayer и "
                                                "повторите (MODULE_NOT_FOUND).")
    portal.screenshot("organisation-applies-ncalayer-outdated")

    ncalayer.answer_with(signed_by(make_user(name="ОМАРОВ ЕРЛАН", bin_=BIN, usages=LEGAL_HEAD)))  # its CEO
    portal.click("button[type=submit]", within=form)
    applied = portal.wait_for("#applied")
    assert applied.text == "Заявка «Гимназия № 7» принята: Ждёт аккредитации."
    organisation = ok(platform.http.get(f"/api/v1/organisations/{applied.get_attribute('data-id')}",
                                        headers=platform.auth(MIO_OFFICER, region=REGION)))
    assert (organisation["bin"], organisation["status"]) == (BIN, "pending")
    assert [site["directions"] for site in organisation["sites"]] == [["tutoring"]]

    assert len(ncalayer.requests) == 2
    for request in ncalayer.requests:
        assert_asked_to_sign(request, LEGAL_ENTITY, "ru", test_keys=True)
