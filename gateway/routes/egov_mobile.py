"""Signing with eGov Mobile by QR (SmartBridge NITEC-S-5096; docs/eds.md, "eGov Mobile").

The portal opens a signing session for a sign-in, a registration (the accession agreement) or a
completion report, and shows its QR: `mobileSign:` and the service link (API 1). eGov Mobile GETs API 1
(what to show, and a one-time token), GETs API 2 with that token (the document's bytes) and PUTs the
signed CMS back to API 2. The portal polls the session and, once signed, sends the CMS to
/auth/login, /auth/register or /reports as it sends NCALayer's. The gateway draws the QR (segno, SVG)
and builds the links; registry keeps the sessions and verifies the signature."""
from urllib.parse import quote

from common.contracts.registry import EgovApi1Out, EgovDocuments, MobileSigningIn, MobileSigningOut
from common.errors import ValidationFailed
from gateway.http import bearer_token, route
from gateway.qr import qr_svg

TAG = "egov-mobile"
PREFIX = "/api/v1/egov-mobile"
# eGov Mobile's (a person's keys) and eGov Business's (a company's keys) cross-app links
APP_LINK = "https://mgovsign.page.link/?link={}&isi=1476128386&ibi=kz.egov.mobile&apn=kz.mobile.mgov"
BUSINESS_APP_LINK = ("https://egovbusiness.page.link/?link={}&isi=1597880144&ibi=kz.mobile.mgov.business"
                     "&apn=kz.mobile.mgov.business")


class EgovMobileRoutes:

    def _service_link(self, request, link_key):
        """API 1's address as the phone reaches it: EGOV_MOBILE_BASE_URL behind a proxy, else this host."""
        base = (self.config.get("EGOV_MOBILE_BASE_URL") or request.host_url).rstrip("/")
        return f"{base}{PREFIX}/links/{link_key}"

    @route("POST", f"{PREFIX}/signings", summary="Open a signing with eGov Mobile by QR: sign-in, registration "
           "(the accession agreement) or a completion report (its coordinator); answers the QR and the "
           "cross-app link, and the id to poll", tag=TAG, public=True, body=MobileSigningIn,
           response=MobileSigningOut, status=201, errors=(400, 401, 403, 404, 409, 422, 429))
    def start_mobile_signing(self, request, body):
        if body["purpose"] == "report":
            if not body["placement_id"]:
                raise ValidationFailed("a report is signed for its placement", {"placement_id": ["required"]})
            document = self.timesheet.report_document(body["placement_id"])
            body = {**body, **{key: document[key] for key in ("document_base64", "organisation_id",
                                                                "signable_since")}}
        else:
            self.login_rate_limit(request)
        signing = self.registry.start_mobile_signing(body)
        link = self._service_link(request, signing.pop("link_key"))
        qr_content = f"mobileSign:{link}"
        return {**signing, "qr_content": qr_content,
                "qr_svg": qr_svg(qr_content),
                "app_link": APP_LINK.format(quote(link, safe="")),
                "business_app_link": BUSINESS_APP_LINK.format(quote(link, safe="")) if body["purpose"] == "report"
                else None}

    @route("GET", f"{PREFIX}/signings/<signing_id>", summary="The portal's poll of its signing: waiting, signed "
           "(with the CMS to send on) or expired", tag=TAG, public=True, response=MobileSigningOut, errors=(404,),
           dumped=True)
    def get_mobile_signing(self, request, signing_id):
        return self.registry.get_mobile_signing(signing_id)

    @route("GET", f"{PREFIX}/links/<link_key>", summary="eGov Mobile's API 1: what is signed, by whom it is "
           "asked, until when, and API 2's address with a one-time token", tag=TAG, public=True,
           response=EgovApi1Out, errors=(404, 409, 410))
    def egov_api_1(self, request, link_key):
        answer = self.registry.describe_mobile_signing(link_key)
        answer["document"]["uri"] = f"{self._service_link(request, link_key)}/documents"
        return answer

    @route("GET", f"{PREFIX}/links/<link_key>/documents", summary="eGov Mobile's API 2: the document to sign "
           "(its bytes, base64, in documentCms); Authorization: Bearer the token of API 1", tag=TAG, public=True,
           response=EgovDocuments, errors=(401, 404, 409, 410), dumped=True)
    def egov_api_2(self, request, link_key):
        return self.registry.mobile_documents(link_key, bearer_token(request) or "")

    @route("PUT", f"{PREFIX}/links/<link_key>/documents", summary="eGov Mobile's API 2: the signed document, "
           "its CMS in documentCms; verified and kept once", tag=TAG, public=True, body=EgovDocuments,
           response=EgovDocuments, errors=(400, 401, 403, 404, 409, 410, 422), dumped=True)
    def egov_api_2_signed(self, request, link_key, body):
        return self.registry.sign_mobile_documents(link_key, bearer_token(request) or "", body)
