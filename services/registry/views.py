"""Registry's read side: the queries behind its lists and the shapes of its answers, each dumped
through its contract once, here; the gateway passes them on as they are."""
import base64
import datetime as dt
import hashlib

from sqlalchemy import select

from common.auth import STEP_UP_TTL_SECONDS
from common.clock import as_utc, utcnow
from common.contracts import registry as contracts
from common.contracts.base import shared
from common.db import page
from services.registry import access, rules
from services.registry.models import AuditEntry, Organisation, Region, Site, SiteDirection, StaffUser, Student, \
    University


def dumped(contract, data, many=False):
    return shared(contract, many).dump(data)


def a_page(contract, session, query, filters):
    items, total = page(session, query, filters["limit"], filters["offset"])
    return dumped(contract, {"items": items, "total": total})


# Reference data

def regions(session):
    return dumped(contracts.RegionOut, session.scalars(select(Region).order_by(Region.code)).all(), many=True)


def universities(session, region=None):
    query = select(University).order_by(University.name)
    if region:
        query = query.where(University.region == region)
    return dumped(contracts.UniversityOut, session.scalars(query).all(), many=True)


def university(row):
    return dumped(contracts.UniversityOut, row)


# Sign-in

def challenge(challenge, text, accepts_test_keys, agreement_version=None, agreement_language=None):
    """`agreement_*`: the accession agreement inside `text`, if it is one."""
    return dumped(contracts.ChallengeOut, {
        "nonce": challenge.nonce, "expires_at": challenge.expires_at, "data_to_sign": text,
        "data_base64": base64.b64encode(text.encode("utf-8")).decode(), "accepts_test_keys": accepts_test_keys,
        "agreement_version": agreement_version, "agreement_language": agreement_language})


def step_up(token):
    return dumped(contracts.StepUpOut, {"step_up_token": token, "expires_in": STEP_UP_TTL_SECONDS})


def token(principal, name, access_token, ttl, refresh, refresh_ttl):
    return dumped(contracts.TokenOut, {
        "access_token": access_token, "token_type": "Bearer", "expires_in": ttl, "refresh_token": refresh,
        "refresh_expires_in": refresh_ttl, "user_id": principal.user_id, "roles": list(principal.roles),
        "scope": {k: v for k, v in principal.scope.items() if v}, "name": name})


# Students and their enrolment

def student(row):
    return dumped(contracts.StudentOut, row)


def enrolled_data(student):
    return {"student_id": student.id, "iin": student.iin, "full_name": student.full_name,
            "registered_at": student.created_at, "enrolment": student.enrolment}


def enrolled(student):
    return dumped(contracts.EnrolledStudentOut, enrolled_data(student))


def enrolments(session, university_id, filters):
    """The registrar's university's students with their enrolment, oldest registration first."""
    query = select(Student).where(Student.university_id == university_id).order_by(Student.created_at, Student.id)
    if filters.get("status"):
        query = query.where(Student.enrolment_status == filters["status"])
    items, total = page(session, query, filters["limit"], filters["offset"])
    return dumped(contracts.EnrolledStudentPage, {"items": [enrolled_data(s) for s in items], "total": total})


def roster(outcomes, counts):
    return dumped(contracts.RosterOut, {"counts": counts, "results": [
        {"row": row.row, "iin": row.iin, "outcome": outcome} for row, outcome in outcomes]})


def verdict(evidence, public, mismatch=None, invalid=None):
    """A kept signature's verdict: `mismatch` why what was presented is not what is on record, `invalid`
    why the signature no longer holds (None: it matches, it holds)."""
    signer = evidence["signer"]
    return dumped(contracts.SignatureVerdictOut, {
        "signer_name": signer["name"], "signer_role": signer["role"], "signer_bin": signer["bin"],
        "signer_iin": rules.masked_iin(signer["iin"]) if public else signer["iin"],
        "signed_at": dt.datetime.fromisoformat(evidence["signed_at"]), "document_sha256": evidence["document_sha256"],
        "matches_record": mismatch is None, "valid": invalid is None, "reason": invalid or mismatch})


def agreement(row):
    return dumped(contracts.AgreementOut, {field: getattr(row, field) for field in contracts.AgreementOut().fields}
                  | {"signed_at": as_utc(row.signed_at)})


# Organisations, sites, staff, audit

def organisation(row):
    return dumped(contracts.OrganisationOut, row)


