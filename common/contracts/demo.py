"""Demo mode's signer (`ops/demo.py`): the demo people, and signatures by their demo keys. The routes
answer only on a gateway in demo mode; a signature made here is verified by the registry as any other."""
from marshmallow import fields, validate

from common.contracts.base import Contract


class DemoPersonOut(Contract):
    key = fields.String(required=True)
    role = fields.String(required=True)
    name = fields.String(required=True)
    iin = fields.String(required=True)
    certificate = fields.String(metadata={"description": "individual, head (of the organisation) or employee"})
    organisation = fields.String(allow_none=True)
    about = fields.String()
    try_ = fields.String(data_key="try", metadata={"description": "what to try first as this person"})


class DemoPeople(Contract):
    items = fields.List(fields.Nested(DemoPersonOut), required=True)


class DemoSignIn(Contract):
    person = fields.String(required=True, validate=validate.Length(min=1, max=64))
    # a challenge's text, or a document as large as a request may carry (a completion report's PDF)
    data_base64 = fields.String(required=True, validate=validate.Length(min=1, max=1_048_576),
                                metadata={"description": "the challenge's data_base64, or a document's bytes"})


class DemoSignatureOut(Contract):
    signature = fields.String(required=True, metadata={"description": "base64 CMS SignedData, as NCALayer's"})
