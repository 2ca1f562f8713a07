"""Registry: regions, universities, EDS sign-in, students, staff, organisations and their sites
(nameko entrypoints only)."""
import base64
import binascii
import datetime as dt
import functools
import hashlib
from collections import Counter
from contextlib import contextmanager

from nameko.dependency_providers import Config
from nameko.timer import timer

from common.auth import (ADMIN, COORDINATOR, REGISTRAR, SCOPE_KEYS, STEP_UP_TTL_SECONDS, STUDENT, Caller, Principal,
                         TokenSigner, canonical_json)
from common.clock import as_utc, utcnow
from common.contracts.registry import (AgreementOut, AgreementVerifyIn, AuditPage, AuditQuery, ChallengeOut,
                                       ChallengeQuery, DocumentSignatureIn, EgovApi1Out, EgovDocuments,
                                       EnrolledStudentOut, EnrolledStudentPage, EnrolmentDecisionIn, EnrolmentQuery,
                                       KeptSignatureIn, LoginIn, MobileSigningOut, MobileSigningStart,
                                       OrganisationApply, OrganisationOut, OrganisationPage, OrganisationQuery,
                                       ReasonIn, RefreshIn, RegionOut, RegisterIn, RosterIn, RosterOut,
                                       SignatureVerdictOut, SiteIn,
                                       SiteOut, SitePage, SiteQuery, StaffIn, StaffOut, StaffPage, StaffPatch,
                                       StaffQuery, StepUpIn, StepUpOut, StudentOut, StudentPatch, TokenOut,
                                       UniversityIn, UniversityOut)