def organisations(session, principal, filters):
    query = select(Organisation).order_by(Organisation.created_at, Organisation.id)
    visible = access.organisations_condition(principal)
    if visible is not None:
        query = query.where(visible)
    for key in ("region", "status"):
        if filters.get(key):
            query = query.where(getattr(Organisation, key) == filters[key])
    return a_page(contracts.OrganisationPage, session, query, filters)


def site(row):
    return dumped(contracts.SiteOut, row)


def sites(session, filters):
    """Sites of accredited organisations: where projects can run."""
    query = select(Site).join(Organisation).where(Organisation.status == rules.ACCREDITED) \
        .order_by(Site.created_at, Site.id)
    for key in ("region", "organisation_id", "online"):
        if filters.get(key) is not None:
            query = query.where(getattr(Site, key) == filters[key])
    if filters.get("direction"):
        query = query.where(Site.id.in_(select(SiteDirection.site_id)
                                        .where(SiteDirection.direction == filters["direction"])))
    return a_page(contracts.SitePage, session, query, filters)


def staff(row):
    return dumped(contracts.StaffOut, row)


def staff_list(session, filters):
    query = select(StaffUser).order_by(StaffUser.created_at, StaffUser.id)
    for key in ("role", "region", "organisation_id"):
        if filters.get(key):
            query = query.where(getattr(StaffUser, key) == filters[key])
    return a_page(contracts.StaffPage, session, query, filters)


def audit(session, filters):
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    for key in ("entity", "entity_id", "actor_id", "action"):
        if filters.get(key):
            query = query.where(getattr(AuditEntry, key) == filters[key])
    return a_page(contracts.AuditPage, session, query, filters)


# Signing with eGov Mobile

def mobile_signing(signing, link_key=None):
    """The session as the portal polls it; the gateway draws the QR and the links of a new one."""
    answer = dumped(contracts.MobileSigningOut, {
        "id": signing.id, "purpose": signing.purpose, "expires_at": as_utc(signing.expires_at),
        "status": rules.mobile_signing_status(signing.signed_at, as_utc(signing.expires_at), utcnow()),
        **{key: getattr(signing, key) for key in ("nonce", "agreement_version", "agreement_language",
                                                  "placement_id", "signature", "signer_name")},
        **dict.fromkeys(("qr_content", "qr_svg", "app_link", "business_app_link"))})
    return answer | {"link_key": link_key} if link_key else answer


def mobile_document_id(signing):
    return {rules.MOBILE_LOGIN: "sign-in", rules.MOBILE_REGISTER: f"agreement-{signing.agreement_version}",
            rules.MOBILE_REPORT: f"report-{signing.placement_id}"}[signing.purpose]


def mobile_documents(signing, document_cms):
    """API 2's answer: the one document; `meta` says what binds it (nonce, agreement, the PDF's digest)."""
    names = rules.MOBILE_DESCRIPTIONS[signing.purpose]
    if signing.purpose == rules.MOBILE_REPORT:
        meta = {"placement": signing.placement_id, "SHA-256": hashlib.sha256(signing.content).hexdigest()}
    else:
        meta = {"nonce": signing.nonce, "agreement": signing.agreement_version,
                "language": signing.agreement_language}
    return dumped(contracts.EgovDocuments, {"signMethod": rules.MOBILE_SIGN_METHOD, "documentsToSign": [{
        "id": mobile_document_id(signing), "nameRu": names[0], "nameKz": names[1], "nameEn": names[2],
        "meta": [{"name": name, "value": value} for name, value in meta.items() if value],
        "documentCms": document_cms}]})


def mobile_description(signing, token, config):
    """API 1's answer (the gateway adds API 2's address); the platform's organisation from `config`."""
    organisation = {key: str(config.get(f"EGOV_MOBILE_ORGANISATION_{key.upper()}") or "")
                    for key in ("nameRu", "nameKz", "nameEn", "bin")}
    organisation["bin"] = organisation["bin"].zfill(12) if organisation["bin"] else ""  # YAML reads it as a number
    return dumped(contracts.EgovApi1Out, {
        "description": " / ".join(rules.MOBILE_DESCRIPTIONS[signing.purpose]),
        "expiry_date": as_utc(signing.expires_at), "organisation": organisation,
        "document": {"uri": "", "auth_type": "Token", "auth_token": token}})
