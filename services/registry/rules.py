"""Registry's pure rules: IIN and BIN, EDS certificates and what each may sign, the sign-in text,
staff scopes, organisation status changes and visibility.

IIN and BIN follow the Government of Kazakhstan's format (`common.iin`, which payments shares).
"""
import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from common import kalkan
from common.auth import (ADMIN, COORDINATOR, MINISTRY, MIO_OFFICER, NVS_OFFICER, OPERATOR, REGIONAL_OFFICERS,
                         REGISTRAR, SCOPE_KEYS, STUDENT)
from common.contracts.registry import (ENROLMENT_STATUSES, MOBILE_PURPOSES, MOBILE_STATUSES, ORGANISATION_STATUSES,
                                       STAFF_ROLES)
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


def student_signature_problem(role):
    """Why a student may not register or sign in with a certificate of `role`, or None."""
    if role != ROLE_INDIVIDUAL:
        return "a student signs with their personal (individual) EDS, not an organisation's certificate"
    return None


def staff_signature_problem(role, certificate_bin, organisation_bin):
    """Why a staff user bound to `organisation_bin` (None for other staff) may not sign in with this
    certificate, or None: a legal entity's certificate of a coordinator must be their organisation's."""
    if role in LEGAL_ROLES and organisation_bin and certificate_bin != organisation_bin:
        return f"the certificate is issued to another organisation (BIN {certificate_bin}), not yours"
    return None


def application_signature_problem(role, certificate_bin, application_bin):
    """Why this certificate may not sign an organisation's application for `application_bin`, or None:
    the first head or an employee with signing right, of that very BIN."""
    if role not in LEGAL_ROLES:
        return ("an organisation applies with a legal entity's EDS (its first head or an employee with "
                "signing right), not a personal certificate")
    if role not in SIGNS_FOR_ORGANISATION:
        return "an ordinary employee's certificate cannot sign for the organisation: its head or an employee " \
               "with signing right signs"
    if certificate_bin != application_bin:
        return f"the signer's certificate is issued to another organisation (BIN {certificate_bin})"
    return None


def challenge_text(nonce, issued_at):
    """What a person signs to sign in, register or apply: readable in NCALayer's and eGov Mobile's
    window, and rebuilt from the challenge to check the signature is over exactly this."""
    return ("Студенческий ваучер / Студенттік ваучер / Student Voucher\n"
            "Вход на платформу / Платформаға кіру / Sign-in to the platform\n"
            f"Nonce: {nonce}\n"
            f"Time: {issued_at:%Y-%m-%d %H:%M:%S} UTC")


STEP_UP_PURPOSES = {"payout-details": "Реквизиты для выплаты / Төлем деректемелері / Payout details"}


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


def agreement_version_problem(version, current):
    """Why a student may not join by signing `version` of the agreement, or None."""
    if version != current:
        return f"the current version of the accession agreement is {current}: sign that one"
    return None


def masked_iin(iin):
    """An IIN as a public answer shows it: its last four digits."""
    return "*" * (len(iin) - 4) + iin[-4:]


def report_signature_problem(role, certificate_bin, certificate_iin, organisation_bin, coordinator_iin):
    """Why this certificate may not sign a completion report of the organisation `organisation_bin`
    submitted by a coordinator with `coordinator_iin` (None when registry knows no IIN), or None:
    any legal entity certificate of that very BIN (head, signing right, employee), or the
    coordinator's own personal certificate."""
    if role in LEGAL_ROLES:
        if not organisation_bin or certificate_bin != organisation_bin:
            return (f"the signer's certificate is issued to another organisation (BIN {certificate_bin}), "
                    "not the site's")
        return None
    if role == ROLE_INDIVIDUAL:
        if not coordinator_iin or certificate_iin != coordinator_iin:
            return "a personal certificate signs a report only when it is the submitting coordinator's own"
        return None
    return "this certificate cannot sign a completion report"


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


