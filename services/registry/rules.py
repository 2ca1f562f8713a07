"""Registry's pure rules: IIN and BIN, EDS certificates and what each may sign, the sign-in text,
staff scopes, organisation status changes, mobile signings and enrolment.

A rule that refuses raises the platform's domain error (`common.errors`) naming the field and the
reason; who may see what is `access.py`'s. IIN and BIN follow the Government of Kazakhstan's format
(`common.iin`, which payments shares); `iin_problem` stays a validator's answer (a reason or None),
as a roster reports it row by row.
"""
import base64
import binascii
import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from common import kalkan
from common.auth import (ADMIN, COORDINATOR, MINISTRY, MIO_OFFICER, NVS_OFFICER, OPERATOR, REGIONAL_OFFICERS,
                         REGISTRAR, SCOPE_KEYS, STUDENT)
from common.contracts.registry import (ENROLMENT_STATUSES, MOBILE_PURPOSES, MOBILE_STATUSES, ORGANISATION_STATUSES,
                                       STAFF_ROLES, OrganisationStatus)
from common.errors import Conflict, Forbidden, Gone, RuleViolation, Unauthenticated, ValidationFailed
from common.iin import FIRST_WEIGHTS, SECOND_WEIGHTS, check_digit  # noqa: F401 (used by the tests and the season)
from common.iin import birth_date as _birth_date
from common.iin import has_valid_check_digit as _has_valid_check_digit
from common.iin import iin_problem as _iin_problem

# 5th BIN digit: resident legal entity, non-resident legal entity, individual entrepreneur (joint).
BIN_ENTITY_TYPES = {"4": "resident", "5": "non_resident", "6": "joint_entrepreneur"}


@dataclass(frozen=True)
class Person:
    iin: str
    birth_date: dt.date
    sex: str  # "male" or "female"


def iin_problem(iin, test=False):
    """Why `iin` is not a valid IIN, or None. `test`: a test CA's identity, whose IIN need only be
    12 digits (NCA RK's test IINs carry no birth date or check digit)."""
    if test and isinstance(iin, str) and len(iin) == 12 and iin.isdigit():
        return None
    return _iin_problem(iin)


def is_valid_iin(iin):
    return iin_problem(iin) is None


def person_from_iin(iin, test=False):
    """Birth date and sex read from a valid IIN (unknown for a test CA's identity); ValueError
    naming the problem otherwise."""
    problem = iin_problem(iin, test)
    if problem:
        raise ValueError(problem)
    if test and iin_problem(iin):
        return Person(iin=iin, birth_date=None, sex=None)
    return Person(iin=iin, birth_date=_birth_date(iin), sex="male" if int(iin[6]) % 2 else "female")


def check_bin(bin_, test=False):
    """Refuses (400 on `bin`) a BIN that is not valid."""
    problem = bin_problem(bin_, test)
    if problem:
        raise ValidationFailed("the BIN is not valid", {"bin": [problem]})


def bin_problem(bin_, test=False):
    """Why `bin_` is not a valid BIN (business identification number), or None. `test`: the BIN of
    a test CA's certificate, which need only be 12 digits."""
    if not (isinstance(bin_, str) and len(bin_) == 12 and bin_.isdigit()):
        return "a BIN is 12 digits"
    if test:
        return None
    if not 1 <= int(bin_[2:4]) <= 12:
        return "digits 3-4 of a BIN are the month of registration"
    if bin_[4] not in BIN_ENTITY_TYPES:
        return "the 5th digit of a BIN (entity type) must be 4, 5 or 6"
    if not _has_valid_check_digit(bin_):
        return "the BIN's check digit is wrong"
    return None


def is_valid_bin(bin_):
    return bin_problem(bin_) is None


def refuse(error, reason, field="signature"):
    raise error(reason, {field: [reason]})


# EDS certificates: who holds one (NCA RK's extended key usage since 2024) and what each may sign.

