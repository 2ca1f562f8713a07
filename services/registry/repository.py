"""Registry's queries and writes, so the service stays thin."""
import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, or_, select, update

from common import programme
from common.auth import ADMIN, COORDINATOR, REGIONAL_OFFICERS, Principal
from common.clock import utcnow
from common.contracts import registry as events
from common.db import page
from common.errors import Unauthenticated
from common.ids import new_id
from common.outbox import record_event
from services.registry import rules
from services.registry.models import (AgreementSignature, AuditEntry, LoginChallenge, MobileSigning, Organisation,
                                      OutboxEvent, RefreshToken, Region, RosterEntry, Site, SiteDirection, StaffUser,
                                      Student, University)


def seed_reference_data(session):
    """Regions and a few universities; safe to run on every start."""
    for code, region in programme.REGIONS.items():
        if session.get(Region, code) is None:
            session.add(Region(code=code, name_en=region["en"], name_ru=region["ru"], kind=region["kind"]))
    session.flush()
    for university in programme.SEED_UNIVERSITIES:
        if find_university_by_code(session, university["code"]) is None:
            add_university(session, university)


def list_regions(session):
    return session.scalars(select(Region).order_by(Region.code)).all()


def find_university_by_code(session, code):
    return session.scalar(select(University).where(University.code == code))


def list_universities(session, region=None):
    query = select(University).order_by(University.name)
    if region:
        query = query.where(University.region == region)
    return session.scalars(query).all()


def add_university(session, data, request_id=None):
    university = University(id=new_id(), **data)
    session.add(university)
    record_event(session, OutboxEvent, events.UNIVERSITY_ADDED,
                 {"university_id": university.id, **data}, request_id)
    return university


# The audit log

def snapshot(row):
    """A row's columns as JSON-ready values, for the audit log."""
    values = {}
    for column in row.__table__.columns:
        value = getattr(row, column.key)
        values[column.key] = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
    if isinstance(row, Site):
        values["directions"] = row.directions
    return values


def audit(session, actor, action, row, before=None):
    """Record that `actor` (a Principal) did `action` to `row`; `before` is its earlier snapshot."""
    session.flush()
    session.add(AuditEntry(at=utcnow(), actor_id=actor.user_id, actor_roles=",".join(actor.roles), action=action,
                           entity=row.__tablename__, entity_id=row.id, before=before, after=snapshot(row)))


def list_audit(session, filters, limit, offset):
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    for key in ("entity", "entity_id", "actor_id", "action"):
        if filters.get(key):
            query = query.where(getattr(AuditEntry, key) == filters[key])
    items, total = page(session, query, limit, offset)
    return {"items": items, "total": total}


# EDS login challenges

def create_challenge(session, ttl_seconds):
    now = utcnow()
    challenge = LoginChallenge(nonce=secrets.token_urlsafe(32), created_at=now,
                               expires_at=now + dt.timedelta(seconds=ttl_seconds))
    session.add(challenge)
    return challenge


def use_challenge(session, nonce):
    """Mark the challenge used and return when it was issued; Unauthenticated if unknown, used or
    expired. One conditional UPDATE, so two requests racing with the same nonce cannot both win."""
    now = utcnow()
    issued_at = session.execute(update(LoginChallenge).where(
        LoginChallenge.nonce == nonce, LoginChallenge.used_at.is_(None), LoginChallenge.expires_at > now,
    ).values(used_at=now).returning(LoginChallenge.created_at)).scalar()
    if issued_at is not None:
        return issued_at
    challenge = session.get(LoginChallenge, nonce)
    if challenge is None:
        reason = "unknown challenge: ask for a new nonce"
    elif challenge.used_at is not None:
        reason = "this challenge was already used: ask for a new nonce"
    else:
        reason = "this challenge has expired: ask for a new nonce"
    raise Unauthenticated(reason, {"nonce": [reason]})


def spend_challenge(session, nonce):
    """Mark the challenge used, if it is not, whatever its state: a refused try uses it up."""
    session.execute(update(LoginChallenge).where(LoginChallenge.nonce == nonce, LoginChallenge.used_at.is_(None))
                    .values(used_at=utcnow()))


def forget_expired_challenges(session, older_than):
    session.execute(delete(LoginChallenge).where(LoginChallenge.expires_at < older_than))


# Refresh tokens

