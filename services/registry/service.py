"""Registry: regions, universities, EDS sign-in, students, staff, organisations and their sites
(nameko entrypoints only).

Each entrypoint authorises the caller, loads the request once, and asks the domain (`domain.py`)
inside a unit of work, which commits the rows and the events the domain recorded together; it answers
with a view (`views.py`) dumped through its contract once. EDS verification is `eds.py`'s.
"""
import base64
import datetime as dt
import functools
import hashlib
from collections import Counter
from contextlib import contextmanager

from nameko.dependency_providers import Config
from nameko.timer import timer

from common.auth import ADMIN, COORDINATOR, REGISTRAR, STUDENT, Caller, TokenSigner, canonical_json
from common.clock import as_utc, utcnow
from common.contracts.registry import (AgreementVerifyIn, AuditQuery, ChallengeQuery, DocumentSignatureIn,
                                       EgovDocuments, EnrolmentDecisionIn, EnrolmentQuery, KeptSignatureIn, LoginIn,
                                       MobileSigningStart, OrganisationApply, OrganisationQuery, ReasonIn,
                                       RefreshIn, RegisterIn, RosterIn, SiteIn, SiteQuery, StaffIn,
                                       StaffPatch, StaffQuery, StepUpIn, StudentPatch,
                                       UniversityIn)
from common.db import Database
from common.errors import Conflict, Forbidden, NotFound, RuleViolation, Unauthenticated, ValidationFailed
from common.outbox import OutboxRelay
from common.rpc import rpc
from common.service import HealthMixin
from common.unit_of_work import UnitOfWork
from common.validation import load
from services.registry import access, agreements, domain, eds, repository, rules, views
from services.registry.dependencies import EdsSignIn
from services.registry.models import OutboxEvent, StaffUser, Student
from services.registry.repository import snapshot

DEFAULT_CHALLENGE_TTL_SECONDS = 300
DEFAULT_MOBILE_TTL_SECONDS = 300
MOBILE_FINISH_SECONDS = 120  # a mobile sign-in's nonce outlives its link: the portal signs in after the app
DEFAULT_REFRESH_TTL_SECONDS = 8 * 3600  # a working day: then sign in with EDS again
MAX_REFRESH_TTL_SECONDS = 30 * 24 * 3600