ROLE_INDIVIDUAL = "individual"
ROLE_LEGAL_HEAD = "legal_head"
ROLE_LEGAL_SIGNING_RIGHT = "legal_signing_right"
ROLE_LEGAL_EMPLOYEE = "legal_employee"
ROLE_INFORMATION_SYSTEM = "information_system"
LEGAL_ROLES = (ROLE_LEGAL_HEAD, ROLE_LEGAL_SIGNING_RIGHT, ROLE_LEGAL_EMPLOYEE)
SIGNS_FOR_ORGANISATION = (ROLE_LEGAL_HEAD, ROLE_LEGAL_SIGNING_RIGHT)


def certificate_role(key_algorithm, extended_key_usages, has_bin=False):
    """Who holds a certificate with these extended key usages (dotted OIDs), or None for a
    certificate nobody signs in with (no EKU, or a foreign one such as serverAuth only).

    Legacy RSA keys of the two-key scheme (AUTH: clientAuth, signing: emailProtection) name no
    holder; they count as an individual's, or an employee's when the subject carries a BIN."""
    usages = set(extended_key_usages)
    if kalkan.EKU_INFORMATION_SYSTEM in usages:
        return ROLE_INFORMATION_SYSTEM
    if kalkan.EKU_LEGAL_HEAD in usages:
        return ROLE_LEGAL_HEAD
    if kalkan.EKU_LEGAL_SIGNING_RIGHT in usages:
        return ROLE_LEGAL_SIGNING_RIGHT
    if any(u == kalkan.EKU_LEGAL_ENTITY or u.startswith(kalkan.EKU_LEGAL_ENTITY + ".") for u in usages):
        return ROLE_LEGAL_EMPLOYEE
    if kalkan.EKU_INDIVIDUAL in usages:
        return ROLE_INDIVIDUAL
    if key_algorithm == "rsa" and usages & {kalkan.EKU_CLIENT_AUTH, kalkan.EKU_EMAIL_PROTECTION}:
        return ROLE_LEGAL_EMPLOYEE if has_bin else ROLE_INDIVIDUAL
    return None


def check_student_signature(role, error=Unauthenticated):
    """A student registers, signs in and confirms changes with their personal (individual) EDS only:
    `error` (401 at sign-in, 403 for the signed-in) on `signature` otherwise."""
    if role != ROLE_INDIVIDUAL:
        refuse(error, "a student signs with their personal (individual) EDS, not an organisation's certificate")


def check_own_signature(signer_iin, student_iin):
    """A step-up is the student's own signature (403 on `signature` otherwise)."""
    if student_iin is None or signer_iin != student_iin:
        refuse(Forbidden, "signed by someone else: the student signs their own change")


def check_staff_signature(role, certificate_bin, organisation_bin):
    """A staff user bound to `organisation_bin` (None for other staff) signs in with a legal entity's
    certificate of their own organisation only (401 on `signature`)."""
    if role in LEGAL_ROLES and organisation_bin and certificate_bin != organisation_bin:
        refuse(Unauthenticated, f"the certificate is issued to another organisation (BIN {certificate_bin}), not yours")


def check_application_signature(role, certificate_bin, application_bin):
    """An organisation's application for `application_bin` is signed by its first head or an employee
    with signing right, of that very BIN (403 on `bin` otherwise)."""
    if role not in LEGAL_ROLES:
        refuse(Forbidden, "an organisation applies with a legal entity's EDS (its first head or an employee with "
                          "signing right), not a personal certificate", "bin")
    if role not in SIGNS_FOR_ORGANISATION:
        refuse(Forbidden, "an ordinary employee's certificate cannot sign for the organisation: its head or an "
                          "employee with signing right signs", "bin")
    if certificate_bin != application_bin:
        refuse(Forbidden, f"the signer's certificate is issued to another organisation (BIN {certificate_bin})", "bin")


def challenge_text(nonce, issued_at):
    """What a person signs to sign in, register or apply: readable in NCALayer's and eGov Mobile's
    window, and rebuilt from the challenge to check the signature is over exactly this."""
    return ("Студенческий ваучер / Студенттік ваучер / Student Voucher\n"
            "Вход на платформу / Платформаға кіру / Sign-in to the platform\n"
            f"Nonce: {nonce}\n"
            f"Time: {issued_at:%Y-%m-%d %H:%M:%S} UTC")


STEP_UP_PURPOSES = {"payout-details": "Реквизиты для выплаты / Төлем деректемелері / Payout details"}


