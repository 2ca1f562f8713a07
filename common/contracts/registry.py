"""Registry's RPC payloads and the events it publishes: people, universities, organisations, sites."""
import enum

from marshmallow import fields, validate

from common.auth import ROLES, STUDENT
from common.contracts.base import (Contract, EventType, PageQuery, direction_field, id_field, page_of, region_field,
                                   text_field)
from common.domain import State

SOURCE = "registry"
STAFF_ROLES = tuple(role for role in ROLES if role != STUDENT)
LANGUAGES = ("kk", "ru", "en")
ORGANISATION_KINDS = ("school", "kindergarten", "care_home", "centre", "ngo", "hospital", "other")


# States, declared once: the contracts take their values, registry's rules their transitions, its
# tables a CHECK constraint of their values.

class OrganisationStatus(State):
    """An organisation's application and accreditation; a rejected or withdrawn one frees its BIN."""
    PENDING = "pending"
    ACCREDITED = "accredited"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    TRANSITIONS = enum.nonmember({PENDING: {ACCREDITED, REJECTED, WITHDRAWN}, ACCREDITED: {SUSPENDED},
                                  SUSPENDED: {ACCREDITED}, REJECTED: set(), WITHDRAWN: set()})


ORGANISATION_STATUSES = tuple(OrganisationStatus)


class EnrolmentStatus(State):
    """A student's enrolment as their university's registrar decided it; a transfer starts it afresh."""
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    TRANSITIONS = enum.nonmember({PENDING: {CONFIRMED, REFUSED}, CONFIRMED: {REFUSED, PENDING},
                                  REFUSED: {CONFIRMED, PENDING}})


ENROLMENT_STATUSES = tuple(EnrolmentStatus)
ENROLMENT_DECISIONS = ("confirm", "refuse")


# RPC payloads


class RegionOut(Contract):
    code = fields.String()
    name_en = fields.String()
    name_ru = fields.String()
    kind = fields.String()


class UniversityIn(Contract):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9_-]{2,32}$"))
    name = text_field(2, 200, required=True)
    region = region_field(required=True)


class UniversityOut(Contract):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    region = fields.String()


# EDS sign-in. The client signs the nonce's ASCII bytes (`data_base64` is them in base64, as
# NCALayer's createCMSSignatureFromBase64 takes them) and sends base64 DER CMS SignedData.

AGREEMENT_LANGUAGES = ("ru", "kk")
AGREEMENT_VERSION = validate.Regexp(r"^[0-9A-Za-z-]{1,32}$")
SIGNATURE_DESCRIPTION = "CMS SignedData: base64 DER/BER, or PEM-armoured as NCALayer answers"


class ChallengeQuery(Contract):
    agreement_language = fields.String(validate=validate.OneOf(AGREEMENT_LANGUAGES), metadata={
        "description": "to join (register, or a student's first sign-in since agreements): data_to_sign is "
                       "the current accession agreement in this language with the nonce inside"})


class ChallengeOut(Contract):
    nonce = fields.String(required=True)
    data_to_sign = fields.String(required=True, metadata={
        "description": "the readable text the person signs: platform, purpose, nonce and time"})
    data_base64 = fields.String(required=True, metadata={"description": "data_to_sign's UTF-8 bytes, base64"})
    expires_at = fields.DateTime(required=True)
    accepts_test_keys = fields.Boolean(required=True, metadata={
        "description": "the deployment trusts test CAs (NCALayer then offers test keys too)"})
    agreement_version = fields.String(allow_none=True, load_default=None)
    agreement_language = fields.String(allow_none=True, load_default=None)


class SignedNonce(Contract):
    nonce = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{16,128}$"))
    signature = fields.String(required=True, validate=validate.Length(min=1, max=65536),
                              metadata={"description": "CMS SignedData over the challenge's data_to_sign: "
                                                       "base64 DER/BER, or PEM-armoured as NCALayer answers"})


class StepUpIn(SignedNonce):
    details = fields.Dict(required=True, metadata={"description": "exactly what the challenge was asked for"})


class StepUpOut(Contract):
    step_up_token = fields.String(required=True, metadata={
        "description": "send it as X-Step-Up with exactly these details, within expires_in seconds"})
    expires_in = fields.Integer(required=True)


