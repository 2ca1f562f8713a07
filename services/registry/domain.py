"""Registry's domain: universities, students and their enrolment, organisations with their sites,
staff users and the eGov Mobile signings; they change by registry's pure rules and record the events
that causes.

Nothing here knows of sessions, transactions or nameko: the repository loads (and locks) what a
change needs, the unit of work in the entrypoint commits the rows and publishes the recorded events.
Rows are the models' instances; a new one is returned for the repository to add. The EDS checks
themselves are `eds.py`'s (a technical adapter); what a verified identity may sign is decided here.
"""
import secrets

from common.auth import COORDINATOR, STUDENT, Principal
from common.contracts import registry as contracts
from common.contracts.base import values_of
from common.domain import Aggregate
from common.errors import Conflict, Unauthenticated, ValidationFailed
from common.ids import new_id
from services.registry import agreements, rules
from services.registry.models import (AgreementSignature, Organisation as OrganisationRow, RosterEntry, Site,
                                      SiteDirection, StaffUser, Student as StudentRow, University as UniversityRow)

CONTACTS = ("email", "language")


class University(Aggregate):
    def __init__(self, row):
        self.row = row

    @classmethod
    def add(cls, data):
        university = cls(UniversityRow(id=new_id(), **data))
        university.record(contracts.UNIVERSITY_ADDED, {"university_id": university.row.id, **data})
        return university


# Students and their enrolment

class Student(Aggregate):
    """A student (`row`) and their enrolment at their university."""

    def __init__(self, row):
        self.row = row

    @classmethod
    def register(cls, identity, person, data, now):
        row = StudentRow(id=new_id(), iin=identity.iin, full_name=identity.full_name, surname=identity.surname,
                         given_name=identity.given_name, birth_date=person.birth_date, sex=person.sex,
                         university_id=data["university_id"], region=data["region"], phone=data["phone"],
                         email=data["email"], language=data["language"],
                         certificate_serial=identity.certificate_serial, created_at=now, updated_at=now,
                         enrolment_status=rules.ENROLMENT_PENDING, enrolment_version=0)
        student = cls(row)
        student.record(contracts.STUDENT_REGISTERED, values_of(
            contracts.StudentRegistered, row, student_id=row.id))
        return student

    def sign_agreement(self, identity, version, language, text, signature):
        """The accession agreement `version` as the student signed it: a new row (once per version)."""
        return AgreementSignature(
            id=new_id(), student_id=self.row.id, version=version, language=language, text=text,
            signature=signature, code=secrets.token_hex(15), signer_iin=identity.iin,
            signer_name=identity.full_name, signed_at=identity.signing_time, evidence=identity.evidence)

    def update(self, changes, now):
        """Apply `changes`; a new university is a transfer, announced as student.transferred, and a new
        email or language as student.contacts_changed. Returns whether it was a transfer."""
        row = self.row
        transfer = changes.get("university_id", row.university_id) != row.university_id
        if transfer:
            self.record(contracts.STUDENT_TRANSFERRED, {
                "student_id": row.id, "from_university_id": row.university_id,
                "to_university_id": changes["university_id"]})
        contacts_changed = any(changes.get(key, getattr(row, key)) != getattr(row, key) for key in CONTACTS)
        for key, value in changes.items():
            setattr(row, key, value)
        row.updated_at = now
        if contacts_changed:
            self.record(contracts.STUDENT_CONTACTS_CHANGED, values_of(
                contracts.StudentContactsChanged, row, student_id=row.id))
        return transfer

    def arrive(self, roster_entry, now):
        """Registered at, or transferred to, their university: confirmed at once when its roster listed
        them beforehand (`roster_entry`), else pending (only a change is announced)."""
        status = rules.enrolment_on_arrival(roster_entry is not None)
        if status != self.row.enrolment_status or self.row.enrolment_version:
            self.set_enrolment(status, None, roster_entry and roster_entry.added_by,
                               roster_entry and roster_entry.added_by_name, now)

    def decide_enrolment(self, decision, reason, by, by_name, now):
        """The registrar's decision; False when it changes nothing."""
        change = rules.enrolment_change(self.row.enrolment_status, self.row.enrolment_reason, decision, reason)
        if change:
            self.set_enrolment(*change, by, by_name, now)
        return bool(change)

    def set_enrolment(self, status, reason, by, by_name, now):
        """The enrolment now, who decided it (None: nobody yet), announced whole as
        student.enrolment_changed with the next version."""
        row = self.row
        if status != row.enrolment_status:
            contracts.EnrolmentStatus.check_transition(row.enrolment_status, status, "enrolment")
        row.enrolment_status, row.enrolment_reason = status, reason
        row.enrolment_decided_by, row.enrolment_decided_by_name = by, by_name
        row.enrolment_decided_at = now if by else None
        row.enrolment_version = (row.enrolment_version or 0) + 1
        self.record(contracts.STUDENT_ENROLMENT_CHANGED, {
            "student_id": row.id, "university_id": row.university_id, "status": status, "reason": reason,
            "version": row.enrolment_version})


