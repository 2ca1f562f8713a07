"""Demo mode's signer for the portal: pick a demo person (or make a new demo student) and sign the
challenge with their demo key. The signature then goes to /auth/login or /auth/register like any other."""
import base64
import binascii

from common.contracts.demo import DemoPeople, DemoPersonOut, DemoSignatureOut, DemoSignIn
from common.errors import NotFound, ValidationFailed
from gateway.demo import DemoMode
from gateway.http import route

TAG = "demo"


class DemoRoutes:
    demo = DemoMode()

    def _authority(self):
        if self.demo.authority is None:
            raise NotFound("demo mode is off on this platform")
        return self.demo.authority

    @route("GET", "/api/v1/demo/people", summary="Demo mode only: the demo people to sign in as", tag=TAG,
           public=True, response=DemoPeople, errors=(404,))
    def demo_people(self, request):
        authority = self._authority()
        return {"items": [authority.public(p) for p in authority.people]}

    @route("POST", "/api/v1/demo/people", summary="Demo mode only: a new demo student with a fresh key", tag=TAG,
           public=True, response=DemoPersonOut, status=201, errors=(404,))
    def new_demo_student(self, request):
        authority = self._authority()
        with self.demo.lock:
            return authority.public(authority.new_student())

    @route("POST", "/api/v1/demo/sign", summary="Demo mode only: a demo person's CMS signature over the data",
           tag=TAG, public=True, body=DemoSignIn, response=DemoSignatureOut, errors=(404,))
    def demo_sign(self, request, body):
        authority = self._authority()
        try:
            data = base64.b64decode(body["data_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("the data is not base64", {"data_base64": ["not base64"]})
        try:
            return {"signature": authority.sign(body["person"], data)}
        except KeyError:
            raise NotFound("no such demo person", {"person": ["unknown demo person"]})