def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def add_refresh_token(session, account_id, name, ttl_seconds):
    """A new refresh token for the account (the token; only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(RefreshToken(digest=_digest(token), account_id=account_id, name=name, issued_at=now,
                             expires_at=now + dt.timedelta(seconds=ttl_seconds)))
    return token


def use_refresh_token(session, token):
    """Revoke the refresh token and return it; None if unknown, revoked or expired. A revoked token
    shown again means it was copied: every token of its account is revoked too."""
    now = utcnow()
    row = session.execute(update(RefreshToken).where(
        RefreshToken.digest == _digest(token), RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now,
    ).values(revoked_at=now).returning(RefreshToken)).scalar()
    if row is None:
        reused = session.get(RefreshToken, _digest(token))
        if reused is not None and reused.revoked_at is not None:
            revoke_refresh_tokens(session, reused.account_id)
    return row


def revoke_refresh_tokens(session, account_id):
    session.execute(update(RefreshToken).where(RefreshToken.account_id == account_id,
                                               RefreshToken.revoked_at.is_(None)).values(revoked_at=utcnow()))


def forget_expired_refresh_tokens(session, older_than):
    session.execute(delete(RefreshToken).where(RefreshToken.expires_at < older_than))


# Signing with eGov Mobile

def add_mobile_signing(session, ttl_seconds, **fields):
    """A new signing session and the key of its link (only the key's digest is stored)."""
    link_key = secrets.token_urlsafe(32)
    now = utcnow()
    signing = MobileSigning(id=new_id(), link_digest=_digest(link_key), created_at=now,
                            expires_at=now + dt.timedelta(seconds=ttl_seconds), **fields)
    session.add(signing)
    return signing, link_key


def find_mobile_signing_by_link(session, link_key):
    return session.scalars(select(MobileSigning).where(MobileSigning.link_digest == _digest(link_key))).first()


def give_mobile_token(signing):
    """A fresh one-time token for the app's API 2 calls (the last one given is the one that counts)."""
    token = secrets.token_urlsafe(32)
    signing.token_digest = _digest(token)
    return token


def holds_mobile_token(signing, token):
    return bool(token) and signing.token_digest is not None and secrets.compare_digest(
        signing.token_digest, _digest(token))


def keep_mobile_signature(session, signing, signature, signer_name):
    """Keep the app's signature, once, before the session expires; False when another answer came
    first or the time ran out (one conditional UPDATE: two PUTs racing cannot both win)."""
    now = utcnow()
    kept = session.execute(update(MobileSigning).where(
        MobileSigning.id == signing.id, MobileSigning.signed_at.is_(None), MobileSigning.expires_at > now,
    ).values(signed_at=now, signature=signature, signer_name=signer_name)).rowcount
    return kept == 1


def forget_expired_mobile_signings(session, older_than):
    session.execute(delete(MobileSigning).where(MobileSigning.expires_at < older_than))


# Students

def find_student_by_iin(session, iin):
    return session.scalar(select(Student).where(Student.iin == iin))


def add_student(session, identity, person, data):
    now = utcnow()
    student = Student(id=new_id(), iin=identity.iin, full_name=identity.full_name, surname=identity.surname,
                      given_name=identity.given_name, birth_date=person.birth_date, sex=person.sex,
                      university_id=data["university_id"], region=data["region"], phone=data["phone"],
                      email=data["email"], language=data["language"],
                      certificate_serial=identity.certificate_serial, created_at=now, updated_at=now,
                      enrolment_status=rules.ENROLMENT_PENDING, enrolment_version=0)
    session.add(student)
    record_event(session, OutboxEvent, events.STUDENT_REGISTERED, {
        "student_id": student.id, "iin": student.iin, "full_name": student.full_name, "university_id": student.university_id,
        "region": student.region, "email": student.email, "language": student.language})
    return student


def add_agreement(session, student_id, identity, version, language, text, signature):
    """The accession agreement `version` as the student signed it (once per version)."""
    agreement = AgreementSignature(
        id=new_id(), student_id=student_id, version=version, language=language, text=text, signature=signature,
        code=secrets.token_hex(15), signer_iin=identity.iin, signer_name=identity.full_name,
        signed_at=identity.signing_time, evidence=identity.evidence)
    session.add(agreement)
    return agreement


def find_agreement(session, student_id, version=None):
    """The student's agreement at `version`, else the latest they signed; None if they signed none."""
    query = select(AgreementSignature).where(AgreementSignature.student_id == student_id)
    if version:
        query = query.where(AgreementSignature.version == version)
    return session.scalars(query.order_by(AgreementSignature.signed_at.desc()).limit(1)).first()


def find_agreement_by_code(session, code):
    return session.scalars(select(AgreementSignature).where(AgreementSignature.code == code)).first()


CONTACTS = ("email", "language")


def update_student(session, student, changes):
    """Apply `changes`; a new university is a transfer, announced as student.transferred, and a new
    email or language as student.contacts_changed."""
    if changes.get("university_id", student.university_id) != student.university_id:
        record_event(session, OutboxEvent, events.STUDENT_TRANSFERRED, {
            "student_id": student.id, "from_university_id": student.university_id,
            "to_university_id": changes["university_id"]})
    contacts_changed = any(changes.get(key, getattr(student, key)) != getattr(student, key) for key in CONTACTS)
    for key, value in changes.items():
        setattr(student, key, value)
    student.updated_at = utcnow()
    if contacts_changed:
        record_event(session, OutboxEvent, events.STUDENT_CONTACTS_CHANGED, {
            "student_id": student.id, "full_name": student.full_name, "email": student.email,
            "language": student.language})


# Enrolment

def set_enrolment(session, student, status, reason=None, by=None, by_name=None):
    """The student's enrolment at their university now, who decided it (None: nobody yet), announced
    whole as student.enrolment_changed with the next version."""
    student.enrolment_status, student.enrolment_reason = status, reason
    student.enrolment_decided_by, student.enrolment_decided_by_name = by, by_name
    student.enrolment_decided_at = utcnow() if by else None
    student.enrolment_version = (student.enrolment_version or 0) + 1
    record_event(session, OutboxEvent, events.STUDENT_ENROLMENT_CHANGED, {
        "student_id": student.id, "university_id": student.university_id, "status": status, "reason": reason,
        "version": student.enrolment_version})


def arrive(session, student):
    """A student registered at, or transferred to, their university: confirmed at once when its
    roster listed them beforehand, else pending (only a change is announced)."""
    entry = session.get(RosterEntry, (student.university_id, student.iin))
    status = rules.enrolment_on_arrival(entry is not None)
    if status != student.enrolment_status or student.enrolment_version:
        set_enrolment(session, student, status, by=entry and entry.added_by, by_name=entry and entry.added_by_name)


def list_enrolments(session, university_id, filters, limit, offset):
    query = select(Student).where(Student.university_id == university_id).order_by(Student.created_at, Student.id)
    if filters.get("status"):
        query = query.where(Student.enrolment_status == filters["status"])
    items, total = page(session, query, limit, offset)
    return {"items": items, "total": total}


def students_by_iin(session, iins):
    """The registered students with these IINs, locked for the roster's changes: {iin: student}."""
    found = {}
    iins = sorted(iins)
    for start in range(0, len(iins), 1000):
        chunk = iins[start:start + 1000]
        found.update((s.iin, s) for s in session.scalars(
            select(Student).where(Student.iin.in_(chunk)).with_for_update()))
    return found


def apply_roster(session, outcomes, students, principal):
    """A registrar's roster of good rows: each registered student's change, audited; each IIN not
    registered yet kept, for its holder to be confirmed on arrival."""
    for row, outcome in outcomes:
        if outcome == rules.PRE_CONFIRMED:
            if session.get(RosterEntry, (principal.university_id, row.iin)) is None:
                session.add(RosterEntry(university_id=principal.university_id, iin=row.iin,
                                        added_by=principal.user_id, added_by_name=principal.name, added_at=utcnow()))
        elif outcome != rules.UNCHANGED:
            student = students[row.iin]
            before = snapshot(student)
            reason = row.reason if outcome == rules.ENROLMENT_REFUSED else None
            set_enrolment(session, student, outcome, reason, by=principal.user_id, by_name=principal.name)
            audit(session, principal, f"enrolment.roster.{row.decision}", student, before)


# Staff users

def find_staff_by_iin(session, iin):
    return session.scalar(select(StaffUser).where(StaffUser.iin == iin))


def add_staff(session, data, created_by):
    staff = StaffUser(id=new_id(), iin=data["iin"], full_name=data["full_name"], role=data["role"],
                      region=data.get("region"), organisation_id=data.get("organisation_id"),
                      site_id=data.get("site_id"), university_id=data.get("university_id"), active=True,
                      created_by=created_by, created_at=utcnow())
    session.add(staff)
    return staff


def bind_representative(staff, organisation):
    """The representative of an ended application becomes the new application's representative."""
    staff.role, staff.region, staff.active = COORDINATOR, organisation.region, True
    staff.organisation_id, staff.site_id, staff.university_id = organisation.id, None, None


def bootstrap_admin(session, iin, full_name):
    """The first admin, from the command line; returns (staff user, whether it was created now)."""
    problem = rules.iin_problem(iin)
    if problem:
        raise ValueError(problem)
    existing = find_staff_by_iin(session, iin)
    if existing is not None:
        if existing.role != ADMIN:
            raise ValueError(f"this IIN already has a staff account as {existing.role}")
        return existing, False
    staff = add_staff(session, {"iin": iin, "full_name": full_name, "role": ADMIN}, created_by="bootstrap")
    audit(session, Principal(user_id="bootstrap", roles=("ops",)), "staff.create", staff)
    return staff, True


def list_staff(session, filters, limit, offset):
    query = select(StaffUser).order_by(StaffUser.created_at, StaffUser.id)
    for key in ("role", "region", "organisation_id"):
        if filters.get(key):
            query = query.where(getattr(StaffUser, key) == filters[key])
    items, total = page(session, query, limit, offset)
    return {"items": items, "total": total}


# Organisations and sites

def find_organisation_by_bin(session, bin_):
    """The live organisation with this BIN, else its latest ended application, else None."""
    ended = Organisation.status.in_(rules.BIN_FREED_BY)
    return session.scalar(select(Organisation).where(Organisation.bin == bin_)
                          .order_by(ended, Organisation.created_at.desc()).limit(1))


def add_organisation(session, data):
    now = utcnow()
    organisation = Organisation(id=new_id(), bin=data["bin"], name=data["name"], kind=data["kind"],
                                region=data["region"], address=data["address"], phone=data["phone"],
                                email=data["email"], status=rules.PENDING, created_at=now, updated_at=now)
    session.add(organisation)
    return organisation


def add_site(session, organisation, data):
    site = Site(id=new_id(), organisation_id=organisation.id, name=data["name"], address=data["address"],
                city=data["city"], region=organisation.region, online=data["online"], created_at=utcnow(),
                direction_rows=[SiteDirection(direction=d) for d in sorted(set(data["directions"]))])
    session.add(site)
    session.flush()
    session.refresh(organisation, ["sites"])
    if organisation.status == rules.ACCREDITED:
        record_event(session, OutboxEvent, events.SITE_ADDED, {"organisation_id": organisation.id,
                                                               **site_event_data(site)})
    return site


def site_event_data(site):
    return {"site_id": site.id, "name": site.name, "address": site.address, "city": site.city,
            "region": site.region, "directions": site.directions, "online": site.online}


def decide(session, organisation, status, actor, reason):
    """Set the organisation's new status and announce it (a withdrawn application was never
    announced, so its end is not either)."""
    organisation.status = status
    organisation.reason = reason
    organisation.decided_by = actor.user_id
    organisation.decided_at = organisation.updated_at = utcnow()
    if status == rules.WITHDRAWN:
        return
    if status == rules.ACCREDITED:
        record_event(session, OutboxEvent, events.ORGANISATION_ACCREDITED, {
            "organisation_id": organisation.id, "name": organisation.name, "region": organisation.region,
            "sites": [site_event_data(site) for site in organisation.sites]})
    else:
        event = events.ORGANISATION_REJECTED if status == rules.REJECTED else events.ORGANISATION_SUSPENDED
        record_event(session, OutboxEvent, event, {"organisation_id": organisation.id,
                                                   "region": organisation.region, "reason": reason})


def visible_organisations(principal):
    """The SQL condition matching `rules.may_see_organisation` for lists."""
    if rules.sees_every_organisation(principal):
        return None
    conditions = [Organisation.status == rules.ACCREDITED]
    if principal.has(*REGIONAL_OFFICERS) and principal.region:
        conditions.append(Organisation.region == principal.region)
    if principal.has(COORDINATOR) and principal.organisation_id:
        conditions.append(Organisation.id == principal.organisation_id)
    return or_(*conditions)


def list_organisations(session, principal, filters, limit, offset):
    query = select(Organisation).order_by(Organisation.created_at, Organisation.id)
    visible = visible_organisations(principal)
    if visible is not None:
        query = query.where(visible)
    for key in ("region", "status"):
        if filters.get(key):
            query = query.where(getattr(Organisation, key) == filters[key])
    items, total = page(session, query, limit, offset)
    return {"items": items, "total": total}


def list_sites(session, filters, limit, offset):
    """Sites of accredited organisations: where projects can run."""
    query = select(Site).join(Organisation).where(Organisation.status == rules.ACCREDITED) \
        .order_by(Site.created_at, Site.id)
    for key in ("region", "organisation_id", "online"):
        if filters.get(key) is not None:
            query = query.where(getattr(Site, key) == filters[key])
    if filters.get("direction"):
        query = query.where(Site.id.in_(select(SiteDirection.site_id)
                                        .where(SiteDirection.direction == filters["direction"])))
    items, total = page(session, query, limit, offset)
    return {"items": items, "total": total}