# Organisations and their sites

class Organisation(Aggregate):
    """An organisation (`row`) with its sites, its representative and its accreditation."""

    def __init__(self, row):
        self.row = row

    @classmethod
    def apply(cls, data, now):
        return cls(OrganisationRow(id=new_id(), bin=data["bin"], name=data["name"], kind=data["kind"],
                                   region=data["region"], address=data["address"], phone=data["phone"],
                                   email=data["email"], status=rules.PENDING, created_at=now, updated_at=now))

    def take_representative(self, staff, identity, now):
        """The signer represents the organisation: a new coordinator account (returned, to add), or the
        representative of an ended application of theirs, bound to this one."""
        if staff is None:
            staff = new_staff({"iin": identity.iin, "full_name": identity.full_name, "role": COORDINATOR,
                               "region": self.row.region, "organisation_id": self.row.id}, "self", now)
        else:
            staff.role, staff.region, staff.active = COORDINATOR, self.row.region, True
            staff.organisation_id, staff.site_id, staff.university_id = self.row.id, None, None
        self.row.representative_id = staff.id
        return staff

    def add_site(self, data, now):
        """A new site (also in `row.sites`); an accredited organisation announces it."""
        site = Site(id=new_id(), organisation_id=self.row.id, name=data["name"], address=data["address"],
                    city=data["city"], region=self.row.region, online=data["online"], created_at=now,
                    direction_rows=[SiteDirection(direction=d) for d in sorted(set(data["directions"]))])
        self.row.sites.append(site)
        if self.row.status == rules.ACCREDITED:
            self.record(contracts.SITE_ADDED, {"organisation_id": self.row.id, **site_event_data(site)})
        return site

    def decide(self, decision, reason, actor, now):
        """Accredit, reject, suspend or withdraw, announced (a withdrawn application was never
        announced, so its end is not either)."""
        row = self.row
        status = rules.decided_status(row.status, decision)
        row.status, row.reason, row.decided_by = status, reason, actor
        row.decided_at = row.updated_at = now
        if status == rules.ACCREDITED:
            self.record(contracts.ORGANISATION_ACCREDITED, {
                "organisation_id": row.id, "name": row.name, "region": row.region,
                "sites": [site_event_data(site) for site in row.sites]})
        elif status != rules.WITHDRAWN:
            event = contracts.ORGANISATION_REJECTED if status == rules.REJECTED else contracts.ORGANISATION_SUSPENDED
            self.record(event, {"organisation_id": row.id, "region": row.region, "reason": reason})


def site_event_data(site):
    return values_of(contracts.Site, site, site_id=site.id)


def ended_representative(staff, organisation):
    """A representative of an application that was rejected or withdrawn (`organisation`, theirs), who
    applies again."""
    return organisation is not None and organisation.representative_id == staff.id \
        and organisation.status in rules.BIN_FREED_BY


# What is signed