class RegistryService(HealthMixin):
    name = "registry"

    config = Config()
    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)
    eds = EdsSignIn()
    tokens = TokenSigner()

    def unit_of_work(self):
        return UnitOfWork(self.db, OutboxEvent)

    # Reference data

    @rpc
    def list_regions(self):
        return views.regions(self.db)

    @rpc
    def list_universities(self, region=None):
        return views.universities(self.db, region)

    @rpc
    def add_university(self, payload):
        principal = self.caller().require(ADMIN)
        data = load(UniversityIn, payload)
        with self.unit_of_work() as uow:
            if repository.find_university_by_code(self.db, data["code"]):
                raise Conflict("a university with this code exists", {"code": ["already registered"]})
            university = uow.track(domain.University.add(data))
            repository.add(self.db, university.row)
            repository.audit(self.db, principal, "university.add", university.row)
            return views.university(university.row)

    # EDS sign-in

    @rpc
    def create_challenge(self, query=None):
        """A nonce and the text to sign: the sign-in text, or with `agreement_language` the current
        accession agreement with the nonce inside (to register, or to join at a sign-in)."""
        language = load(ChallengeQuery, query).get("agreement_language")
        ttl = int(self.config.get("EDS_CHALLENGE_TTL_SECONDS", DEFAULT_CHALLENGE_TTL_SECONDS))
        with self.db.begin():
            challenge = repository.create_challenge(self.db, ttl)
        version = agreements.CURRENT if language else None
        text = domain.text_to_sign(version, language)(challenge.nonce, as_utc(challenge.created_at))
        return views.challenge(challenge, text, self.eds.accepts_test_keys, agreement_version=version,
                               agreement_language=language)

    @timer(interval=3600)
    def forget_expired_challenges(self):
        with self.db.begin():
            repository.forget_expired_challenges(self.db, utcnow() - dt.timedelta(days=1))
            repository.forget_expired_refresh_tokens(self.db, utcnow() - dt.timedelta(days=1))
            repository.forget_expired_mobile_signings(self.db, utcnow() - dt.timedelta(days=1))

    @rpc
    def login(self, payload):
        """A student who never signed the accession agreement (registered before there was one) signs
        the current version to sign in: a signature over the sign-in text alone is refused, 403 naming
        the version, and nothing else opens until they have."""
        data = load(LoginIn, payload)
        with self._signed(data, domain.text_to_sign(data.get("agreement_version"), data.get("agreement_language"))) \
                as (identity, text):
            account = self._account(identity, data.get("role"))
            if isinstance(account, Student):
                if data.get("agreement_version"):
                    self._join(domain.Student(account), identity, data, text)
                elif repository.find_agreement(self.db, account.id) is None:
                    reason = f"sign the accession agreement {agreements.CURRENT} to continue"
                    raise Forbidden(reason, {"agreement_version": [agreements.CURRENT]})
            return self._token(account, identity.full_name)

    @rpc
    def register_student(self, payload):
        """The student joins by signing the current accession agreement with the challenge's nonce inside."""
        data = load(RegisterIn, payload)
        with self._signed(data, domain.text_to_sign(data["agreement_version"], data["agreement_language"])) \
                as (identity, text):
            rules.check_student_signature(identity.role)
            self._known_university(data["university_id"])
            if repository.find_student_by_iin(self.db, identity.iin):
                raise Conflict("a student with this IIN is registered: sign in instead", {"iin": ["registered"]})
            person = rules.person_from_iin(identity.iin, test=identity.test_ca)
            student = repository.track(self.db, domain.Student.register(identity, person, data, utcnow()))
            repository.add(self.db, student.row)  # the agreement refers to the student's row
            roster_entry = repository.roster_entry_on_arrival(self.db, student.row.university_id, student.row.iin)
            student.arrive(roster_entry, utcnow())
            self._join(student, identity, data, text)
            repository.audit(self.db, domain.student_principal(student.row), "student.register", student.row)
            return self._token(student.row, identity.full_name)

    def _join(self, student, identity, data, text):
        """Keeps the agreement the student signed (once per version), with its evidence."""
        rules.check_agreement_version(data["agreement_version"], agreements.CURRENT)
        if repository.find_agreement(self.db, student.row.id, data["agreement_version"]) is None:
            repository.add(self.db, student.sign_agreement(identity, data["agreement_version"],
                                                           data["agreement_language"], text, data["signature"]))

    def _known_university(self, university_id):
        if repository.university(self.db, university_id) is None:
            raise ValidationFailed("no such university", {"university_id": ["unknown university"]})

    # Step-up: a fresh EDS signature over a change about to be made (payout details)

    @rpc
    def create_step_up_challenge(self, purpose, details):
        """A nonce, and the text to sign: the change itself with the nonce and time."""
        self.caller().require(STUDENT)
        rules.check_step_up_purpose(purpose)
        ttl = int(self.config.get("EDS_CHALLENGE_TTL_SECONDS", DEFAULT_CHALLENGE_TTL_SECONDS))
        with self.db.begin():
            challenge = repository.create_challenge(self.db, ttl)
        text = rules.step_up_text(challenge.nonce, as_utc(challenge.created_at), purpose, canonical_json(details))
        return views.challenge(challenge, text, self.eds.accepts_test_keys)

    @rpc
    def step_up(self, purpose, payload):
        """The student's own signature over exactly `details` gives a step-up token for them."""
        principal = self.caller().require(STUDENT)
        data = load(StepUpIn, payload)
        rules.check_step_up_purpose(purpose)
        text = functools.partial(rules.step_up_text, purpose=purpose, canonical_data=canonical_json(data["details"]))
        with self._signed(data, text) as (identity, _):
            student = repository.student(self.db, principal.user_id)
            rules.check_student_signature(identity.role, Forbidden)
            rules.check_own_signature(identity.iin, student and student.iin)
        return views.step_up(self.tokens.step_up(principal.user_id, purpose, data["details"]))

    @contextmanager
    def _signed(self, data, text_of=rules.challenge_text):
        """A transaction that uses the challenge up and gives the identity its signature proves, and
        the text it signed.

        One transaction for the whole sign-in or registration; if anything refuses it, the challenge
        is used up all the same (a nonce is good for one try)."""
        try:
            with self.unit_of_work():
                issued_at = as_utc(repository.use_challenge(self.db, data["nonce"]))
                text = text_of(data["nonce"], issued_at)
                yield self.eds(data["signature"], text, issued_at), text
        except Exception:
            with self.db.begin():
                repository.spend_challenge(self.db, data["nonce"])
            raise

    def _account(self, identity, role):
        """The account this signature signs in to (domain.signing_in)."""
        found = (repository.find_student_by_iin(self.db, identity.iin),
                 repository.find_staff_by_iin(self.db, identity.iin))
        accounts = [a for a in found if a is not None and getattr(a, "active", True)]
        organisations = {a.id: repository.organisation(self.db, a.organisation_id) for a in accounts
                         if isinstance(a, StaffUser) and a.organisation_id}
        return domain.signing_in(identity, accounts, role, {
            account_id: organisation and organisation.bin for account_id, organisation in organisations.items()})

    def _token(self, account, name):
        """An access token for the account and a refresh token to renew it, stored in the caller's
        transaction."""
        principal = domain.student_principal(account) if isinstance(account, Student) else domain.signed_in_staff(
            account, account.organisation_id and repository.organisation(self.db, account.organisation_id))
        access, ttl = self.tokens(principal, name)
        refresh_ttl = min(int(self.config.get("AUTH_REFRESH_TTL_SECONDS") or DEFAULT_REFRESH_TTL_SECONDS),
                          MAX_REFRESH_TTL_SECONDS)
        refresh = repository.add_refresh_token(self.db, principal.user_id, name, refresh_ttl)
        return views.token(principal, name, access, ttl, refresh, refresh_ttl)

    @rpc
    def refresh(self, payload):
        """A new access token (and refresh token) for a refresh token, which is used up; refused
        once it is revoked or its account is deactivated. Role and scope are read afresh."""
        data = load(RefreshIn, payload)
        with self.db.begin():
            used = repository.use_refresh_token(self.db, data["refresh_token"])
            account = used and (repository.student(self.db, used.account_id)
                                or repository.staff(self.db, used.account_id))
            if account is not None and getattr(account, "active", True):
                return self._token(account, used.name)
        reason = "the refresh token is not valid: sign in again"
        raise Unauthenticated(reason, {"refresh_token": [reason]})

    @rpc
    def sign_out(self):
        """Revoke every refresh token of the signed-in user; their access token ends on its own."""
        principal = self.caller()
        with self.db.begin():
            repository.revoke_refresh_tokens(self.db, principal.user_id)

    # Students

    @rpc
    def get_my_student(self):
        principal = self.caller().require(STUDENT)
        return views.student(access.own_student(principal, repository.student(self.db, principal.user_id)))

    @rpc
    def update_my_student(self, payload):
        principal = self.caller().require(STUDENT)
        changes = load(StudentPatch, payload)
        with self.unit_of_work():
            row = access.own_student(principal, repository.student(self.db, principal.user_id))
            if "university_id" in changes:
                self._known_university(changes["university_id"])
            student = repository.track(self.db, domain.Student(row))
            before = snapshot(row)
            if student.update(changes, utcnow()):  # a transfer: the new university confirms
                student.arrive(repository.roster_entry_on_arrival(self.db, row.university_id, row.iin), utcnow())
            repository.audit(self.db, principal, "student.update", row, before)
            return views.student(row)

    @rpc
    def get_student(self, student_id):
        principal = self.caller()
        return views.student(access.visible_student(principal, repository.student(self.db, student_id)))

    # Enrolment: the registrar of the student's university confirms or refuses it (rules.py, "Enrolment")

    @rpc
    def list_enrolments(self, query=None):
        """The registrar's university's students with their enrolment, oldest registration first."""
        principal = self.caller().require(REGISTRAR)
        return views.enrolments(self.db, principal.university_id, load(EnrolmentQuery, query))

    @rpc
    def decide_enrolment(self, student_id, payload):
        principal = self.caller().require(REGISTRAR)
        data = load(EnrolmentDecisionIn, payload)
        rules.check_enrolment_decision(data["decision"], data["reason"])
        with self.unit_of_work():
            row = access.registrars_student(principal, repository.student(self.db, student_id, lock=True))
            before = snapshot(row)
            student = repository.track(self.db, domain.Student(row))
            if student.decide_enrolment(data["decision"], data["reason"], principal.user_id, principal.name,
                                        utcnow()):
                repository.audit(self.db, principal, f"enrolment.{data['decision']}", row, before)
            return views.enrolled(row)

    @rpc
    def import_roster(self, payload):
        """A roster CSV of the registrar's university, all or nothing: any bad row refuses the whole
        file (422, each bad row's problems under `rows`); else each row is applied and answered."""
        principal = self.caller().require(REGISTRAR)
        rows = rules.read_roster(load(RosterIn, payload)["csv"])
        with self.unit_of_work():
            repository.roster_turn(self.db, principal.university_id)
            students = repository.students_by_iin(self.db, {row.iin for row in rows if not row.problems})
            outcomes = rules.roster_outcomes(rows, principal.university_id, {
                iin: (s.university_id, s.enrolment_status, s.enrolment_reason) for iin, s in students.items()})
            for row, outcome in outcomes:
                self._apply_roster_row(principal, row, outcome, students.get(row.iin))
        return views.roster(outcomes, dict(Counter(outcome for _, outcome in outcomes)))

    def _apply_roster_row(self, principal, row, outcome, registered):
        """A registered student's change, audited; an IIN not registered yet kept, for its holder to be
        confirmed on arrival."""
        if outcome == rules.PRE_CONFIRMED:
            if repository.roster_entry(self.db, principal.university_id, row.iin) is None:
                repository.add(self.db, domain.roster_entry(principal, row.iin, utcnow()))
        elif outcome != rules.UNCHANGED:
            before = snapshot(registered)
            reason = row.reason if outcome == rules.ENROLMENT_REFUSED else None
            repository.track(self.db, domain.Student(registered)).set_enrolment(
                outcome, reason, principal.user_id, principal.name, utcnow())
            repository.audit(self.db, principal, f"enrolment.roster.{row.decision}", registered, before)

    # Signed documents

    @rpc
    def get_my_agreement(self):
        """The accession agreement the student signed last, word for word, with its signature."""
        principal = self.caller().require(STUDENT)
        agreement = repository.find_agreement(self.db, principal.user_id)
        if agreement is None:
            raise NotFound("no accession agreement signed yet")
        return views.agreement(agreement)

    @rpc
    def verify_agreement(self, payload):
        """Public: whether the presented agreement signature is the one on record under its code."""
        data = load(AgreementVerifyIn, payload)
        agreement = repository.find_agreement_by_code(self.db, data["code"])
        if agreement is None:
            raise NotFound("no signed document has this code", {"code": ["unknown"]})
        presented = {key: data[key] for key in ("signature", "document_base64")}
        return self._verdict(agreement.signature, agreement.text.encode("utf-8"), agreement.evidence, presented,
                             public=True)

    @rpc
    def verify_report_signature(self, payload):
        """The coordinator's detached signature over a completion report's PDF: the evidence of a
        valid signature by a certificate of the organisation's BIN (head, signing right, employee) or
        the coordinator's own; 403 for another signer, 422 for a signature that does not hold."""
        principal = self.caller().require(COORDINATOR)
        data = load(DocumentSignatureIn, payload)
        access.check_own_organisation(principal, data["organisation_id"])
        content = rules.decoded_base64(data["document_base64"], "document_base64")
        return self._report_signer(data["signature"], content, as_utc(data["signable_since"]),
                                   data["organisation_id"], principal.user_id).evidence

    def _report_signer(self, signature, content, signable_since, organisation_id, staff_id):
        """The identity of a valid signature over a report's PDF by one who may sign it for the
        organisation and its coordinator `staff_id`."""
        try:
            identity = self.eds.verify_content(signature, content, signable_since)
        except Unauthenticated as exc:  # the coordinator is signed in: the signature, not they, is refused
            raise RuleViolation(exc.message, exc.fields)
        organisation = repository.organisation(self.db, organisation_id)  # as timesheet's placement names it
        staff = repository.staff(self.db, staff_id)
        rules.check_report_signature(identity.role, identity.bin, identity.iin, organisation and organisation.bin,
                                     staff and staff.iin)
        return identity

    @rpc
    def check_kept_signature(self, payload):
        """A signature kept with its document and evidence, verified again, and compared with what
        someone presents (timesheet's reports go through here)."""
        data = load(KeptSignatureIn, payload)
        return self._verdict(data["signature"], rules.decoded_base64(data["document_base64"], "document_base64"),
                             data["evidence"], data["presented"], public=data["public"])

    def _verdict(self, signature, content, evidence, presented, public):
        """Whether the presented signature (and document) is the one on record, and whether it still holds."""
        document = presented.get("document_base64")
        mismatch = None
        if eds.signature_bytes(presented["signature"]) != eds.signature_bytes(signature):
            mismatch = "the presented signature is not the one on record"
        elif document is not None and hashlib.sha256(
                rules.decoded_base64(document, "document_base64")).hexdigest() != evidence["document_sha256"]:
            mismatch = "the presented document is not the one on record"
        try:
            self.eds.verify_again(signature, content, evidence)
            invalid = None
        except (Unauthenticated, ValidationFailed) as exc:
            invalid = exc.message
        return views.verdict(evidence, public, mismatch, invalid)

    # Signing with eGov Mobile by QR (docs/eds.md, "eGov Mobile"): the portal opens a session for one
    # document, the app fetches it (API 1, API 2) and answers its CMS once; the portal polls and then
    # signs in, registers or submits the report with that CMS as with NCALayer's (the same checks).

    @rpc
    def start_mobile_signing(self, payload):
        """A session for the sign-in text or the accession agreement, with a new challenge's nonce
        inside, or for a report's PDF (its organisation's coordinator); with its link's key, once."""
        data = load(MobileSigningStart, payload)
        ttl = int(self.config.get("EGOV_MOBILE_TTL_SECONDS") or DEFAULT_MOBILE_TTL_SECONDS)
        with self.db.begin():
            if data["purpose"] == rules.MOBILE_REPORT:
                document = self._report_to_sign(data)
            else:
                document = self._challenge_to_sign(data, ttl)
            signing, link_key = repository.add_mobile_signing(self.db, ttl, purpose=data["purpose"], **document)
        return views.mobile_signing(signing, link_key)  # the gateway makes the link's key the QR, and drops it

    def _challenge_to_sign(self, data, ttl):
        language = data["agreement_language"]
        if data["purpose"] == rules.MOBILE_REGISTER and not language:
            raise ValidationFailed("a student registers by signing the accession agreement in ru or kk",
                                   {"agreement_language": ["required to register"]})
        challenge = repository.create_challenge(self.db, ttl + MOBILE_FINISH_SECONDS)
        issued_at = as_utc(challenge.created_at)
        version = agreements.CURRENT if language else None
        text = domain.text_to_sign(version, language)(challenge.nonce, issued_at)
        return {"content": text.encode("utf-8"), "nonce": challenge.nonce, "agreement_version": version,
                "agreement_language": language, "signable_since": issued_at}

    def _report_to_sign(self, data):
        principal = self.caller().require(COORDINATOR)
        if not data["placement_id"] or not data["document_base64"]:
            raise ValidationFailed("a report is signed for its placement", {"placement_id": ["required"]})
        access.check_own_organisation(principal, data["organisation_id"])
        return {"content": rules.decoded_base64(data["document_base64"], "document_base64"),
                "placement_id": data["placement_id"], "organisation_id": data["organisation_id"],
                "staff_id": principal.user_id, "signable_since": as_utc(data["signable_since"])}

    @rpc
    def get_mobile_signing(self, signing_id):
        """The portal's poll: the session's state, and once signed the CMS to continue with."""
        signing = repository.mobile_signing(self.db, signing_id)
        if signing is None:
            raise NotFound("no such signing session", {"id": ["unknown"]})
        return views.mobile_signing(signing)

    @rpc
    def describe_mobile_signing(self, link_key):
        """API 1: what the app shows, and a new one-time token for API 2 (the gateway adds its URI)."""
        with self.db.begin():
            signing = self._open_mobile_signing(link_key)
            token = repository.give_mobile_token(signing)
        return views.mobile_description(signing, token, self.config)

    @rpc
    def mobile_documents(self, link_key, token):
        """API 2 GET: the one document, its bytes to sign in `documentCms` (base64)."""
        signing = self._open_mobile_signing(link_key, token)
        return views.mobile_documents(signing, base64.b64encode(signing.content).decode())

    @rpc
    def sign_mobile_documents(self, link_key, token, payload):
        """API 2 PUT: the app's CMS over exactly the bytes given, verified as NCALayer's would be and kept
        once; refused with nothing kept when the link is used or expired, or the signature does not hold."""
        answer = load(EgovDocuments, payload)
        signature = answer["documentsToSign"][0]["documentCms"]
        with self.db.begin():
            signing = self._open_mobile_signing(link_key, token)
            rules.check_mobile_answer(answer, views.mobile_document_id(signing))
            identity = self._mobile_signer(signing, signature)
            if not repository.keep_mobile_signature(self.db, signing, signature, identity.full_name):
                self.db.refresh(signing)
                self._open_mobile_signing(link_key)  # raises: another answer came first, or the time ran out
        return views.mobile_documents(signing, signature)

    def _open_mobile_signing(self, link_key, token=None):
        """The session of a link the app may still use (and, with `token`, that token's)."""
        signing = repository.find_mobile_signing_by_link(self.db, link_key)
        if signing is None:
            raise NotFound("no such signing link", {"link": ["unknown signing link"]})
        if token is not None and not repository.holds_mobile_token(signing, token):
            reason = "the token is not this link's: fetch the link again"
            raise Unauthenticated(reason, {"Authorization": [reason]})
        rules.check_mobile_signing_open(
            rules.mobile_signing_status(signing.signed_at, as_utc(signing.expires_at), utcnow()))
        return signing

    def _mobile_signer(self, signing, signature):
        """The identity of the app's signature, by the checks its purpose has without eGov Mobile."""
        try:
            if signing.purpose == rules.MOBILE_REPORT:
                return self._report_signer(signature, signing.content, as_utc(signing.signable_since),
                                           signing.organisation_id, signing.staff_id)
            identity = self.eds.verify_content(signature, signing.content, as_utc(signing.signable_since))
            rules.check_mobile_signer(signing.purpose, identity.role)
        except (Unauthenticated, RuleViolation) as exc:
            raise _cms_refused(RuleViolation, exc.message)
        except (ValidationFailed, Forbidden) as exc:
            raise _cms_refused(type(exc), exc.message)
        return identity

    # Organisations and sites

    @rpc
    def apply_organisation(self, payload):
        data = load(OrganisationApply, payload)
        with self._signed(data) as (identity, _):
            rules.check_application_signature(identity.role, identity.bin, data["bin"])
            rules.check_bin(data["bin"], test=identity.test_ca)
            previous = repository.find_organisation_by_bin(self.db, data["bin"])
            rules.check_bin_free(previous and previous.status)
            staff = repository.find_staff_by_iin(self.db, identity.iin)
            if staff is not None and not domain.ended_representative(
                    staff, staff.organisation_id and repository.organisation(self.db, staff.organisation_id)):
                raise Conflict("the signer already has a staff account", {"signature": ["staff account exists"]})
            organisation = domain.Organisation.apply(data, utcnow())
            representative = organisation.take_representative(staff, identity, utcnow())
            repository.add(self.db, organisation.row, representative)
            for site in data["sites"]:
                organisation.add_site(site, utcnow())
            actor = domain.staff_principal(representative)
            repository.audit(self.db, actor, "organisation.apply", organisation.row)
            repository.audit(self.db, actor, "staff.create", representative)
        return views.organisation(organisation.row)

    @rpc
    def list_organisations(self, query=None):
        principal = self.caller()
        return views.organisations(self.db, principal, load(OrganisationQuery, query))

    @rpc
    def get_organisation(self, organisation_id):
        principal = self.caller()
        return views.organisation(access.visible_organisation(
            principal, repository.organisation(self.db, organisation_id)))

    @rpc
    def decide_organisation(self, organisation_id, decision, payload=None):
        """`decision` is accredit, reject, suspend (the two with a reason) or withdraw."""
        principal = self.caller()
        rules.check_decision(decision)
        reason = load(ReasonIn, payload)["reason"] if decision in rules.REASONED_DECISIONS else None
        with self.unit_of_work() as uow:
            row = repository.organisation(self.db, organisation_id, lock=True)
            if row is None:
                raise NotFound("no such organisation")
            access.check_may_decide(principal, row, decision)
            before = snapshot(row)
            uow.track(domain.Organisation(row)).decide(decision, reason, principal.user_id, utcnow())
            repository.audit(self.db, principal, f"organisation.{decision}", row, before)
            return views.organisation(row)

    @rpc
    def add_site(self, organisation_id, payload):
        principal = self.caller()
        data = load(SiteIn, payload)
        with self.unit_of_work() as uow:
            row = access.visible_organisation(principal, repository.organisation(self.db, organisation_id))
            access.check_may_add_site(principal, row)
            rules.check_sites_addable(row.status)
            site = uow.track(domain.Organisation(row)).add_site(data, utcnow())
            repository.add(self.db, site)
            repository.audit(self.db, principal, "site.add", site)
            return views.site(site)

    @rpc
    def list_sites(self, query=None):
        self.caller()
        return views.sites(self.db, load(SiteQuery, query))

    # Staff users

    @rpc
    def create_staff(self, payload):
        principal = self.caller()
        data = load(StaffIn, payload)
        rules.check_staff(data["role"], data, data["iin"])
        with self.db.begin():
            if not principal.has(ADMIN):  # an accredited organisation's representative, its site coordinators
                organisation = principal.organisation_id and repository.organisation(self.db, principal.organisation_id)
                access.check_representative(principal, organisation)
                rules.check_representative_creates(principal, data, organisation.status)
            data.update(self._derived_scope(data))
            if repository.find_staff_by_iin(self.db, data["iin"]):
                raise Conflict("a staff user with this IIN exists", {"iin": ["already registered"]})
            staff = domain.new_staff(data, principal.user_id, utcnow())
            repository.add(self.db, staff)
            repository.audit(self.db, principal, "staff.create", staff)
            return views.staff(staff)

    def _derived_scope(self, data):
        """Region (and the checks) from the organisation, site or university the role is bound to."""
        if data["role"] == COORDINATOR:
            return domain.coordinator_scope(data, repository.organisation(self.db, data["organisation_id"]))
        if data["role"] == REGISTRAR:
            return domain.registrar_scope(repository.university(self.db, data["university_id"]))
        return {}

    @rpc
    def list_staff(self, query=None):
        self.caller().require(ADMIN)
        return views.staff_list(self.db, load(StaffQuery, query))

    @rpc
    def update_staff(self, staff_id, payload):
        principal = self.caller().require(ADMIN)
        changes = load(StaffPatch, payload)
        with self.db.begin():
            staff = repository.staff(self.db, staff_id)
            if staff is None:
                raise NotFound("no such staff user")
            before = snapshot(staff)
            if domain.update_staff(staff, changes):
                repository.revoke_refresh_tokens(self.db, staff.id)  # renewals now stop
            repository.audit(self.db, principal, "staff.update", staff, before)
            return views.staff(staff)

    # Audit

    @rpc
    def list_audit(self, query=None):
        self.caller().require(ADMIN)
        return views.audit(self.db, load(AuditQuery, query))


def _cms_refused(error, reason):
    """The app's CMS refused: the reason on documentsToSign[0].documentCms, nested as marshmallow names it."""
    return error(reason, {"documentsToSign": {"0": {"documentCms": [reason]}}})