class LoginIn(SignedNonce):
    role = fields.String(validate=validate.OneOf(ROLES),
                         metadata={"description": "which account, for a person who has several"})
    agreement_version = fields.String(validate=AGREEMENT_VERSION, metadata={
        "description": "the signature is over this version of the accession agreement (a student who has "
                       "not signed the current one signs it to sign in)"})
    agreement_language = fields.String(load_default="ru", validate=validate.OneOf(AGREEMENT_LANGUAGES))


class RegisterIn(SignedNonce):
    agreement_version = fields.String(required=True, validate=AGREEMENT_VERSION, metadata={
        "description": "the accession agreement's version in data_to_sign (a challenge with agreement_language)"})
    agreement_language = fields.String(required=True, validate=validate.OneOf(AGREEMENT_LANGUAGES))
    university_id = id_field(required=True)
    region = region_field(required=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\+?[0-9]{10,15}$"))
    email = fields.Email(load_default=None, allow_none=True)
    language = fields.String(load_default="ru", validate=validate.OneOf(LANGUAGES))


class TokenOut(Contract):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    refresh_token = fields.String(required=True, metadata={
        "description": "renews the access token at /auth/refresh (once: the answer holds the next one)"})
    refresh_expires_in = fields.Integer(required=True)
    user_id = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    scope = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    name = fields.String(required=True)


# Signed documents: the accession agreement, and the verification of any signature on record

class AgreementOut(Contract):
    version = fields.String(required=True)
    language = fields.String(required=True)
    text = fields.String(required=True, metadata={"description": "exactly the text the student signed"})
    signature = fields.String(required=True, metadata={"description": "its CMS SignedData (base64, text attached)"})
    code = fields.String(required=True, metadata={"description": "verification code: anyone holding the "
                                                                  "agreement verifies it with this code"})
    signer_name = fields.String(required=True)
    signer_iin = fields.String(required=True)
    signed_at = fields.DateTime(required=True)
    evidence = fields.Dict(required=True, metadata={"description": "the verification at signing: document "
                                                                   "digest, chain, revocation source and time"})


class DocumentSignatureIn(Contract):
    """A detached signature over a document's bytes, to verify for the organisation it is signed for."""
    signature = fields.String(required=True, validate=validate.Length(min=1, max=65536),
                              metadata={"description": SIGNATURE_DESCRIPTION})
    document_base64 = fields.String(required=True)
    organisation_id = fields.String(required=True)
    signable_since = fields.DateTime(required=True, metadata={
        "description": "when the document's content was settled: a signature dated earlier is refused"})


class SignatureVerifyIn(Contract):
    """What the holder of a signed document presents to verify it against the record."""
    signature = fields.String(required=True, validate=validate.Length(min=1, max=65536),
                              metadata={"description": SIGNATURE_DESCRIPTION})
    document_base64 = fields.String(load_default=None, validate=validate.Length(max=1_000_000), metadata={
        "description": "the document, for a detached signature (a report's PDF)"})


class KeptSignatureIn(Contract):
    """A signature kept with its document and evidence, and what someone presents against it."""
    signature = fields.String(required=True)
    document_base64 = fields.String(required=True)
    evidence = fields.Dict(required=True)
    presented = fields.Nested(SignatureVerifyIn, required=True)
    public = fields.Boolean(load_default=False, metadata={"description": "mask the signer's IIN"})


class SignatureVerdictOut(Contract):
    matches_record = fields.Boolean(required=True, metadata={
        "description": "the presented signature (and document) are the ones on record"})
    valid = fields.Boolean(required=True, metadata={
        "description": "the signature on record verifies again at its signing time"})
    reason = fields.String(allow_none=True, metadata={"description": "why not, when either is false"})
    signer_name = fields.String(required=True)
    signer_iin = fields.String(required=True)
    signer_role = fields.String(required=True)
    signer_bin = fields.String(allow_none=True)
    signed_at = fields.DateTime(required=True)
    document_sha256 = fields.String(required=True)


class AgreementVerifyIn(SignatureVerifyIn):
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{30}$"))


# Signing with eGov Mobile by QR (docs/eds.md, "eGov Mobile"): the portal's signing session, and the
# app's API 1 and API 2 as eGov Mobile's QR signing (SmartBridge NITEC-S-5096) names their fields.

MOBILE_PURPOSES = ("login", "register", "report")
MOBILE_STATUSES = ("waiting", "signed", "expired")
MOBILE_CMS_MAX = 1_000_000  # base64 of a report's PDF with its CMS, well inside the gateway's 1 MB body


class MobileSigningIn(Contract):
    purpose = fields.String(required=True, validate=validate.OneOf(MOBILE_PURPOSES), metadata={
        "description": "login; register (the accession agreement, with agreement_language); report (with "
                       "placement_id, the coordinator signed in)"})
    agreement_language = fields.String(validate=validate.OneOf(AGREEMENT_LANGUAGES), load_default=None)
    placement_id = id_field(load_default=None)


class MobileSigningStart(MobileSigningIn):
    """What registry needs to open a session: for a report, its PDF as timesheet renders it."""
    document_base64 = fields.String(load_default=None)
    organisation_id = fields.String(load_default=None)
    signable_since = fields.DateTime(load_default=None)


class MobileSigningOut(Contract):
    id = fields.String(required=True, metadata={"description": "the session, polled by the portal only"})
    purpose = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(MOBILE_STATUSES))
    expires_at = fields.DateTime(required=True)
    nonce = fields.String(allow_none=True, load_default=None)
    agreement_version = fields.String(allow_none=True, load_default=None)
    agreement_language = fields.String(allow_none=True, load_default=None)
    placement_id = fields.String(allow_none=True, load_default=None)
    signature = fields.String(allow_none=True, load_default=None, metadata={
        "description": "once signed: the CMS the app sent, for /auth/login, /auth/register or /reports"})
    signer_name = fields.String(allow_none=True, load_default=None)
    qr_content = fields.String(allow_none=True, load_default=None, metadata={
        "description": "at the start: the QR's text, mobileSign: and the service link (API 1)"})
    qr_svg = fields.String(allow_none=True, load_default=None, metadata={"description": "the QR drawn as SVG"})
    app_link = fields.String(allow_none=True, load_default=None, metadata={
        "description": "at the start: the cross-app link that opens eGov Mobile on this phone"})
    business_app_link = fields.String(allow_none=True, load_default=None, metadata={
        "description": "a report: the same for eGov Business (a company's keys)"})


