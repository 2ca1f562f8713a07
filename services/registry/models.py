"""Registry's tables: reference data, EDS login challenges, students and the accession agreements they
signed, staff users, organisations and their sites, the audit log, and its outbox."""
import datetime as dt

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from common.contracts.registry import EnrolmentStatus, OrganisationStatus
from common.db import states_check
from common.outbox import OutboxEventMixin, ProcessedEventMixin


class Base(DeclarativeBase):
    pass


class OutboxEvent(OutboxEventMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_ru: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(8))


class University(Base):
    __tablename__ = "universities"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)


class LoginChallenge(Base):
    """A nonce to sign for an EDS login: usable once, until it expires."""
    __tablename__ = "login_challenges"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Student(Base):
    __tablename__ = "students"
    __table_args__ = (states_check(EnrolmentStatus, "enrolment_status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    iin: Mapped[str] = mapped_column(String(12), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    surname: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)  # unknown for a test CA's identity
    sex: Mapped[str | None] = mapped_column(String(8))
    university_id: Mapped[str] = mapped_column(ForeignKey("universities.id"), index=True)
    region: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    phone: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    certificate_serial: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Enrolment at `university_id`, as its registrar decided it (EnrolmentStatus); a transfer makes it
    # pending again. `enrolment_version` grows with each change, for the consumers of its event.
    enrolment_status: Mapped[str] = mapped_column(String(16), server_default="pending", index=True)
    enrolment_reason: Mapped[str | None] = mapped_column(Text)
    enrolment_decided_by: Mapped[str | None] = mapped_column(String(32))
    enrolment_decided_by_name: Mapped[str | None] = mapped_column(String(200))
    enrolment_decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    enrolment_version: Mapped[int] = mapped_column(Integer, server_default="0")

    @property
    def enrolment(self):
        return {"status": self.enrolment_status, "university_id": self.university_id,
                "reason": self.enrolment_reason, "decided_by": self.enrolment_decided_by_name,
                "decided_at": self.enrolment_decided_at}


class RosterEntry(Base):
    """An IIN a registrar's roster confirmed before its holder registered: they are confirmed at once
    when they register at (or transfer to) that university."""
    __tablename__ = "roster_entries"

    university_id: Mapped[str] = mapped_column(ForeignKey("universities.id"), primary_key=True)
    iin: Mapped[str] = mapped_column(String(12), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(32))
    added_by_name: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AgreementSignature(Base):
    """A version of the accession agreement as one student signed it: the exact text, its CMS and
    the evidence of its verification at signing (chain, revocation source and time, the signer)."""
    __tablename__ = "agreement_signatures"
    __table_args__ = (UniqueConstraint("student_id", "version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"), index=True)
    version: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # verification code, printed with it
    signer_iin: Mapped[str] = mapped_column(String(12))
    signer_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    evidence: Mapped[dict] = mapped_column(JSON)


LIVE_ORGANISATION = text("status NOT IN ('rejected', 'withdrawn')")


class Organisation(Base):
    __tablename__ = "organisations"
    # One live organisation per BIN: a rejected or withdrawn application frees it.
    __table_args__ = (Index("uq_organisations_live_bin", "bin", unique=True,
                            postgresql_where=LIVE_ORGANISATION, sqlite_where=LIVE_ORGANISATION),
                      states_check(OrganisationStatus))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bin: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    address: Mapped[str] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    representative_id: Mapped[str | None] = mapped_column(String(32))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    sites: Mapped[list["Site"]] = relationship(order_by="Site.created_at", lazy="selectin")


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    online: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    direction_rows: Mapped[list["SiteDirection"]] = relationship(lazy="selectin", cascade="all, delete-orphan")

    @property
    def directions(self):
        return sorted(row.direction for row in self.direction_rows)


class SiteDirection(Base):
    """One of the programme's directions a site offers."""
    __tablename__ = "site_directions"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class StaffUser(Base):
    """Everyone who signs in but students, with one role and the scope it is bound to."""
    __tablename__ = "staff_users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    iin: Mapped[str] = mapped_column(String(12), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), index=True)
    region: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"))
    university_id: Mapped[str | None] = mapped_column(ForeignKey("universities.id"))
    active: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Who changed what, when, with the record before and after."""
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_id: Mapped[str] = mapped_column(String(64), index=True)
    actor_roles: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(32), index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class RefreshToken(Base):
    """A refresh token, kept as its SHA-256 digest (the token itself is only in the client's hands).
    Revoked when used (a new one replaces it), on sign-out, and when its staff user is deactivated
    or their role or scope changes."""
    __tablename__ = "refresh_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class MobileSigning(Base):
    """A document to sign with eGov Mobile by QR: the exact bytes, what they are for, and the CMS the
    app sent back. The link in the QR and the app's token are kept as SHA-256 digests; the portal polls
    by `id`, which only it holds. Signed once, until `expires_at` (rules.mobile_signing_status)."""
    __tablename__ = "mobile_signings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    link_digest: Mapped[str] = mapped_column(String(64), unique=True)
    token_digest: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(16))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    nonce: Mapped[str | None] = mapped_column(String(64))  # sign-in and registration: the challenge's
    agreement_version: Mapped[str | None] = mapped_column(String(32))
    agreement_language: Mapped[str | None] = mapped_column(String(2))
    placement_id: Mapped[str | None] = mapped_column(String(32))  # a report: its placement, organisation, coordinator
    organisation_id: Mapped[str | None] = mapped_column(String(32))
    staff_id: Mapped[str | None] = mapped_column(String(32))
    signable_since: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    signature: Mapped[str | None] = mapped_column(Text)
    signer_name: Mapped[str | None] = mapped_column(String(200))