from common.db import Database, find
from common.errors import Conflict, Forbidden, Gone, NotFound, RuleViolation, Unauthenticated, ValidationFailed
from common.outbox import OutboxRelay
from common.rpc import rpc
from common.service import HealthMixin
from common.validation import load
from services.registry import agreements, eds, repository, rules
from services.registry.dependencies import EdsSignIn
from services.registry.models import MobileSigning, Organisation, OutboxEvent, StaffUser, Student, University
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

    # Reference data

    @rpc
    def list_regions(self):
        return RegionOut(many=True).dump(repository.list_regions(self.db))

    @rpc
    def list_universities(self, region=None):
        return UniversityOut(many=True).dump(repository.list_universities(self.db, region))

    @rpc
    def add_university(self, payload):
        principal = self.caller().require(ADMIN)
        data = load(UniversityIn, payload)
        with self.db.begin():
            if repository.find_university_by_code(self.db, data["code"]):
                raise Conflict("a university with this code exists", {"code": ["already registered"]})
            university = repository.add_university(self.db, data)
            repository.audit(self.db, principal, "university.add", university)
        return UniversityOut().dump(university)

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
        text = _text_to_sign(version, language)(challenge.nonce, as_utc(challenge.created_at))
        return ChallengeOut().dump({"nonce": challenge.nonce, "expires_at": challenge.expires_at,
                                    "data_to_sign": text, "data_base64": _base64(text),
                                    "accepts_test_keys": self.eds.accepts_test_keys,
                                    "agreement_version": version, "agreement_language": language})

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
        with self._signed(data, _text_to_sign(data.get("agreement_version"), data.get("agreement_language"))) \
                as (identity, text):
            account = self._account(identity, data.get("role"))
            if isinstance(account, Student):
                if data.get("agreement_version"):
                    self._join(account, identity, data, text)
                elif repository.find_agreement(self.db, account.id) is None:
                    reason = f"sign the accession agreement {agreements.CURRENT} to continue"
                    raise Forbidden(reason, {"agreement_version": [agreements.CURRENT]})
            return self._token(account, identity.full_name)

    @rpc
    def register_student(self, payload):
        """The student joins by signing the current accession agreement with the challenge's nonce inside."""
        data = load(RegisterIn, payload)
        with self._signed(data, _text_to_sign(data["agreement_version"], data["agreement_language"])) \
                as (identity, text):
            _refuse_signature(rules.student_signature_problem(identity.role))
            if find(self.db, University, data["university_id"]) is None:
                raise ValidationFailed("no such university", {"university_id": ["unknown university"]})
            if repository.find_student_by_iin(self.db, identity.iin):
                raise Conflict("a student with this IIN is registered: sign in instead", {"iin": ["registered"]})
            person = rules.person_from_iin(identity.iin, test=identity.test_ca)
            student = repository.add_student(self.db, identity, person, data)
            self.db.flush()  # the agreement refers to the student's row
            repository.arrive(self.db, student)
            self._join(student, identity, data, text)
            repository.audit(self.db, _student_principal(student), "student.register", student)
            return self._token(student, identity.full_name)

    def _join(self, student, identity, data, text):
        """Keeps the agreement the student signed (once per version), with its evidence."""
        problem = rules.agreement_version_problem(data["agreement_version"], agreements.CURRENT)
        if problem:
            raise RuleViolation(problem, {"agreement_version": [problem]})
        if repository.find_agreement(self.db, student.id, data["agreement_version"]) is None:
            repository.add_agreement(self.db, student.id, identity, data["agreement_version"],
                                     data["agreement_language"], text, data["signature"])

    # Step-up: a fresh EDS signature over a change about to be made (payout details)

    @rpc
    def create_step_up_challenge(self, purpose, details):
        """A nonce, and the text to sign: the change itself with the nonce and time."""
        self.caller().require(STUDENT)
        if purpose not in rules.STEP_UP_PURPOSES:
            raise ValidationFailed("unknown step-up", {"purpose": list(rules.STEP_UP_PURPOSES)})
        ttl = int(self.config.get("EDS_CHALLENGE_TTL_SECONDS", DEFAULT_CHALLENGE_TTL_SECONDS))
        with self.db.begin():
            challenge = repository.create_challenge(self.db, ttl)
        text = rules.step_up_text(challenge.nonce, as_utc(challenge.created_at), purpose, canonical_json(details))
        return ChallengeOut().dump({"nonce": challenge.nonce, "expires_at": challenge.expires_at,
                                    "data_to_sign": text, "data_base64": _base64(text),
                                    "accepts_test_keys": self.eds.accepts_test_keys})

    @rpc
    def step_up(self, purpose, payload):
        """The student's own signature over exactly `details` gives a step-up token for them."""
        principal = self.caller().require(STUDENT)
        data = load(StepUpIn, payload)
        if purpose not in rules.STEP_UP_PURPOSES:
            raise ValidationFailed("unknown step-up", {"purpose": list(rules.STEP_UP_PURPOSES)})
        text = functools.partial(rules.step_up_text, purpose=purpose, canonical_data=canonical_json(data["details"]))
        with self._signed(data, text) as (identity, _):
            student = find(self.db, Student, principal.user_id)
            problem = rules.student_signature_problem(identity.role)
            if student is None or identity.iin != student.iin or problem:
                reason = problem or "signed by someone else: the student signs their own change"
                raise Forbidden(reason, {"signature": [reason]})
        return StepUpOut().dump({"step_up_token": self.tokens.step_up(principal.user_id, purpose, data["details"]),
                                 "expires_in": STEP_UP_TTL_SECONDS})

    @contextmanager
    def _signed(self, data, text_of=rules.challenge_text):
        """A transaction that uses the challenge up and gives the identity its signature proves, and
        the text it signed.

        One transaction for the whole sign-in or registration; if anything refuses it, the challenge
        is used up all the same (a nonce is good for one try)."""
        try:
            with self.db.begin():
                issued_at = as_utc(repository.use_challenge(self.db, data["nonce"]))
                text = text_of(data["nonce"], issued_at)
                yield self.eds(data["signature"], text, issued_at), text
        except Exception:
            with self.db.begin():
                repository.spend_challenge(self.db, data["nonce"])
            raise

    def _account(self, identity, role):
        """The account this signature signs in to. A legal entity's certificate never opens a student
        account, and a coordinator's must be their own organisation's."""
        found = (repository.find_student_by_iin(self.db, identity.iin),
                 repository.find_staff_by_iin(self.db, identity.iin))
        accounts = [a for a in found if a is not None and getattr(a, "active", True)]
        if role:
            accounts = [a for a in accounts if _role_of(a) == role]
        if not accounts:
            reason = "no account for this person: students register first, staff are added by an admin"
            raise Unauthenticated(reason, {"signature": [reason]})
        problems = {id(a): self._signature_problem(identity, a) for a in accounts}
        if all(problems.values()):
            _refuse_signature(problems[id(accounts[0])])
        accounts = [a for a in accounts if not problems[id(a)]]
        if len(accounts) > 1:
            raise Conflict("this person has several accounts: say which role signs in",
                           {"role": [_role_of(a) for a in accounts]})
        return accounts[0]

    def _signature_problem(self, identity, account):
        if isinstance(account, Student):
            return rules.student_signature_problem(identity.role)
        organisation = find(self.db, Organisation, account.organisation_id) if account.organisation_id else None
        return rules.staff_signature_problem(identity.role, identity.bin, organisation and organisation.bin)

    def _token(self, account, name):
        """An access token for the account and a refresh token to renew it, stored in the caller's
        transaction."""
        principal = _student_principal(account) if isinstance(account, Student) else self._signed_in_staff(account)
        access, ttl = self.tokens(principal, name)
        refresh_ttl = min(int(self.config.get("AUTH_REFRESH_TTL_SECONDS") or DEFAULT_REFRESH_TTL_SECONDS),
                          MAX_REFRESH_TTL_SECONDS)
        refresh = repository.add_refresh_token(self.db, principal.user_id, name, refresh_ttl)
        return TokenOut().dump({"access_token": access, "token_type": "Bearer", "expires_in": ttl,
                                "refresh_token": refresh, "refresh_expires_in": refresh_ttl,
                                "user_id": principal.user_id, "roles": list(principal.roles),
                                "scope": {k: v for k, v in principal.scope.items() if v}, "name": name})

    @rpc
    def refresh(self, payload):
        """A new access token (and refresh token) for a refresh token, which is used up; refused
        once it is revoked or its account is deactivated. Role and scope are read afresh."""
        data = load(RefreshIn, payload)
        with self.db.begin():
            used = repository.use_refresh_token(self.db, data["refresh_token"])
            account = used and (find(self.db, Student, used.account_id) or find(self.db, StaffUser, used.account_id))
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

    def _signed_in_staff(self, staff):
        """A staff user's principal at sign-in; a representative coordinates their organisation's only site."""
        organisation = find(self.db, Organisation, staff.organisation_id) if staff.organisation_id else None
        site_ids = [site.id for site in organisation.sites] if organisation is not None \
            and organisation.status == rules.ACCREDITED else []
        return _staff_principal(staff, rules.coordinated_site(staff.role, staff.site_id, site_ids))

    # Students

    @rpc
    def get_my_student(self):
        principal = self.caller().require(STUDENT)
        return StudentOut().dump(self._own_student(principal))

    @rpc
    def update_my_student(self, payload):
        principal = self.caller().require(STUDENT)
        changes = load(StudentPatch, payload)
        with self.db.begin():
            student = self._own_student(principal)
            if "university_id" in changes and find(self.db, University, changes["university_id"]) is None:
                raise ValidationFailed("no such university", {"university_id": ["unknown university"]})
            before = snapshot(student)
            repository.update_student(self.db, student, changes)
            if student.university_id != before["university_id"]:  # a transfer: the new university confirms
                repository.arrive(self.db, student)
            repository.audit(self.db, principal, "student.update", student, before)
        return StudentOut().dump(student)

    @rpc
    def get_student(self, student_id):
        principal = self.caller()
        student = find(self.db, Student, student_id)
        if student is None or not rules.may_see_student(principal, student.id, student.region,
                                                        student.university_id):
            raise NotFound("no such student")
        return StudentOut().dump(student)

    # Enrolment: the registrar of the student's university confirms or refuses it (rules.py, "Enrolment")

    @rpc
    def list_enrolments(self, query=None):
        """The registrar's university's students with their enrolment, oldest registration first."""
        principal = self.caller().require(REGISTRAR)
        filters = load(EnrolmentQuery, query)
        found = repository.list_enrolments(self.db, principal.university_id, filters, filters["limit"],
                                           filters["offset"])
        return EnrolledStudentPage().dump({**found, "items": [_enrolled(s) for s in found["items"]]})

    @rpc
    def decide_enrolment(self, student_id, payload):
        principal = self.caller().require(REGISTRAR)
        data = load(EnrolmentDecisionIn, payload)
        problems = rules.enrolment_decision_problems(data["decision"], data["reason"])
        if problems:
            raise ValidationFailed("a refusal says why", problems)
        with self.db.begin():
            student = find(self.db, Student, student_id, lock=True)
            if student is None or not rules.may_decide_enrolment(principal, student.university_id):
                raise NotFound("no such student at your university")
            change = rules.enrolment_change(student.enrolment_status, student.enrolment_reason, data["decision"],
                                            data["reason"])
            if change:
                before = snapshot(student)
                repository.set_enrolment(self.db, student, *change, by=principal.user_id, by_name=principal.name)
                repository.audit(self.db, principal, f"enrolment.{data['decision']}", student, before)
            return EnrolledStudentOut().dump(_enrolled(student))

    @rpc
    def import_roster(self, payload):
        """A roster CSV of the registrar's university, all or nothing: any bad row refuses the whole
        file (422, each bad row's problems under `rows`); else each row is applied and answered."""
        principal = self.caller().require(REGISTRAR)
        rows, problem = rules.read_roster(load(RosterIn, payload)["csv"])
        if problem:
            raise ValidationFailed(problem, {"csv": [problem]})
        with self.db.begin():
            students = repository.students_by_iin(self.db, {row.iin for row in rows if not row.problems})
            outcomes, bad = rules.roster_outcomes(rows, principal.university_id, {
                iin: (s.university_id, s.enrolment_status, s.enrolment_reason) for iin, s in students.items()})
            if bad:
                raise RuleViolation(f"{len(bad)} of {len(rows)} rows are not valid: nothing was applied",
                                    {"rows": bad})
            repository.apply_roster(self.db, outcomes, students, principal)
        return RosterOut().dump({"counts": dict(Counter(outcome for _, outcome in outcomes)), "results": [
            {"row": row.row, "iin": row.iin, "outcome": outcome} for row, outcome in outcomes]})

    # Signed documents

    @rpc
    def get_my_agreement(self):
        """The accession agreement the student signed last, word for word, with its signature."""
        principal = self.caller().require(STUDENT)
        agreement = repository.find_agreement(self.db, principal.user_id)
        if agreement is None:
            raise NotFound("no accession agreement signed yet")
        return AgreementOut().dump({field: getattr(agreement, field) for field in AgreementOut().fields}
                                   | {"signed_at": as_utc(agreement.signed_at)})

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
        if principal.organisation_id != data["organisation_id"]:
            raise Forbidden("the report is not your organisation's", {"placement_id": ["another organisation"]})
        content = _decoded(data["document_base64"], "document_base64")
        return self._report_signer(data["signature"], content, as_utc(data["signable_since"]),
                                   data["organisation_id"], principal.user_id).evidence

    def _report_signer(self, signature, content, signable_since, organisation_id, staff_id):
        """The identity of a valid signature over a report's PDF by one who may sign it for the
        organisation and its coordinator `staff_id`."""
        try:
            identity = self.eds.verify_content(signature, content, signable_since)
        except Unauthenticated as exc:  # the coordinator is signed in: the signature, not they, is refused
            raise RuleViolation(exc.message, exc.fields)
        organisation = self.db.get(Organisation, organisation_id)  # as timesheet's placement names it
        staff = self.db.get(StaffUser, staff_id)
        _refuse_signature(rules.report_signature_problem(identity.role, identity.bin, identity.iin,
                                                         organisation and organisation.bin, staff and staff.iin),
                          Forbidden)
        return identity

    @rpc
    def check_kept_signature(self, payload):
        """A signature kept with its document and evidence, verified again, and compared with what
        someone presents (timesheet's reports go through here)."""
        data = load(KeptSignatureIn, payload)
        return self._verdict(data["signature"], _decoded(data["document_base64"], "document_base64"),
                             data["evidence"], data["presented"], public=data["public"])

    def _verdict(self, signature, content, evidence, presented, public):
        signer = evidence["signer"]
        verdict = {"signer_name": signer["name"], "signer_role": signer["role"], "signer_bin": signer["bin"],
                   "signer_iin": rules.masked_iin(signer["iin"]) if public else signer["iin"],
                   "signed_at": dt.datetime.fromisoformat(evidence["signed_at"]),
                   "document_sha256": evidence["document_sha256"],
                   "matches_record": True, "valid": True, "reason": None}
        document = presented.get("document_base64")
        if eds.signature_bytes(presented["signature"]) != eds.signature_bytes(signature):
            verdict.update(matches_record=False, reason="the presented signature is not the one on record")
        elif document is not None and \
                hashlib.sha256(_decoded(document, "document_base64")).hexdigest() != evidence["document_sha256"]:
            verdict.update(matches_record=False, reason="the presented document is not the one on record")
        try:
            self.eds.verify_again(signature, content, evidence)
        except (Unauthenticated, ValidationFailed) as exc:
            verdict.update(valid=False, reason=exc.message)
        return SignatureVerdictOut().dump(verdict)

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
        return self._mobile_out(signing) | {"link_key": link_key}  # the gateway makes it the QR, and drops it

    def _challenge_to_sign(self, data, ttl):
        language = data["agreement_language"]
        if data["purpose"] == rules.MOBILE_REGISTER and not language:
            raise ValidationFailed("a student registers by signing the accession agreement in ru or kk",
                                   {"agreement_language": ["required to register"]})
        challenge = repository.create_challenge(self.db, ttl + MOBILE_FINISH_SECONDS)
        issued_at = as_utc(challenge.created_at)
        version = agreements.CURRENT if language else None
        text = _text_to_sign(version, language)(challenge.nonce, issued_at)
        return {"content": text.encode("utf-8"), "nonce": challenge.nonce, "agreement_version": version,
                "agreement_language": language, "signable_since": issued_at}

    def _report_to_sign(self, data):
        principal = self.caller().require(COORDINATOR)
        if not data["placement_id"] or not data["document_base64"]:
            raise ValidationFailed("a report is signed for its placement", {"placement_id": ["required"]})
        if principal.organisation_id != data["organisation_id"]:
            raise Forbidden("the report is not your organisation's", {"placement_id": ["another organisation"]})
        return {"content": _decoded(data["document_base64"], "document_base64"),
                "placement_id": data["placement_id"], "organisation_id": data["organisation_id"],
                "staff_id": principal.user_id, "signable_since": as_utc(data["signable_since"])}

    @rpc
    def get_mobile_signing(self, signing_id):
        """The portal's poll: the session's state, and once signed the CMS to continue with."""
        signing = find(self.db, MobileSigning, signing_id)
        if signing is None:
            raise NotFound("no such signing session", {"id": ["unknown"]})
        return self._mobile_out(signing)

    @rpc
    def describe_mobile_signing(self, link_key):
        """API 1: what the app shows, and a new one-time token for API 2 (the gateway adds its URI)."""
        with self.db.begin():
            signing = self._open_mobile_signing(link_key)
            token = repository.give_mobile_token(signing)
        organisation = {key: str(self.config.get(f"EGOV_MOBILE_ORGANISATION_{key.upper()}") or "")
                        for key in ("nameRu", "nameKz", "nameEn", "bin")}
        organisation["bin"] = organisation["bin"].zfill(12) if organisation["bin"] else ""  # YAML reads it as a number
        return EgovApi1Out().dump({
            "description": " / ".join(rules.MOBILE_DESCRIPTIONS[signing.purpose]),
            "expiry_date": as_utc(signing.expires_at), "organisation": organisation,
            "document": {"uri": "", "auth_type": "Token", "auth_token": token}})

    @rpc
    def mobile_documents(self, link_key, token):
        """API 2 GET: the one document, its bytes to sign in `documentCms` (base64)."""
        signing = self._open_mobile_signing(link_key, token)
        return EgovDocuments().dump({"signMethod": rules.MOBILE_SIGN_METHOD, "documentsToSign": [
            _mobile_document(signing, base64.b64encode(signing.content).decode())]})

    @rpc
    def sign_mobile_documents(self, link_key, token, payload):
        """API 2 PUT: the app's CMS over exactly the bytes given, verified as NCALayer's would be and kept
        once; refused with nothing kept when the link is used or expired, or the signature does not hold."""
        answer = load(EgovDocuments, payload)
        signature = answer["documentsToSign"][0]["documentCms"]
        with self.db.begin():
            signing = self._open_mobile_signing(link_key, token)
            problem = rules.mobile_answer_problem(answer, _mobile_document_id(signing))
            if problem:
                raise ValidationFailed(problem[1], {problem[0]: [problem[1]]})
            identity = self._mobile_signer(signing, signature)
            if not repository.keep_mobile_signature(self.db, signing, signature, identity.full_name):
                self.db.refresh(signing)
                self._open_mobile_signing(link_key)  # raises: another answer came first, or the time ran out
        return EgovDocuments().dump({"signMethod": rules.MOBILE_SIGN_METHOD, "documentsToSign": [
            _mobile_document(signing, signature)]})

    def _open_mobile_signing(self, link_key, token=None):
        """The session of a link the app may still use (and, with `token`, that token's)."""
        signing = repository.find_mobile_signing_by_link(self.db, link_key)
        if signing is None:
            raise NotFound("no such signing link", {"link": ["unknown signing link"]})
        if token is not None and not repository.holds_mobile_token(signing, token):
            reason = "the token is not this link's: fetch the link again"
            raise Unauthenticated(reason, {"Authorization": [reason]})
        problem = rules.mobile_signing_problem(
            rules.mobile_signing_status(signing.signed_at, as_utc(signing.expires_at), utcnow()))
        if problem:
            raise (Gone if problem[0] == "expiry_date" else Conflict)(problem[1], {problem[0]: [problem[1]]})
        return signing

    def _mobile_signer(self, signing, signature):
        """The identity of the app's signature, by the checks its purpose has without eGov Mobile."""
        try:
            if signing.purpose == rules.MOBILE_REPORT:
                return self._report_signer(signature, signing.content, as_utc(signing.signable_since),
                                           signing.organisation_id, signing.staff_id)
            identity = self.eds.verify_content(signature, signing.content, as_utc(signing.signable_since))
        except (Unauthenticated, RuleViolation) as exc:
            raise _cms_refused(RuleViolation, exc.message)
        except (ValidationFailed, Forbidden) as exc:
            raise _cms_refused(type(exc), exc.message)
        problem = rules.mobile_signer_problem(signing.purpose, identity.role)
        if problem:
            raise _cms_refused(Forbidden, problem)
        return identity

    def _mobile_out(self, signing):
        return MobileSigningOut().dump({
            "id": signing.id, "purpose": signing.purpose, "expires_at": as_utc(signing.expires_at),
            "status": rules.mobile_signing_status(signing.signed_at, as_utc(signing.expires_at), utcnow()),
            **{key: getattr(signing, key) for key in ("nonce", "agreement_version", "agreement_language",
                                                      "placement_id", "signature", "signer_name")}})

    def _own_student(self, principal):
        student = find(self.db, Student, principal.user_id)
        if student is None:
            raise NotFound("no such student")
        return student

    # Organisations and sites

    @rpc
    def apply_organisation(self, payload):
        data = load(OrganisationApply, payload)
        with self._signed(data) as (identity, _):
            _refuse_signature(rules.application_signature_problem(identity.role, identity.bin, data["bin"]),
                              Forbidden, "bin")
            problem = rules.bin_problem(data["bin"], test=identity.test_ca)
            if problem:
                raise ValidationFailed("the BIN is not valid", {"bin": [problem]})
            previous = repository.find_organisation_by_bin(self.db, data["bin"])
            if previous is not None and previous.status not in rules.BIN_FREED_BY:
                raise Conflict("an organisation with this BIN has applied", {"bin": ["already registered"]})
            representative = repository.find_staff_by_iin(self.db, identity.iin)
            if representative is not None and not self._ended_representative(representative):
                raise Conflict("the signer already has a staff account", {"signature": ["staff account exists"]})
            organisation = repository.add_organisation(self.db, data)
            if representative is None:
                representative = repository.add_staff(self.db, {
                    "iin": identity.iin, "full_name": identity.full_name, "role": COORDINATOR,
                    "region": organisation.region, "organisation_id": organisation.id}, created_by="self")
            else:
                repository.bind_representative(representative, organisation)
            organisation.representative_id = representative.id
            for site in data["sites"]:
                repository.add_site(self.db, organisation, site)
            actor = _staff_principal(representative)
            repository.audit(self.db, actor, "organisation.apply", organisation)
            repository.audit(self.db, actor, "staff.create", representative)
        return OrganisationOut().dump(organisation)

    def _ended_representative(self, staff):
        """A representative of an application that was rejected or withdrawn, who applies again."""
        organisation = find(self.db, Organisation, staff.organisation_id) if staff.organisation_id else None
        return organisation is not None and organisation.representative_id == staff.id \
            and organisation.status in rules.BIN_FREED_BY

    @rpc
    def list_organisations(self, query=None):
        principal = self.caller()
        filters = load(OrganisationQuery, query)
        result = repository.list_organisations(self.db, principal, filters, filters["limit"], filters["offset"])
        return OrganisationPage().dump(result)

    @rpc
    def get_organisation(self, organisation_id):
        return OrganisationOut().dump(self._visible_organisation(self.caller(), organisation_id))

    @rpc
    def decide_organisation(self, organisation_id, decision, payload=None):
        """`decision` is accredit, reject or suspend (the last two with a reason)."""
        principal = self.caller()
        if decision not in rules.TRANSITIONS:
            raise ValidationFailed("unknown decision", {"decision": list(rules.TRANSITIONS)})
        reason = load(ReasonIn, payload)["reason"] if decision in ("reject", "suspend") else None
        with self.db.begin():
            organisation = find(self.db, Organisation, organisation_id, lock=True)
            if organisation is None:
                raise NotFound("no such organisation")
            if decision == "withdraw":
                if not rules.may_withdraw(principal, organisation.id, organisation.representative_id):
                    raise Forbidden("only the organisation's representative withdraws its application")
            elif not rules.may_decide(principal, organisation.region):
                raise Forbidden(f"only an MIO or NVS officer of {organisation.region} may {decision} this organisation")
            status = rules.next_status(organisation.status, decision)
            if status is None:
                raise RuleViolation(f"an organisation that is {organisation.status} cannot be {decision}ed",
                                    {"status": [organisation.status]})
            before = snapshot(organisation)
            repository.decide(self.db, organisation, status, principal, reason)
            repository.audit(self.db, principal, f"organisation.{decision}", organisation, before)
        return OrganisationOut().dump(organisation)

    @rpc
    def add_site(self, organisation_id, payload):
        principal = self.caller()
        data = load(SiteIn, payload)
        with self.db.begin():
            organisation = self._visible_organisation(principal, organisation_id)
            if not rules.may_add_site(principal, organisation.id, organisation.region, organisation.representative_id):
                raise Forbidden("only the organisation's representative or an officer of its region adds sites")
            if organisation.status not in (rules.PENDING, rules.ACCREDITED):
                raise RuleViolation(f"an organisation that is {organisation.status} cannot add sites",
                                    {"status": [organisation.status]})
            site = repository.add_site(self.db, organisation, data)
            repository.audit(self.db, principal, "site.add", site)
        return SiteOut().dump(site)

    @rpc
    def list_sites(self, query=None):
        self.caller()
        filters = load(SiteQuery, query)
        return SitePage().dump(repository.list_sites(self.db, filters, filters["limit"], filters["offset"]))

    def _visible_organisation(self, principal, organisation_id):
        organisation = find(self.db, Organisation, organisation_id)
        if organisation is None or not rules.may_see_organisation(principal, organisation.id, organisation.region,
                                                                  organisation.status):
            raise NotFound("no such organisation")
        return organisation

    # Staff users

    @rpc
    def create_staff(self, payload):
        principal = self.caller()
        data = load(StaffIn, payload)
        problems = rules.staff_scope_problems(data["role"], data)
        if rules.iin_problem(data["iin"]):
            problems["iin"] = [rules.iin_problem(data["iin"])]
        if problems:
            raise ValidationFailed("the staff user is not valid", problems)
        with self.db.begin():
            self._check_may_create_staff(principal, data)
            data.update(self._derived_scope(data))
            if repository.find_staff_by_iin(self.db, data["iin"]):
                raise Conflict("a staff user with this IIN exists", {"iin": ["already registered"]})
            staff = repository.add_staff(self.db, data, created_by=principal.user_id)
            repository.audit(self.db, principal, "staff.create", staff)
        return StaffOut().dump(staff)

    def _check_may_create_staff(self, principal, data):
        """Admins create anyone; an accredited organisation's representative, its site coordinators."""
        if principal.has(ADMIN):
            return
        organisation = find(self.db, Organisation, principal.organisation_id) if principal.organisation_id else None
        if organisation is None or not rules.is_representative(principal, organisation.representative_id):
            raise Forbidden("only an admin or an organisation's representative creates staff users")
        if data["role"] != COORDINATOR or data.get("organisation_id") != principal.organisation_id \
                or not data.get("site_id"):
            raise Forbidden("a representative creates only coordinators of its own organisation's sites")
        if organisation.status != rules.ACCREDITED:
            raise RuleViolation("the organisation must be accredited to add site coordinators")

    def _derived_scope(self, data):
        """Region (and the checks) from the organisation, site or university the role is bound to."""
        if data["role"] == COORDINATOR:
            organisation = find(self.db, Organisation, data["organisation_id"])
            if organisation is None:
                raise ValidationFailed("no such organisation", {"organisation_id": ["unknown organisation"]})
            site_ids = {site.id for site in organisation.sites}
            if data.get("site_id") and data["site_id"] not in site_ids:
                raise ValidationFailed("the site is not the organisation's", {"site_id": ["not of this organisation"]})
            return {"region": organisation.region}
        if data["role"] == REGISTRAR:
            university = find(self.db, University, data["university_id"])
            if university is None:
                raise ValidationFailed("no such university", {"university_id": ["unknown university"]})
            return {"region": university.region}
        return {}

    @rpc
    def list_staff(self, query=None):
        self.caller().require(ADMIN)
        filters = load(StaffQuery, query)
        return StaffPage().dump(repository.list_staff(self.db, filters, filters["limit"], filters["offset"]))

    @rpc
    def update_staff(self, staff_id, payload):
        principal = self.caller().require(ADMIN)
        changes = load(StaffPatch, payload)
        with self.db.begin():
            staff = find(self.db, StaffUser, staff_id)
            if staff is None:
                raise NotFound("no such staff user")
            before = snapshot(staff)
            for key, value in changes.items():
                setattr(staff, key, value)
            if not staff.active or any(before[key] != getattr(staff, key) for key in ("role",) + SCOPE_KEYS):
                repository.revoke_refresh_tokens(self.db, staff.id)  # renewals now stop
            repository.audit(self.db, principal, "staff.update", staff, before)
        return StaffOut().dump(staff)

    # Audit

    @rpc
    def list_audit(self, query=None):
        self.caller().require(ADMIN)
        filters = load(AuditQuery, query)
        return AuditPage().dump(repository.list_audit(self.db, filters, filters["limit"], filters["offset"]))