class EgovOrganisation(Contract):
    nameRu = fields.String(required=True)
    nameKz = fields.String(required=True)
    nameEn = fields.String(required=True)
    bin = fields.String(required=True)


class EgovDocumentAuth(Contract):
    uri = fields.String(required=True, metadata={"description": "API 2"})
    auth_type = fields.String(required=True, validate=validate.Equal("Token"))
    auth_token = fields.String(required=True, metadata={"description": "a one-time bearer for API 2"})


class EgovApi1Out(Contract):
    description = fields.String(required=True)
    expiry_date = fields.DateTime(required=True)
    organisation = fields.Nested(EgovOrganisation, required=True)
    document = fields.Nested(EgovDocumentAuth, required=True)


class EgovMeta(Contract):
    name = fields.String(required=True, validate=validate.Length(max=200))
    value = fields.String(required=True, validate=validate.Length(max=1000))


class EgovDocument(Contract):
    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    nameRu = fields.String(required=True, validate=validate.Length(max=500))
    nameKz = fields.String(required=True, validate=validate.Length(max=500))
    nameEn = fields.String(required=True, validate=validate.Length(max=500))
    meta = fields.List(fields.Nested(EgovMeta), load_default=list, validate=validate.Length(max=20))
    documentCms = fields.String(required=True, validate=validate.Length(min=1, max=MOBILE_CMS_MAX), metadata={
        "description": "API 2 GET: base64 of the bytes to sign; PUT: the CMS over them, attached or detached"})


class EgovDocuments(Contract):
    signMethod = fields.String(required=True)
    documentsToSign = fields.List(fields.Nested(EgovDocument), required=True, validate=validate.Length(min=1, max=10))


class SignedOut(Contract):
    signed_out = fields.Boolean(required=True, metadata={"description": "the refresh tokens are revoked"})


class RefreshIn(Contract):
    refresh_token = fields.String(required=True, validate=validate.Length(1, 200))


# Students

class EnrolmentOut(Contract):
    """Whether the student's university confirmed they study there full-time: only then may they apply."""
    status = fields.String(required=True, validate=validate.OneOf(ENROLMENT_STATUSES), metadata={
        "description": "pending (registered, or transferred, and not yet confirmed), confirmed or refused"})
    university_id = fields.String(required=True)
    reason = fields.String(allow_none=True, load_default=None, metadata={"description": "why it was refused"})
    decided_by = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the registrar's name (or 'roster' with theirs, for a roster row)"})
    decided_at = fields.DateTime(allow_none=True, load_default=None)


