"""What the placement tests share: an accredited organisation, its coordinator, students, projects, and
a look into placement's outbox."""
import datetime as dt
import uuid

from sqlalchemy import select

from common.auth import COORDINATOR, STUDENT
from common.contracts.registry import ORGANISATION_ACCREDITED
from services.placement.models import OutboxEvent, Site
from tests.harness import eventually

REGION = "KZ-71"
TODAY = dt.date.today()


def new_id():
    return uuid.uuid4().hex


def site_data(site_id, region=REGION, city="Astana", directions=("tutoring", "childrens_leisure"), online=True):
    return {"site_id": site_id, "name": f"School {site_id[:4]}", "address": "Kabanbay batyr 1", "city": city,
            "region": region, "directions": list(directions), "online": online}


def accredit(platform, region=REGION, **site):
    """An organisation accredited by registry with one site, once placement knows of it: the
    coordinator's headers and the organisation's and site's ids."""
    organisation_id, site_id = new_id(), new_id()
    platform.publish(ORGANISATION_ACCREDITED, {"organisation_id": organisation_id, "name": f"Org {organisation_id[:4]}",
                                               "region": region, "sites": [site_data(site_id, region, **site)]})
    wait_for_site(platform, site_id)
    return coordinator(platform, organisation_id, site_id, region), organisation_id, site_id


def wait_for_site(platform, site_id):
    def known():
        with platform.session("placement") as session:
            return session.get(Site, site_id) is not None
    eventually(known)


def coordinator(platform, organisation_id, site_id, region=REGION):
    return platform.auth(COORDINATOR, organisation_id=organisation_id, site_id=site_id, region=region)


def student(platform, name="Aigerim Nurlanova", university_id="ENU", region=REGION, user_id=None, enrolled=True):
    """A student's headers; `enrolled`: their university has confirmed them, so they may apply."""
    user_id = user_id or new_id()
    if enrolled:
        platform.enrol(user_id, university_id)
    return platform.auth(STUDENT, user_id=user_id, name=name, university_id=university_id, region=region)


def project_body(**overrides):
    body = {"title": "Maths tutoring for fifth grade", "description": "Help pupils with fractions after school.",
            "direction": "tutoring", "voucher_kind": "h20", "places": 3,
            "starts_on": (TODAY + dt.timedelta(days=10)).isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=60)).isoformat(),
            "schedule": "Mon, Wed 15:00-17:00", "online": False, "languages": ["kk", "ru"]}
    return {**body, **overrides}


def publish_project(platform, headers, **overrides):
    response = platform.http.post("/api/v1/projects", json=project_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def slot_times(count, days_ahead=1):
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=days_ahead)
    return [(start + dt.timedelta(minutes=30 * i)).isoformat() for i in range(count)]


def offer_slots(platform, headers, project_id, count=1):
    slots = [{"starts_at": at, "online_link": "https://meet.example.kz/interview"} for at in slot_times(count)]
    response = platform.http.post(f"/api/v1/projects/{project_id}/slots", json={"slots": slots}, headers=headers)
    assert response.status_code == 201, response.text
    return [slot["id"] for slot in response.json()["items"]]


def apply(platform, headers, project_id, motivation=None):
    body = {"motivation": motivation} if motivation else {}
    response = platform.http.post(f"/api/v1/projects/{project_id}/applications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def book(platform, headers, application_id, slot_id):
    response = platform.http.post(f"/api/v1/applications/{application_id}/interview", json={"slot_id": slot_id},
                                  headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def decide(platform, headers, application_id, outcome, reason=None):
    body = {"outcome": outcome, **({"reason": reason} if reason else {})}
    return platform.http.post(f"/api/v1/applications/{application_id}/outcome", json=body, headers=headers)


def interviewed(platform, coordinator_headers, project_id, students):
    """Each student applies and books one of the slots the coordinator offers; their applications."""
    slot_ids = offer_slots(platform, coordinator_headers, project_id, len(students))
    applications = []
    for headers, slot_id in zip(students, slot_ids):
        application = apply(platform, headers, project_id)
        applications.append(book(platform, headers, application["id"], slot_id))
    return applications


def error_code(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]


def outbox(platform, event_type, **data):
    """The data of `event_type`'s events in placement's outbox, oldest first, as the contract loads
    it; only those with the given values."""
    with platform.session("placement") as session:
        envelopes = session.scalars(select(OutboxEvent.envelope).where(OutboxEvent.event_type == event_type.name)
                                    .order_by(OutboxEvent.created_at)).all()
    loaded = [event_type.load(envelope) for envelope in envelopes]
    return [item for item in loaded if all(item[name] == value for name, value in data.items())]


def application_data(application, project, site_id):
    """The fields every event about `application` carries."""
    return {"application_id": application["id"], "student_id": application["student_id"],
            "student_name": application["student_name"], "project_id": project["id"],
            "project_title": project["title"], "site_id": site_id, "region": project["region"]}
