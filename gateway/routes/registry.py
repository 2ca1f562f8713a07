"""EDS sign-in, students, organisations and their sites, staff users and the audit log."""
from common.contracts.registry import (AgreementOut, AgreementVerifyIn, AuditPage, AuditQuery, ChallengeOut,
                                       ChallengeQuery, EnrolledStudentOut, EnrolledStudentPage, EnrolmentDecisionIn,
                                       EnrolmentQuery, LoginIn, RosterOut, OrganisationApply, OrganisationOut,
                                       OrganisationPage, OrganisationQuery, ReasonIn, RefreshIn, RegisterIn,
                                       SignatureVerdictOut, SignedOut, SiteIn, SiteOut, SitePage, SiteQuery, StaffIn,
                                       StaffOut, StaffPage, StaffPatch, StaffQuery, StudentOut, StudentPatch,
                                       TokenOut)
from common.auth import REGISTRAR, read_token, verifying_keys
from common.errors import ValidationFailed
from gateway.http import UnsupportedMediaType, bearer_token, route
from gateway.ratelimit import LoginRateLimit
from gateway.rpc import BULK_TIMEOUT_SECONDS


class RegistryRoutes:
    login_rate_limit = LoginRateLimit()

    # EDS sign-in

    @route("POST", "/api/v1/auth/challenge", summary="A single-use nonce to sign with EDS (expires in minutes)",
           tag="auth", public=True, query=ChallengeQuery, response=ChallengeOut, status=201, errors=(429,), dumped=True)
    def create_challenge(self, request, query):
        self.login_rate_limit(request)
        return self.registry.create_challenge(query)

    @route("POST", "/api/v1/auth/register",
           summary="Register a student who signs the accession agreement (with the challenge's nonce) by EDS",
           tag="auth", public=True, body=RegisterIn, response=TokenOut, status=201, errors=(401, 409, 422, 429),
           dumped=True)
    def register_student(self, request, body):
        self.login_rate_limit(request)
        return self.registry.register_student(body)

    @route("POST", "/api/v1/auth/login", summary="Sign in with an EDS signature over a nonce", tag="auth",
           public=True, body=LoginIn, response=TokenOut, errors=(401, 403, 409, 422, 429), dumped=True)
    def login(self, request, body):
        self.login_rate_limit(request)
        return self.registry.login(body)

    @route("POST", "/api/v1/auth/refresh", summary="A new access token for a refresh token (which is used up)",
           tag="auth", public=True, body=RefreshIn, response=TokenOut, errors=(401, 429), dumped=True)
    def refresh(self, request, body):
        self.login_rate_limit(request)
        return self.registry.refresh(body)

    @route("POST", "/api/v1/auth/sign-out", summary="Sign out: revoke every refresh token of the signed-in user",
           tag="auth", response=SignedOut, errors=(401,))
    def sign_out(self, request):
        self.registry.sign_out()
        return {"signed_out": True}

    # Students

    @route("GET", "/api/v1/students/me", summary="The signed-in student's profile", tag="students",
           response=StudentOut, errors=(404,), dumped=True)
    def get_my_student(self, request):
        return self.registry.get_my_student()

    @route("PATCH", "/api/v1/students/me", summary="Change contacts, language or university (a transfer)",
           tag="students", body=StudentPatch, response=StudentOut, errors=(404,), dumped=True)
    def update_my_student(self, request, body):
        return self.registry.update_my_student(body)

    @route("GET", "/api/v1/students/me/agreement",
           summary="The accession agreement the student signed, word for word, with its CMS and evidence",
           tag="students", response=AgreementOut, errors=(404,), dumped=True)
    def get_my_agreement(self, request):
        return self.registry.get_my_agreement()

    @route("POST", "/api/v1/agreements/verify",
           summary="Whether an accession agreement's signature is the one on record under its verification code",
           tag="students", public=True, body=AgreementVerifyIn, response=SignatureVerdictOut, errors=(404,),
           dumped=True)
    def verify_agreement(self, request, body):
        return self.registry.verify_agreement(body)

    @route("GET", "/api/v1/students/<student_id>", summary="A student, for staff in scope", tag="students",
           response=StudentOut, errors=(404,), dumped=True)
    def get_student(self, request, student_id):
        return self.registry.get_student(student_id)

    # Enrolment: the registrar of the student's university confirms it, one by one or by a roster

    @route("GET", "/api/v1/enrolments", summary="The registrar's university's students and their enrolment",
           tag="students", query=EnrolmentQuery, response=EnrolledStudentPage, dumped=True)
    def list_enrolments(self, request, query):
        return self.registry.list_enrolments(query)

    @route("POST", "/api/v1/students/<student_id>/enrolment",
           summary="Confirm or refuse (with a reason) a student's enrolment (their university's registrar)",
           tag="students", body=EnrolmentDecisionIn, response=EnrolledStudentOut, errors=(404,), dumped=True)
    def decide_enrolment(self, request, student_id, body):
        return self.registry.decide_enrolment(student_id, body)

    @route("POST", "/api/v1/enrolments/roster",
           summary="A roster CSV (text/csv, UTF-8; header iin[,decision,reason]) confirming or refusing "
                   "enrolment; all or nothing, with a per-row report", tag="students", response=RosterOut,
           errors=(413, 415, 422), dumped=True)
    def import_roster(self, request):
        # who may send one is known before the file is read (registry checks it again)
        read_token(verifying_keys(self.config), bearer_token(request)).require(REGISTRAR)
        return self.registry.import_roster.within(BULK_TIMEOUT_SECONDS)({"csv": roster_text(request)})

    # Organisations and sites

    @route("POST", "/api/v1/organisations", summary="An organisation applies, signed by its representative's EDS",
           tag="organisations", public=True, body=OrganisationApply, response=OrganisationOut, status=201,
           errors=(401, 403, 409), dumped=True)
    def apply_organisation(self, request, body):
        return self.registry.apply_organisation(body)

    @route("GET", "/api/v1/organisations", summary="Organisations, by region and status", tag="organisations",
           query=OrganisationQuery, response=OrganisationPage, dumped=True)
    def list_organisations(self, request, query):
        return self.registry.list_organisations(query)

    @route("GET", "/api/v1/organisations/<organisation_id>", summary="An organisation with its sites",
           tag="organisations", response=OrganisationOut, errors=(404,), dumped=True)
    def get_organisation(self, request, organisation_id):
        return self.registry.get_organisation(organisation_id)

    @route("POST", "/api/v1/organisations/<organisation_id>/accredit",
           summary="Accredit (MIO or NVS officer of its region)", tag="organisations", response=OrganisationOut,
           errors=(404, 422), dumped=True)
    def accredit_organisation(self, request, organisation_id):
        return self.registry.decide_organisation(organisation_id, "accredit")

    @route("POST", "/api/v1/organisations/<organisation_id>/reject",
           summary="Reject with a reason (MIO or NVS officer of its region)", tag="organisations", body=ReasonIn,
           response=OrganisationOut, errors=(404, 422), dumped=True)
    def reject_organisation(self, request, organisation_id, body):
        return self.registry.decide_organisation(organisation_id, "reject", body)

    @route("POST", "/api/v1/organisations/<organisation_id>/suspend",
           summary="Suspend with a reason (MIO or NVS officer of its region)", tag="organisations", body=ReasonIn,
           response=OrganisationOut, errors=(404, 422), dumped=True)
    def suspend_organisation(self, request, organisation_id, body):
        return self.registry.decide_organisation(organisation_id, "suspend", body)

    @route("POST", "/api/v1/organisations/<organisation_id>/withdraw",
           summary="Withdraw a pending application (its representative); the BIN is free again",
           tag="organisations", response=OrganisationOut, errors=(403, 404, 422), dumped=True)
    def withdraw_organisation(self, request, organisation_id):
        return self.registry.decide_organisation(organisation_id, "withdraw")

    @route("POST", "/api/v1/organisations/<organisation_id>/sites", summary="Add a site to an organisation",
           tag="organisations", body=SiteIn, response=SiteOut, status=201, errors=(404, 422), dumped=True)
    def add_site(self, request, organisation_id, body):
        return self.registry.add_site(organisation_id, body)

    @route("GET", "/api/v1/sites", summary="Sites of accredited organisations, by region, direction, online",
           tag="organisations", query=SiteQuery, response=SitePage, dumped=True)
    def list_sites(self, request, query):
        return self.registry.list_sites(query)

    # Staff users and the audit log

    @route("POST", "/api/v1/staff", summary="Create a staff user bound to a role and scope", tag="staff",
           body=StaffIn, response=StaffOut, status=201, errors=(409, 422), dumped=True)
    def create_staff(self, request, body):
        return self.registry.create_staff(body)

    @route("GET", "/api/v1/staff", summary="Staff users (admin)", tag="staff", query=StaffQuery,
           response=StaffPage, dumped=True)
    def list_staff(self, request, query):
        return self.registry.list_staff(query)

    @route("PATCH", "/api/v1/staff/<staff_id>", summary="Rename or deactivate a staff user (admin)", tag="staff",
           body=StaffPatch, response=StaffOut, errors=(404,), dumped=True)
    def update_staff(self, request, staff_id, body):
        return self.registry.update_staff(staff_id, body)

    @route("GET", "/api/v1/audit", summary="The audit log, newest first (admin)", tag="staff", query=AuditQuery,
           response=AuditPage, dumped=True)
    def list_audit(self, request, query):
        return self.registry.list_audit(query)


def roster_text(request):
    """The roster CSV the request carries: text/csv in UTF-8 (a byte order mark is fine)."""
    if request.mimetype != "text/csv":
        raise UnsupportedMediaType("the roster is sent as text/csv", {"Content-Type": ["expected text/csv"]})
    try:
        text = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("the roster is not UTF-8 text: save it as CSV UTF-8", {"csv": ["not UTF-8"]})
    if "\x00" in text:
        raise ValidationFailed("the roster is not text", {"csv": ["holds NUL characters"]})
    return text