class StudentOut(Contract):
    id = fields.String()
    iin = fields.String()
    full_name = fields.String()
    surname = fields.String()
    given_name = fields.String()
    birth_date = fields.Date(allow_none=True, metadata={"description": "null for a test CA's identity"})
    sex = fields.String(allow_none=True)
    university_id = fields.String()
    region = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    language = fields.String()
    created_at = fields.DateTime()
    enrolment = fields.Nested(EnrolmentOut)


class StudentPatch(Contract):
    phone = fields.String(allow_none=True, validate=validate.Regexp(r"^\+?[0-9]{10,15}$"))
    email = fields.Email(allow_none=True)
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    university_id = id_field()


class EnrolmentDecisionIn(Contract):
    decision = fields.String(required=True, validate=validate.OneOf(ENROLMENT_DECISIONS))
    reason = text_field(3, 1000, load_default=None, allow_none=True, metadata={"description": "required to refuse"})


class EnrolmentQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(ENROLMENT_STATUSES))


class EnrolledStudentOut(Contract):
    """A student of the registrar's university, as the enrolment queue lists them."""
    student_id = fields.String(required=True)
    iin = fields.String(required=True)
    full_name = fields.String(required=True)
    registered_at = fields.DateTime(required=True)
    enrolment = fields.Nested(EnrolmentOut, required=True)


EnrolledStudentPage = page_of(EnrolledStudentOut)


class RosterIn(Contract):
    """A roster CSV, as the gateway read it from the request's body (text/csv, UTF-8)."""
    csv = fields.String(required=True, validate=validate.Length(min=1))


class RosterRowOut(Contract):
    row = fields.Integer(required=True, metadata={"description": "the line in the file (the header is 1)"})
    iin = fields.String(required=True)
    outcome = fields.String(required=True, metadata={
        "description": "confirmed, refused, unchanged, or pre_confirmed (not registered yet: confirmed when "
                       "they register or transfer here)"})


class RosterOut(Contract):
    """A roster applied whole (one with a bad row is refused whole: 422, each bad row under fields.rows)."""
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    results = fields.List(fields.Nested(RosterRowOut), required=True)


# Organisations and their sites

class SiteIn(Contract):
    name = text_field(2, 200, required=True)
    address = text_field(3, 300, required=True)
    city = text_field(2, 100, required=True)
    directions = fields.List(direction_field(), required=True, validate=validate.Length(min=1))
    online = fields.Boolean(load_default=False)


class SiteOut(Contract):
    id = fields.String()
    organisation_id = fields.String()
    name = fields.String()
    address = fields.String()
    city = fields.String()
    region = fields.String()
    directions = fields.List(fields.String())
    online = fields.Boolean()
    created_at = fields.DateTime()


