"""Placements published as placement would, tokens for each party, reports signed by the site's EDS,
and looks into timesheet's outbox."""
import datetime as dt
import uuid

from sqlalchemy import select

from common import programme
from common.auth import COORDINATOR, OPERATOR, STUDENT
from common.clock import utcnow
from common.contracts.placement import PLACEMENT_STARTED
from services.registry.models import Organisation
from services.timesheet import rules
from services.timesheet.models import OutboxEvent, Placement
from tests.harness import eventually
from tests.registry.gost_pki import LEGAL_EMPLOYEE
from tests.registry.pki import make_user, sign_document

TODAY = rules.local_today(dt.datetime.now(dt.timezone.utc))


def days_ago(days):
    return (TODAY - dt.timedelta(days=days)).isoformat()


def organisation_of(site_id):
    """The id (as the platform makes them) of the organisation a test's site belongs to."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"organisation/{site_id}").hex


def place(platform, site_id, student_id=None, kind="h20", region="KZ-75",
          student_name="Айгерім Сәрсенова", organisation_name="Almaty Children's Centre No. 7",
          organisation_id=None):
    """Publishes `placement.started` and waits until timesheet knows the placement; returns its data."""
    data = {
        "placement_id": uuid.uuid4().hex, "student_id": student_id or uuid.uuid4().hex,
        "student_name": student_name, "university_id": "kaznu", "project_id": uuid.uuid4().hex,
        "project_title": "Homework club", "direction": "tutoring", "site_id": site_id,
        "site_name": f"Site {site_id}", "organisation_id": organisation_id or organisation_of(site_id),
        "organisation_name": organisation_name, "region": region, "voucher_kind": kind,
        "hours_required": programme.voucher(kind).hours,
        "starts_on": TODAY - dt.timedelta(days=30), "ends_on": TODAY + dt.timedelta(days=30),
    }
    platform.publish(PLACEMENT_STARTED, data)

    def known():
        with platform.session("timesheet") as session:
            return session.get(Placement, data["placement_id"])

    eventually(known)
    return data


def coordinator(platform, site_id, region="KZ-75"):
    return platform.auth(COORDINATOR, name="Coordinator", site_id=site_id, organisation_id=organisation_of(site_id),
                         region=region)


def student(platform, placement):
    return platform.auth(STUDENT, user_id=placement["student_id"], name=placement["student_name"])


def operator(platform):
    return platform.auth(OPERATOR, name="Dana Operator")


def log(platform, headers, placement, hours, work_date=None, note="Homework help", **extra):
    return platform.http.post("/api/v1/hours", headers={**headers, **extra}, json={
        "placement_id": placement["placement_id"], "work_date": work_date or TODAY.isoformat(),
        "hours": hours, "note": note})


def error_of(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]


def complete_hours(platform, placement):
    """Logs the voucher's hours over past days and has the student confirm them all."""
    site = coordinator(platform, placement["site_id"])
    hours_left, day = placement["hours_required"], 1
    while hours_left:
        hours = min(hours_left, 8)
        entry = log(platform, site, placement, str(hours), days_ago(day))
        assert entry.status_code == 201, entry.text
        confirm = platform.http.post(f"/api/v1/hours/{entry.json()['id']}/confirm",
                                     headers=student(platform, placement), json={})
        assert confirm.status_code == 200, confirm.text
        hours_left, day = hours_left - hours, day + 1


def outbox(platform, event_type, **data):
    """Envelopes of `event_type` in timesheet's outbox whose data has the given values."""
    with platform.session("timesheet") as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == event_type.name)).all()
    return [row.envelope for row in rows if all(row.envelope["data"].get(k) == v for k, v in data.items())]


def site_signer(platform, placement):
    """An employee's EDS of the placement's organisation. The organisations of `place` exist only in
    timesheet's read model, so registry gets a row with a BIN for the organisation's id."""
    bin_ = str(abs(hash(placement["organisation_id"])) % 10 ** 12).zfill(12)
    with platform.session("registry") as session, session.begin():
        if session.get(Organisation, placement["organisation_id"]) is None:
            now = utcnow()
            session.add(Organisation(id=placement["organisation_id"], bin=bin_,
                                     name=placement.get("organisation_name", "Children's Centre"), kind="centre",
                                     region=placement.get("region", "KZ-71"), address="Abai avenue 1",
                                     status="accredited", created_at=now, updated_at=now))
        bin_ = session.get(Organisation, placement["organisation_id"]).bin
    return make_user(name="СОТРУДНИКОВА ДАНА АСЕТОВНА", usages=LEGAL_EMPLOYEE, bin_=bin_)


def report_document(platform, placement, headers=None):
    """The HTTP response with the report's PDF to sign."""
    return platform.http.get(f"/api/v1/placements/{placement['placement_id']}/report-document",
                             headers=headers or coordinator(platform, placement["site_id"]))


def submit_signed(platform, placement, signer=None, headers=None, document=None):
    """The coordinator fetches the report's PDF and submits it signed (detached) by `signer`, by
    default an employee of the placement's organisation; returns the HTTP response (the PDF's
    refusal when the report cannot be submitted)."""
    headers = headers or coordinator(platform, placement["site_id"])
    if document is None:
        fetched = report_document(platform, placement, headers)
        if fetched.status_code != 200:
            return fetched
        assert fetched.headers["Content-Type"] == "application/pdf"
        document = fetched.content
    signature = sign_document(signer or site_signer(platform, placement), document)
    return platform.http.post("/api/v1/reports", headers=headers,
                              json={"placement_id": placement["placement_id"], "signature": signature})