def check_step_up_purpose(purpose):
    if purpose not in STEP_UP_PURPOSES:
        raise ValidationFailed("unknown step-up", {"purpose": list(STEP_UP_PURPOSES)})


def step_up_text(nonce, issued_at, purpose, canonical_data):
    """What a person signs to confirm a change (a step-up): the change itself, as canonical JSON."""
    return ("Студенческий ваучер / Студенттік ваучер / Student Voucher\n"
            f"{STEP_UP_PURPOSES[purpose]}\n"
            f"{canonical_data}\n"
            f"Nonce: {nonce}\n"
            f"Time: {issued_at:%Y-%m-%d %H:%M:%S} UTC")


def agreement_signing_text(version, language, body, nonce, issued_at):
    """What a student signs to join: the accession agreement's text at `version`, then the lines
    that bind this signature to one challenge (its nonce and time), as in the sign-in text."""
    return (f"{body}\n\n"
            f"Версия / Нұсқа / Version: {version} ({language})\n"
            f"Nonce: {nonce}\n"
            f"Time: {issued_at:%Y-%m-%d %H:%M:%S} UTC")


def check_agreement_version(version, current):
    """A student joins by signing the current version of the agreement (422 on `agreement_version`)."""
    if version != current:
        refuse(RuleViolation, f"the current version of the accession agreement is {current}: sign that one",
               "agreement_version")


def decoded_base64(value, field):
    """A document's bytes from its base64 (400 on `field` if it is not base64)."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("not valid base64", {field: ["not valid base64"]})


def masked_iin(iin):
    """An IIN as a public answer shows it: its last four digits."""
    return "*" * (len(iin) - 4) + iin[-4:]


def check_report_signature(role, certificate_bin, certificate_iin, organisation_bin, coordinator_iin):
    """A completion report of the organisation `organisation_bin` submitted by a coordinator with
    `coordinator_iin` (None when registry knows no IIN) is signed by any legal entity certificate of
    that very BIN (head, signing right, employee), or the coordinator's own personal certificate
    (403 on `signature` otherwise)."""
    if role in LEGAL_ROLES:
        if not organisation_bin or certificate_bin != organisation_bin:
            refuse(Forbidden, f"the signer's certificate is issued to another organisation (BIN {certificate_bin}), "
                              "not the site's")
    elif role == ROLE_INDIVIDUAL:
        if not coordinator_iin or certificate_iin != coordinator_iin:
            refuse(Forbidden, "a personal certificate signs a report only when it is the submitting coordinator's own")
    else:
        refuse(Forbidden, "this certificate cannot sign a completion report")


# Staff roles and the scope each is bound to.

NATIONAL_ROLES = (OPERATOR, MINISTRY, ADMIN)
SCOPE_NEEDED = {
    COORDINATOR: ("organisation_id",),  # site_id too for a site coordinator; none: the organisation's representative
    MIO_OFFICER: ("region",),
    NVS_OFFICER: ("region",),
    REGISTRAR: ("university_id",),
    OPERATOR: (),
    MINISTRY: (),
    ADMIN: (),
}
SCOPE_ALLOWED = {
    COORDINATOR: ("organisation_id", "site_id"),
    REGISTRAR: ("university_id",),
}


def check_staff(role, scope, iin):
    """A staff user's IIN, role and the scope keys in `scope` (before region is derived): 400 naming
    each field that is not valid."""
    if role not in STAFF_ROLES:
        problems = {"role": [f"must be one of: {', '.join(STAFF_ROLES)}"]}
    else:
        allowed = SCOPE_ALLOWED.get(role, SCOPE_NEEDED[role])
        problems = {key: [f"required for the role {role}"] for key in SCOPE_NEEDED[role] if not scope.get(key)}
        problems.update({key: [f"not part of the role {role}'s scope"] for key in SCOPE_KEYS
                         if scope.get(key) and key not in allowed})
    if iin_problem(iin):
        problems["iin"] = [iin_problem(iin)]
    if problems:
        raise ValidationFailed("the staff user is not valid", problems)


def check_representative_creates(principal, data, organisation_status):
    """An organisation's representative creates only coordinators of its own sites (403), once it is
    accredited (422)."""
    if data["role"] != COORDINATOR or data.get("organisation_id") != principal.organisation_id \
            or not data.get("site_id"):
        raise Forbidden("a representative creates only coordinators of its own organisation's sites")
    if organisation_status != ACCREDITED:
        raise RuleViolation("the organisation must be accredited to add site coordinators")


def is_representative(principal, representative_id):
    """The organisation's representative (the staff user who signed its application), whether or not
    they also coordinate its only site."""
    return principal.has(COORDINATOR) and bool(principal.organisation_id) and principal.user_id == representative_id


def coordinated_site(role, site_id, organisation_site_ids):
    """The site a coordinator signs in to: their own; or, for a coordinator bound to the organisation
    alone (its representative), its only site, so a one-person organisation runs its site itself."""
    if role != COORDINATOR or site_id:
        return site_id
    return organisation_site_ids[0] if len(organisation_site_ids) == 1 else None


# Organisations: status changes and who sees what.

PENDING, ACCREDITED, REJECTED, SUSPENDED, WITHDRAWN = ORGANISATION_STATUSES
# What each decision makes an organisation; where from, OrganisationStatus.TRANSITIONS says.
DECISIONS = {"accredit": ACCREDITED, "reject": REJECTED, "suspend": SUSPENDED, "withdraw": WITHDRAWN}
REASONED_DECISIONS = ("reject", "suspend")
# An application that ended without accreditation frees its BIN for the real organisation.
BIN_FREED_BY = (REJECTED, WITHDRAWN)


def check_decision(decision):
    if decision not in DECISIONS:
        raise ValidationFailed("unknown decision", {"decision": list(DECISIONS)})


def decided_status(current, decision):
    """The status after `decision`; 422 when the decision does not apply to `current`."""
    status = DECISIONS[decision]
    if status not in OrganisationStatus.TRANSITIONS[current]:
        raise RuleViolation(f"an organisation that is {current} cannot be {decision}ed", {"status": [current]})
    return status


def check_bin_free(previous_status):
    """A BIN applies again only once its last application ended without accreditation (409)."""
    if previous_status is not None and previous_status not in BIN_FREED_BY:
        raise Conflict("an organisation with this BIN has applied", {"bin": ["already registered"]})


def check_sites_addable(status):
    if status not in (PENDING, ACCREDITED):
        raise RuleViolation(f"an organisation that is {status} cannot add sites", {"status": [status]})


def may_decide(principal, organisation_region):
    """Only an MIO or NVS officer of the organisation's own region accredits, rejects or suspends."""
    return principal.has(*REGIONAL_OFFICERS) and principal.region == organisation_region


