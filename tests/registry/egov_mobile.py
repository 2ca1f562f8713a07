"""A client that behaves as eGov Mobile does with a QR of the platform, written from the public protocol
of eGov Mobile's QR signing (SmartBridge NITEC-S-5096) alone:

    app = EgovMobile(user)                          # a person's (or a company's) GOST key in the app
    answer = app.sign(signing["qr_content"])        # scan, API 1, API 2, sign, PUT: the PUT's response

It reads `mobileSign:<service link>` from the QR, GETs the service link (API 1), GETs `document.uri`
with `Authorization: Bearer <auth_token>` (API 2), signs each document's bytes (`documentCms`, base64)
with the key as a CMS (attached, or detached with `detached=True`) and PUTs the same structure back
with the CMS in `documentCms`. Its steps are open for tests that go wrong on purpose."""
import base64
import datetime as dt

import requests

from tests.registry.gost_pki import gost_cms

QR_PREFIX = "mobileSign:"


class EgovMobile:
    def __init__(self, user, detached=False):
        self.user = user
        self.detached = detached
        self.http = requests.Session()

    @staticmethod
    def scan(qr_content):
        assert qr_content.startswith(QR_PREFIX), qr_content
        return qr_content[len(QR_PREFIX):]

    def api_1(self, qr_content):
        """API 1: what the app shows and where API 2 is, with its token."""
        response = self.http.get(self.scan(qr_content))
        assert response.status_code == 200, response.text
        answer = response.json()
        assert set(answer) == {"description", "expiry_date", "organisation", "document"}, answer
        assert set(answer["organisation"]) == {"nameRu", "nameKz", "nameEn", "bin"}, answer
        assert answer["document"]["auth_type"] == "Token" and answer["document"]["auth_token"], answer
        assert dt.datetime.fromisoformat(answer["expiry_date"]) > dt.datetime.now(dt.timezone.utc)
        return answer

    def api_2(self, api_1):
        """API 2 GET: the documents to sign."""
        response = self.http.get(api_1["document"]["uri"], headers=self.auth(api_1))
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["signMethod"] == "CMS" and answer["documentsToSign"], answer
        for document in answer["documentsToSign"]:
            assert set(document) == {"id", "nameRu", "nameKz", "nameEn", "meta", "documentCms"}, document
        return answer

    @staticmethod
    def auth(api_1, token=None):
        return {"Authorization": f"Bearer {token or api_1['document']['auth_token']}"}

    def signed(self, documents, content_of=None):
        """The same structure, each documentCms now the CMS over its bytes (or over `content_of(bytes)`)."""
        signed = []
        for document in documents["documentsToSign"]:
            content = base64.b64decode(document["documentCms"])
            content = content_of(content) if content_of else content
            signed.append({**document, "documentCms": gost_cms(self.user, content, detached=self.detached)})
        return {"signMethod": documents["signMethod"], "documentsToSign": signed}

    def put(self, api_1, body, token=None):
        return self.http.put(api_1["document"]["uri"], json=body, headers=self.auth(api_1, token))

    def sign(self, qr_content):
        """The whole path as the person goes through it: scan, look, sign, send. The PUT's response."""
        api_1 = self.api_1(qr_content)
        return self.put(api_1, self.signed(self.api_2(api_1)))
