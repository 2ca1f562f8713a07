"""What the portal's tests set up through the API before a person opens the browser: an organisation
that applied with its representative's EDS, staff accounts (made by an admin) for the people who will
sign in by EDS, and placements as placement announces them."""
import datetime as dt
import uuid

from common import programme
from common.auth import ADMIN, COORDINATOR, STUDENT
from common.contracts.placement import PLACEMENT_STARTED
from services.placement.models import Site as PlacementSite
from services.timesheet.models import Placement as TimesheetPlacement
from tests.harness import eventually
from tests.registry.gost_pki import LEGAL_HEAD
from tests.registry.pki import bearer, challenge, eds_login, make_user, sign_nonce

REGION = "KZ-71"
BIN = "940140000385"
SITE = {"name": "School No. 12", "address": "Abai ave 10", "city": "Astana",
        "directions": ["tutoring", "inclusive_education"], "online": False}


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def apply_organisation(platform, name="School No. 12"):
    """An organisation applies, signed by its representative: pending until its region accredits it."""
    nonce = challenge(platform.http)
    return ok(platform.http.post("/api/v1/organisations", json={
        "nonce": nonce, "signature": sign_nonce(make_user(name="ОМАРОВ ЕРЛАН", usages=LEGAL_HEAD, bin_=BIN), nonce),
        "bin": BIN, "name": name,
        "kind": "school", "region": REGION, "address": "Abai ave 10", "phone": "+77172000000",
        "email": "school@example.kz", "sites": [SITE]}), 201)


def staff(platform, role, name, **scope):
    """A person with an EDS certificate from the test PKI and a staff account an admin made for them."""
    person = make_user(name=name)
    ok(platform.http.post("/api/v1/staff", headers=platform.auth(ADMIN), json={
        "iin": person.iin, "full_name": name, "role": role, **scope}), 201)
    return person


def wait_until_placement_knows_site(platform, site_id):
    def known():
        with platform.session("placement") as session:
            return session.get(PlacementSite, site_id) is not None
    eventually(known)


def signed_in(platform, person):
    return bearer(eds_login(platform.http, person))


def slot_times(count, days_ahead=2):
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days_ahead)).replace(
        hour=5, minute=0, second=0, microsecond=0)
    return [(start + dt.timedelta(hours=i)).isoformat() for i in range(count)]


def publish_project(platform, headers, **overrides):
    today = dt.date.today()
    body = {"title": "Maths tutoring for fifth grade", "description": "Help pupils with fractions after school.",
            "direction": "tutoring", "voucher_kind": "h20", "places": 3,
            "starts_on": (today + dt.timedelta(days=10)).isoformat(),
            "ends_on": (today + dt.timedelta(days=60)).isoformat(),
            "schedule": "Mon, Wed 15:00-17:00", "online": False, "languages": ["kk", "ru"], **overrides}
    project = ok(platform.http.post("/api/v1/projects", json=body, headers=headers), 201)
    slots = [{"starts_at": at, "online_link": "https://meet.example.kz/interview"} for at in slot_times(2)]
    ok(platform.http.post(f"/api/v1/projects/{project['id']}/slots", json={"slots": slots}, headers=headers), 201)
    return project


def place(platform, site_id, student_name, organisation_id, kind="h20", region=REGION):
    """A placement at `site_id` as placement announces it, once timesheet knows it."""
    today = dt.date.today()
    data = {"placement_id": uuid.uuid4().hex, "student_id": uuid.uuid4().hex, "student_name": student_name,
            "university_id": "enu", "project_id": uuid.uuid4().hex, "project_title": "Homework club",
            "direction": "tutoring", "site_id": site_id, "site_name": "School No. 12",
            "organisation_id": organisation_id, "organisation_name": "School No. 12", "region": region,
            "voucher_kind": kind, "hours_required": programme.voucher(kind).hours,
            "starts_on": today - dt.timedelta(days=30), "ends_on": today + dt.timedelta(days=30)}
    platform.publish(PLACEMENT_STARTED, data)

    def known():
        with platform.session("timesheet") as session:
            return session.get(TimesheetPlacement, data["placement_id"])
    eventually(known)
    return data


def coordinator_headers(platform, organisation_id, site_id):
    return platform.auth(COORDINATOR, name="Coordinator", organisation_id=organisation_id, site_id=site_id,
                         region=REGION)


def student_headers(platform, placement):
    return platform.auth(STUDENT, user_id=placement["student_id"], name=placement["student_name"], region=REGION)