def may_withdraw(principal, organisation_id, representative_id):
    """The organisation's own representative withdraws its pending application."""
    return is_representative(principal, representative_id) and principal.organisation_id == organisation_id


def sees_every_organisation(principal):
    return principal.has(*NATIONAL_ROLES)


def may_see_organisation(principal, organisation_id, region, status):
    """Accredited organisations are visible to everyone signed in; the others to the national roles,
    the officers of their region and their own representative or coordinators."""
    return status == ACCREDITED or sees_every_organisation(principal) \
        or (principal.has(*REGIONAL_OFFICERS) and principal.region == region) \
        or (principal.has(COORDINATOR) and principal.organisation_id == organisation_id)


def may_add_site(principal, organisation_id, region, representative_id):
    return may_decide(principal, region) or (is_representative(principal, representative_id)
                                             and principal.organisation_id == organisation_id)


def may_see_student(principal, student_id, region, university_id):
    if principal.has(STUDENT) and principal.user_id == student_id:
        return True
    return principal.has(*NATIONAL_ROLES) \
        or (principal.has(REGISTRAR) and principal.university_id == university_id) \
        or (principal.has(*REGIONAL_OFFICERS) and principal.region == region)


# Signing with eGov Mobile by QR (docs/eds.md, "eGov Mobile"): a signing session the portal opens for
# one document, which the app fetches (API 1, then API 2 with a one-time token) and answers once.

