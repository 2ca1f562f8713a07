"""Registry's write side: gets, adds and locks what a change needs; the domain (`domain.py`) changes it.

Challenges, refresh tokens and eGov Mobile signings are the security store: each is claimed by one
conditional UPDATE (`use_challenge`, `use_refresh_token`, `keep_mobile_signature`), so two requests
racing with the same nonce, token or link cannot both win. Their secrets are kept as digests.
"""
import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select, update

from common import programme
from common.auth import ADMIN, Principal
from common.clock import utcnow
from common.db import find, serialise
from common.errors import Unauthenticated
from common.ids import new_id
from common.outbox import record_event
from common.unit_of_work import track  # noqa: F401 (the entrypoints track the aggregates they change)
from services.registry import domain, rules
from services.registry.models import (AgreementSignature, AuditEntry, LoginChallenge, MobileSigning, Organisation,
                                      OutboxEvent, RefreshToken, Region, RosterEntry, Site, StaffUser,
                                      Student, University)


def add(session, *rows):
    session.add_all(rows)
    session.flush()


def seed_reference_data(session):
    """Regions and a few universities, from the command line; safe to run on every start."""
    for code, region in programme.REGIONS.items():
        if session.get(Region, code) is None:
            session.add(Region(code=code, name_en=region["en"], name_ru=region["ru"], kind=region["kind"]))
    session.flush()
    for data in programme.SEED_UNIVERSITIES:
        if find_university_by_code(session, data["code"]) is None:
            university = domain.University.add(data)
            session.add(university.row)
            for _, event_type, event_data in university.collect_events():  # no unit of work at the command line
                record_event(session, OutboxEvent, event_type, event_data)


def university(session, university_id):
    return find(session, University, university_id)


def find_university_by_code(session, code):
    return session.scalar(select(University).where(University.code == code))


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


def mobile_signing(session, signing_id):
    return find(session, MobileSigning, signing_id)


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


def find_agreement(session, student_id, version=None):
    """The student's agreement at `version`, else the latest they signed; None if they signed none."""
    query = select(AgreementSignature).where(AgreementSignature.student_id == student_id)
    if version:
        query = query.where(AgreementSignature.version == version)
    return session.scalars(query.order_by(AgreementSignature.signed_at.desc()).limit(1)).first()


def find_agreement_by_code(session, code):
    return session.scalars(select(AgreementSignature).where(AgreementSignature.code == code)).first()


def student(session, student_id, lock=False):
    return find(session, Student, student_id, lock)


def roster_entry(session, university_id, iin):
    """The roster's word on an IIN at the university before its holder arrived, or None."""
    return session.get(RosterEntry, (university_id, iin))


def roster_entry_on_arrival(session, university_id, iin):
    """`roster_entry` for a student arriving at the university (registering, or moving there), once a
    roster import of the university under way has committed: the import may name this IIN while its
    holder arrives, and neither would see the other's new row (`roster_turn`). The student's changed
    row is written after the turn, as the import locks rows after it: else the two could wait on
    each other."""
    with session.no_autoflush:
        serialise(session, "registry.roster", university_id, shared=True)
        return roster_entry(session, university_id, iin)


def roster_turn(session, university_id):
    """Before a roster import reads the university's students: arrivals under way commit first, and
    new ones wait for the import (`roster_entry_on_arrival`)."""
    serialise(session, "registry.roster", university_id)


def students_by_iin(session, iins):
    """The registered students with these IINs, locked for the roster's changes: {iin: student}."""
    found = {}
    iins = sorted(iins)
    for start in range(0, len(iins), 1000):
        chunk = iins[start:start + 1000]
        found.update((s.iin, s) for s in session.scalars(
            select(Student).where(Student.iin.in_(chunk)).with_for_update()))
    return found


# Staff users

def find_staff_by_iin(session, iin):
    return session.scalar(select(StaffUser).where(StaffUser.iin == iin))


def staff(session, staff_id, lock=False):
    return find(session, StaffUser, staff_id, lock)


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
    staff = domain.new_staff({"iin": iin, "full_name": full_name, "role": ADMIN}, "bootstrap", utcnow())
    session.add(staff)
    audit(session, Principal(user_id="bootstrap", roles=("ops",)), "staff.create", staff)
    return staff, True


# Organisations and sites

def find_organisation_by_bin(session, bin_):
    """The live organisation with this BIN, else its latest ended application, else None."""
    ended = Organisation.status.in_(rules.BIN_FREED_BY)
    return session.scalar(select(Organisation).where(Organisation.bin == bin_)
                          .order_by(ended, Organisation.created_at.desc()).limit(1))


def organisation(session, organisation_id, lock=False):
    """The organisation (its row: the domain's `Organisation` is built by the entrypoint that changes it)."""
    return find(session, Organisation, organisation_id, lock)