def _enrolled(student):
    return {"student_id": student.id, "iin": student.iin, "full_name": student.full_name,
            "registered_at": student.created_at, "enrolment": student.enrolment}


def _role_of(account):
    return STUDENT if isinstance(account, Student) else account.role


def _student_principal(student):
    return Principal(user_id=student.id, roles=(STUDENT,),
                     scope={"region": student.region, "university_id": student.university_id})


def _staff_principal(staff, site_id=None):
    scope = {"region": staff.region, "organisation_id": staff.organisation_id, "site_id": site_id or staff.site_id,
             "university_id": staff.university_id}
    if staff.role in rules.NATIONAL_ROLES:
        scope = {}
    return Principal(user_id=staff.id, roles=(staff.role,), scope={k: v for k, v in scope.items() if v})


def _base64(text):
    return base64.b64encode(text.encode("utf-8")).decode()


def _decoded(value, field):
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("not valid base64", {field: ["not valid base64"]})


def _text_to_sign(agreement_version=None, agreement_language=None):
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


def _mobile_document_id(signing):
    return {rules.MOBILE_LOGIN: "sign-in", rules.MOBILE_REGISTER: f"agreement-{signing.agreement_version}",
            rules.MOBILE_REPORT: f"report-{signing.placement_id}"}[signing.purpose]


def _mobile_document(signing, document_cms):
    """The document as API 2 carries it; `meta` says what binds it (nonce, agreement, the PDF's digest)."""
    names = rules.MOBILE_DESCRIPTIONS[signing.purpose]
    if signing.purpose == rules.MOBILE_REPORT:
        meta = {"placement": signing.placement_id, "SHA-256": hashlib.sha256(signing.content).hexdigest()}
    else:
        meta = {"nonce": signing.nonce, "agreement": signing.agreement_version,
                "language": signing.agreement_language}
    return {"id": _mobile_document_id(signing), "nameRu": names[0], "nameKz": names[1], "nameEn": names[2],
            "meta": [{"name": name, "value": value} for name, value in meta.items() if value],
            "documentCms": document_cms}


def _cms_refused(error, reason):
    """The app's CMS refused: the reason on documentsToSign[0].documentCms, nested as marshmallow names it."""
    return error(reason, {"documentsToSign": {"0": {"documentCms": [reason]}}})


def _refuse_signature(problem, error=Unauthenticated, field="signature"):
    """A certificate that may not sign this: 401 (or `error`) naming the reason on `field`."""
    if problem:
        raise error(problem, {field: [problem]})