MOBILE_LOGIN, MOBILE_REGISTER, MOBILE_REPORT = MOBILE_PURPOSES
MOBILE_WAITING, MOBILE_SIGNED, MOBILE_EXPIRED = MOBILE_STATUSES
MOBILE_SIGN_METHOD = "CMS"

# What the app shows: the request's description, then the document's name (ru, kk, en).
MOBILE_DESCRIPTIONS = {
    MOBILE_LOGIN: ("Вход на платформу «Студенческий ваучер»", "«Студенттік ваучер» платформасына кіру",
                   "Sign-in to the Student Voucher platform"),
    MOBILE_REGISTER: ("Договор присоединения к программе «Студенческий ваучер»",
                      "«Студенттік ваучер» бағдарламасына қосылу шарты",
                      "Accession agreement of the Student Voucher programme"),
    MOBILE_REPORT: ("Отчёт площадки о завершении часов студента", "Алаңның студент сағаттарын аяқтау туралы есебі",
                    "The site's completion report of a student's hours"),
}


def mobile_signing_status(signed_at, expires_at, now):
    """Where a signing session stands: signed once its document came back, expired after its time."""
    if signed_at is not None:
        return MOBILE_SIGNED
    return MOBILE_EXPIRED if now >= expires_at else MOBILE_WAITING


def check_mobile_signing_open(status):
    """The app fetches and answers a session only while it waits: a link is good for one signature
    (409 on `link`), until it expires (410 on `expiry_date`)."""
    if status == MOBILE_SIGNED:
        refuse(Conflict, "this signing link was already used: a link signs once, start again in the portal", "link")
    if status == MOBILE_EXPIRED:
        refuse(Gone, "this signing link has expired: start again in the portal", "expiry_date")


def check_mobile_answer(answer, document_id):
    """The app's PUT answers the one document it was given (400 otherwise)."""
    if answer["signMethod"] != MOBILE_SIGN_METHOD:
        refuse(ValidationFailed, f"the document is signed as {MOBILE_SIGN_METHOD}", "signMethod")
    documents = answer["documentsToSign"]
    if len(documents) != 1 or documents[0]["id"] != document_id:
        refuse(ValidationFailed, f"answer the one document given, id {document_id}", "documentsToSign")


def check_mobile_signer(purpose, role):
    """A person signs in and registers with their own key (403 otherwise); a company's report is
    checked as any report (check_report_signature)."""
    if purpose in (MOBILE_LOGIN, MOBILE_REGISTER) and role != ROLE_INDIVIDUAL:
        refuse(Forbidden, "a person signs in and registers with their personal (individual) EDS, not an "
                          "organisation's")


# Enrolment: the programme is for full-time students of the university they name, so that university's
# registrar confirms (or refuses) each student, one by one or by a roster; until confirmed a student
# browses projects but does not apply. A transfer makes it pending at the new university.

ENROLMENT_PENDING, ENROLMENT_CONFIRMED, ENROLMENT_REFUSED = ENROLMENT_STATUSES
CONFIRM, REFUSE = "confirm", "refuse"
ENROLMENT_AFTER = {CONFIRM: ENROLMENT_CONFIRMED, REFUSE: ENROLMENT_REFUSED}
PRE_CONFIRMED, UNCHANGED = "pre_confirmed", "unchanged"  # roster outcomes besides the new status
ROSTER_MAX_ROWS = 20_000


def may_decide_enrolment(principal, university_id):
    """Only a registrar of the student's own university confirms or refuses their enrolment."""
    return principal.has(REGISTRAR) and principal.university_id == university_id


def check_enrolment_decision(decision, reason):
    """A refusal says why, the student reads it (400 on `reason`)."""
    if decision == REFUSE and not reason:
        raise ValidationFailed("a refusal says why", {"reason": ["required to refuse"]})


def enrolment_change(status, reason, decision, new_reason):
    """(status, reason) after `decision`, or None when it changes nothing (confirming a confirmed
    student; refusing a refused one for the same reason)."""
    after = ENROLMENT_AFTER[decision]
    kept_reason = new_reason if decision == REFUSE else None
    if (after, kept_reason) == (status, reason if status == ENROLMENT_REFUSED else None):
        return None
    return after, kept_reason