def text_to_sign(agreement_version=None, agreement_language=None):
    """How the text to sign is built from a challenge (nonce, time): the sign-in text, or the
    accession agreement at `agreement_version` with the nonce inside."""
    if not agreement_version:
        return rules.challenge_text

    def agreement_text(nonce, issued_at):
        body = agreements.text(agreement_version, agreement_language)
        if body is None:
            raise ValidationFailed("no such version of the accession agreement",
                                   {"agreement_version": ["unknown version"]})
        return rules.agreement_signing_text(agreement_version, agreement_language, body, nonce, issued_at)
    return agreement_text


# Staff users and who signs in

def new_staff(data, created_by, now):
    return StaffUser(id=new_id(), iin=data["iin"], full_name=data["full_name"], role=data["role"],
                     region=data.get("region"), organisation_id=data.get("organisation_id"),
                     site_id=data.get("site_id"), university_id=data.get("university_id"), active=True,
                     created_by=created_by, created_at=now)


def role_of(account):
    return STUDENT if isinstance(account, StudentRow) else account.role


def signing_in(identity, accounts, role, organisation_bins):
    """The account (a student's or a staff user's row) this identity signs in to, among `accounts`
    (the live ones with its IIN); `organisation_bins` by account id, for staff bound to an
    organisation. A legal entity's certificate never opens a student account, and a coordinator's
    must be their own organisation's."""
    if role:
        accounts = [a for a in accounts if role_of(a) == role]
    if not accounts:
        rules.refuse(Unauthenticated, "no account for this person: students register first, staff are added by "
                                      "an admin")
    refusals = {}
    for account in accounts:
        try:
            if isinstance(account, StudentRow):
                rules.check_student_signature(identity.role)
            else:
                rules.check_staff_signature(identity.role, identity.bin, organisation_bins.get(account.id))
        except Unauthenticated as exc:
            refusals[account.id] = exc
    if len(refusals) == len(accounts):
        raise refusals[accounts[0].id]
    accounts = [a for a in accounts if a.id not in refusals]
    if len(accounts) > 1:
        raise Conflict("this person has several accounts: say which role signs in",
                       {"role": [role_of(a) for a in accounts]})
    return accounts[0]


def student_principal(student):
    return Principal(user_id=student.id, roles=(STUDENT,),
                     scope={"region": student.region, "university_id": student.university_id})


def staff_principal(staff, site_id=None):
    scope = {"region": staff.region, "organisation_id": staff.organisation_id, "site_id": site_id or staff.site_id,
             "university_id": staff.university_id}
    if staff.role in rules.NATIONAL_ROLES:
        scope = {}
    return Principal(user_id=staff.id, roles=(staff.role,), scope={k: v for k, v in scope.items() if v})


def signed_in_staff(staff, organisation):
    """A staff user's principal at sign-in; a representative coordinates their organisation's only site."""
    site_ids = [site.id for site in organisation.sites] if organisation is not None \
        and organisation.status == rules.ACCREDITED else []
    return staff_principal(staff, rules.coordinated_site(staff.role, staff.site_id, site_ids))


def coordinator_scope(data, organisation):
    """A coordinator's region, from the organisation (and the site of it) they are bound to."""
    if organisation is None:
        raise ValidationFailed("no such organisation", {"organisation_id": ["unknown organisation"]})
    if data.get("site_id") and data["site_id"] not in {site.id for site in organisation.sites}:
        raise ValidationFailed("the site is not the organisation's", {"site_id": ["not of this organisation"]})
    return {"region": organisation.region}


def registrar_scope(university):
    """A registrar's region, from their university."""
    if university is None:
        raise ValidationFailed("no such university", {"university_id": ["unknown university"]})
    return {"region": university.region}


def update_staff(staff, changes):
    """Apply an admin's changes; True when the staff user's renewals must stop (deactivated, or another
    role or scope)."""
    before = {key: getattr(staff, key) for key in ("role",) + rules.SCOPE_KEYS}
    for key, value in changes.items():
        setattr(staff, key, value)
    return not staff.active or any(before[key] != getattr(staff, key) for key in ("role",) + rules.SCOPE_KEYS)



def roster_entry(principal, iin, now):
    """An IIN the registrar's roster confirms before its holder registers."""
    return RosterEntry(university_id=principal.university_id, iin=iin, added_by=principal.user_id,
                       added_by_name=principal.name, added_at=now)