def staff_scope_problems(role, scope):
    """Field errors for a staff user's role and scope keys in `scope` (before region is derived)."""
    if role not in STAFF_ROLES:
        return {"role": [f"must be one of: {', '.join(STAFF_ROLES)}"]}
    allowed = SCOPE_ALLOWED.get(role, SCOPE_NEEDED[role])
    problems = {key: [f"required for the role {role}"] for key in SCOPE_NEEDED[role] if not scope.get(key)}
    problems.update({key: [f"not part of the role {role}'s scope"] for key in SCOPE_KEYS
                     if scope.get(key) and key not in allowed})
    return problems


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
TRANSITIONS = {
    "accredit": ((PENDING, SUSPENDED), ACCREDITED),
    "reject": ((PENDING,), REJECTED),
    "suspend": ((ACCREDITED,), SUSPENDED),
    "withdraw": ((PENDING,), WITHDRAWN),
}
# An application that ended without accreditation frees its BIN for the real organisation.
BIN_FREED_BY = (REJECTED, WITHDRAWN)


def next_status(current, decision):
    """The status after `decision`, or None when the decision does not apply to `current`."""
    allowed_from, to = TRANSITIONS[decision]
    return to if current in allowed_from else None


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


def mobile_signing_problem(status):
    """Why the app may no longer fetch or answer a session in `status`, as (field, reason), or None:
    a link is good for one signature, until it expires."""
    if status == MOBILE_SIGNED:
        return "link", "this signing link was already used: a link signs once, start again in the portal"
    if status == MOBILE_EXPIRED:
        return "expiry_date", "this signing link has expired: start again in the portal"
    return None


def mobile_answer_problem(answer, document_id):
    """Why the app's PUT does not answer the one document it was given, as (field, reason), or None."""
    if answer["signMethod"] != MOBILE_SIGN_METHOD:
        return "signMethod", f"the document is signed as {MOBILE_SIGN_METHOD}"
    documents = answer["documentsToSign"]
    if len(documents) != 1 or documents[0]["id"] != document_id:
        return "documentsToSign", f"answer the one document given, id {document_id}"
    return None


def mobile_signer_problem(purpose, role):
    """Why a certificate of `role` may not sign a session of `purpose`, or None: a person signs in and
    registers with their own key (a company's report is checked as any report, report_signature_problem)."""
    if purpose in (MOBILE_LOGIN, MOBILE_REGISTER) and role != ROLE_INDIVIDUAL:
        return "a person signs in and registers with their personal (individual) EDS, not an organisation's"
    return None


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


def enrolment_decision_problems(decision, reason):
    """Field errors of a decision: a refusal says why (the student reads it)."""
    if decision == REFUSE and not reason:
        return {"reason": ["required to refuse"]}
    return {}


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
    spreadsheets save it, and one row per student. Returns (rows, problem with the file or None);
    each row carries its own problems (format, decision, reason, a repeated IIN)."""
    text = text.lstrip("\ufeff")  # a spreadsheet's UTF-8 byte order mark
    first = text.split("\n", 1)[0]
    if not first.strip():
        return [], "the first line must be a header row naming the iin column"
    reader = csv.reader(io.StringIO(text), delimiter=";" if first.count(";") > first.count(",") else ",")
    header = [name.strip().lower() for name in next(reader)]
    if "iin" not in header:
        return [], "the header row must name the iin column (decision and reason are optional)"
    rows, seen = [], {}
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) == ROSTER_MAX_ROWS:
            return [], f"at most {ROSTER_MAX_ROWS} rows a file: split the roster"
        values = {name: cell.strip() for name, cell in zip(header, record)}
        row = RosterRow(reader.line_num, values.get("iin", ""), (values.get("decision") or CONFIRM).lower(),
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
            row.problems.update(enrolment_decision_problems(row.decision, row.reason))
        rows.append(row)
    if not rows:
        return [], "the roster has no rows under its header"
    return rows, None


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
    """Every row's outcome at `university_id`, and the bad rows' problems by line:
    ([(row, outcome or None)], {"<line>": problems}). `students` holds the registered students of the
    rows' IINs as {iin: (university, enrolment status, reason)}."""
    outcomes, bad = [], {}
    for row in rows:
        outcome, problems = None, row.problems
        if not problems:
            outcome, problems = roster_outcome(row, university_id, students.get(row.iin))
        if problems:
            bad[str(row.row)] = problems
        outcomes.append((row, outcome))
    return outcomes, bad