class OrganisationApply(SignedNonce):
    """Signed by the organisation's representative, who becomes its first staff user."""
    bin = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{12}$"), metadata={"description": (
        "12 digits: the year (2) and month (2, 01-12) of registration, the entity type (5th digit: 4 resident, "
        "5 non-resident, 6 joint entrepreneurship), its kind, a 5-digit serial and a check digit: the sum of "
        "the first 11 digits weighted 1..11, mod 11; if that is 10, weighted 3..11,1,2 mod 11 (10 again: no "
        "valid BIN). It must be the BIN in the signer's certificate. Under a test CA (NCA's test pack, demo "
        "mode) any 12 digits")})
    name = text_field(2, 200, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ORGANISATION_KINDS))
    region = region_field(required=True)
    address = text_field(3, 300, required=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\+?[0-9]{10,15}$"))
    email = fields.Email(load_default=None, allow_none=True)
    sites = fields.List(fields.Nested(SiteIn), load_default=list)


class OrganisationOut(Contract):
    id = fields.String()
    bin = fields.String()
    name = fields.String()
    kind = fields.String()
    region = fields.String()
    address = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    status = fields.String()
    reason = fields.String(allow_none=True)
    representative_id = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    sites = fields.List(fields.Nested(SiteOut))


class OrganisationQuery(PageQuery):
    region = region_field()
    status = fields.String(validate=validate.OneOf(ORGANISATION_STATUSES))


class SiteQuery(PageQuery):
    region = region_field()
    organisation_id = id_field()
    direction = direction_field()
    online = fields.Boolean()


class ReasonIn(Contract):
    reason = text_field(3, 1000, required=True)


# Staff users (everyone but students), bound to a scope

class StaffIn(Contract):
    iin = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{12}$"))
    full_name = text_field(2, 200, required=True)
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    region = region_field(metadata={"description": "MIO/NVS officers; derived for the others"})
    organisation_id = id_field(metadata={"description": "coordinators"})
    site_id = id_field(metadata={"description": "site coordinators"})
    university_id = id_field(metadata={"description": "registrars"})


class StaffOut(Contract):
    id = fields.String()
    iin = fields.String()
    full_name = fields.String()
    role = fields.String()
    region = fields.String(allow_none=True)
    organisation_id = fields.String(allow_none=True)
    site_id = fields.String(allow_none=True)
    university_id = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()


class StaffPatch(Contract):
    full_name = text_field(2, 200)
    active = fields.Boolean()


class StaffQuery(PageQuery):
    role = fields.String(validate=validate.OneOf(STAFF_ROLES))
    region = region_field()
    organisation_id = id_field()


# Audit log

class AuditOut(Contract):
    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.String()
    actor_roles = fields.String()
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class AuditQuery(PageQuery):
    entity = fields.String(validate=validate.Regexp(r"^[a-z_]{1,32}$"))
    entity_id = id_field()
    actor_id = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$"))
    action = fields.String(validate=validate.Regexp(r"^[a-z_.]{1,64}$"))


OrganisationPage = page_of(OrganisationOut)
SitePage = page_of(SiteOut)
StaffPage = page_of(StaffOut)
AuditPage = page_of(AuditOut)


# Events

class UniversityAdded(Contract):
    university_id = fields.String(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    region = region_field(required=True)


class StudentRegistered(Contract):
    student_id = fields.String(required=True)
    iin = fields.String(load_default=None, allow_none=True,
                        metadata={"description": "for the registrar's CSV of re-counts (credits)"})
    full_name = fields.String(required=True)
    university_id = fields.String(required=True)
    region = region_field(required=True)
    email = fields.String(load_default=None, allow_none=True)
    language = fields.String(load_default="ru")


class StudentContactsChanged(Contract):
    """How to reach the student now: the whole contact, so a consumer can apply it on its own."""
    student_id = fields.String(required=True)
    full_name = fields.String(required=True)
    email = fields.String(load_default=None, allow_none=True)
    language = fields.String(load_default="ru")


class StudentTransferred(Contract):
    student_id = fields.String(required=True)
    from_university_id = fields.String(required=True)
    to_university_id = fields.String(required=True)


class StudentEnrolmentChanged(Contract):
    """The student's enrolment now, whole: `version` grows with every change, so a consumer keeps the
    highest it saw whatever order the events arrive in."""
    student_id = fields.String(required=True)
    university_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ENROLMENT_STATUSES))
    reason = fields.String(load_default=None, allow_none=True)
    version = fields.Integer(required=True)


class Site(Contract):
    site_id = fields.String(required=True)
    name = fields.String(required=True)
    address = fields.String(required=True)
    city = fields.String(required=True)
    region = region_field(required=True)
    directions = fields.List(direction_field(), required=True)
    online = fields.Boolean(required=True)


class OrganisationAccredited(Contract):
    organisation_id = fields.String(required=True)
    name = fields.String(required=True)
    region = region_field(required=True)
    sites = fields.List(fields.Nested(Site), required=True)


class OrganisationRejected(Contract):
    organisation_id = fields.String(required=True)
    region = region_field(required=True)
    reason = fields.String(required=True)


class OrganisationSuspended(Contract):
    organisation_id = fields.String(required=True)
    region = region_field(required=True)
    reason = fields.String(required=True)


class SiteAdded(Site):
    organisation_id = fields.String(required=True)


UNIVERSITY_ADDED = EventType(SOURCE, "university.added", UniversityAdded)
STUDENT_REGISTERED = EventType(SOURCE, "student.registered", StudentRegistered)
STUDENT_CONTACTS_CHANGED = EventType(SOURCE, "student.contacts_changed", StudentContactsChanged)
STUDENT_TRANSFERRED = EventType(SOURCE, "student.transferred", StudentTransferred)
STUDENT_ENROLMENT_CHANGED = EventType(SOURCE, "student.enrolment_changed", StudentEnrolmentChanged)
ORGANISATION_ACCREDITED = EventType(SOURCE, "organisation.accredited", OrganisationAccredited)
ORGANISATION_REJECTED = EventType(SOURCE, "organisation.rejected", OrganisationRejected)
ORGANISATION_SUSPENDED = EventType(SOURCE, "organisation.suspended", OrganisationSuspended)
SITE_ADDED = EventType(SOURCE, "site.added", SiteAdded)