def enrolment_on_arrival(pre_confirmed):
    """The enrolment of a student who registers at, or transfers to, a university: confirmed at once
    when its roster listed their IIN beforehand, else pending until its registrar decides."""
    return ENROLMENT_CONFIRMED if pre_confirmed else ENROLMENT_PENDING


@dataclass
class RosterRow:
    row: int  # the line in the file; the header is line 1
    iin: str
    decision: str
    reason: str | None
    problems: dict = field(default_factory=dict)


def read_roster(text):
    """The rows of a roster CSV: a header row naming `iin` (`decision`, confirm or refuse, and
    `reason` optional; other columns, such as a name, are ignored), comma- or semicolon-separated as
    spreadsheets save it, and one row per student. Each row carries its own problems (format,
    decision, reason, a repeated IIN); a file that is not a roster is refused whole (400 on `csv`)."""
    text = text.lstrip("\ufeff")  # a spreadsheet's UTF-8 byte order mark
    first = text.split("\n", 1)[0]
    if not first.strip():
        refuse(ValidationFailed, "the first line must be a header row naming the iin column", "csv")
    reader = csv.reader(io.StringIO(text), delimiter=";" if first.count(";") > first.count(",") else ",")
    header = [name.strip().lower() for name in next(reader)]
    if "iin" not in header:
        refuse(ValidationFailed, "the header row must name the iin column (decision and reason are optional)", "csv")
    rows, seen = [], {}
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) == ROSTER_MAX_ROWS:
            refuse(ValidationFailed, f"at most {ROSTER_MAX_ROWS} rows a file: split the roster", "csv")
        values = {name: cell.strip() for name, cell in zip(header, record)}
        rows.append(roster_row(reader.line_num, values, seen))
    if not rows:
        refuse(ValidationFailed, "the roster has no rows under its header", "csv")
    return rows


def roster_row(line, values, seen):
    """One line of a roster (`values` by column) with its own problems; `seen` holds the lines of the
    IINs read so far, and gets this one's."""
    row = RosterRow(line, values.get("iin", ""), (values.get("decision") or CONFIRM).lower(),
                    values.get("reason") or None)
    if not (len(row.iin) == 12 and row.iin.isdigit()):
        row.problems["iin"] = ["an IIN is 12 digits"]
    elif row.iin in seen:
        row.problems["iin"] = [f"repeats row {seen[row.iin]}"]
    else:
        seen[row.iin] = row.row
    if row.decision not in ENROLMENT_AFTER:
        row.problems["decision"] = [f"must be one of: {CONFIRM}, {REFUSE}"]
    else:
        try:
            check_enrolment_decision(row.decision, row.reason)
        except ValidationFailed as exc:
            row.problems.update(exc.fields)
    return row


def roster_outcome(row, university_id, student):
    """What a well-formed row does at `university_id`, as (outcome, None) or (None, field problems).
    `student` is the registered student with the row's IIN (their university, enrolment status and
    reason) or None. A registered student's IIN was checked at registration (a test CA's need not
    carry a check digit); any other must be a valid IIN."""
    if student is None:
        problem = iin_problem(row.iin)
        if problem:
            return None, {"iin": [problem]}
        if row.decision == REFUSE:
            return None, {"iin": ["not registered as a student: nothing to refuse"]}
        return PRE_CONFIRMED, None
    student_university, status, reason = student
    if student_university != university_id:
        return None, {"iin": ["registered as a student of another university"]}
    change = enrolment_change(status, reason, row.decision, row.reason)
    return (change[0] if change else UNCHANGED), None


def roster_outcomes(rows, university_id, students):
    """Every row's outcome at `university_id`, [(row, outcome)], all or nothing: 422 with the bad
    rows' problems by line under `rows`. `students` holds the registered students of the rows' IINs
    as {iin: (university, enrolment status, reason)}."""
    outcomes, bad = [], {}
    for row in rows:
        outcome, problems = None, row.problems
        if not problems:
            outcome, problems = roster_outcome(row, university_id, students.get(row.iin))
        if problems:
            bad[str(row.row)] = problems
        outcomes.append((row, outcome))
    if bad:
        raise RuleViolation(f"{len(bad)} of {len(rows)} rows are not valid: nothing was applied", {"rows": bad})
    return outcomes
