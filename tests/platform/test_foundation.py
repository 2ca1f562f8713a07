"""The foundation over the real broker: RPC to every service, an event across services, health."""
from sqlalchemy import func, select

from common import metrics, programme
from common.auth import ADMIN
from services.credits.models import University as CreditsUniversity
from services.registry.models import OutboxEvent as RegistryOutbox
from tests.harness import SERVICES, eventually


def test_health_reaches_every_service_broker_and_database(platform):
    assert platform.http.get("/api/v1/health").json() == {"status": "up", "down": [], "demo": False}
    assert platform.http.get("/api/v1/health/details", headers=platform.auth("student")).status_code == 403
    response = platform.http.get("/api/v1/health/details", headers=platform.auth("operator"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "up" and body["broker"] == "up" and body["down"] == []
    assert body["demo"] is False  # demo mode only where a local run turns it on
    assert platform.http.get("/api/v1/demo/people").status_code == 404
    assert set(body["services"]) == set(SERVICES)
    assert all(item == {"status": "up", "database": "up"} for item in body["services"].values())


def test_health_names_a_stopped_service(platform):
    platform.stop("payments")
    public = platform.http.get("/api/v1/health")
    assert public.status_code == 503 and public.json() == {"status": "down", "down": ["payments"], "demo": False}
    response = platform.http.get("/api/v1/health/details", headers=platform.auth("admin"))
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["payments"]
    assert body["services"]["payments"]["status"] == "down"
    assert body["services"]["registry"]["status"] == "up"


def test_reference_data_comes_from_registry_over_rpc(platform):
    regions = platform.http.get("/api/v1/regions").json()
    assert len(regions) == 20
    assert {r["code"] for r in regions} == set(programme.REGION_CODES)
    assert {r["name_en"] for r in regions if r["kind"] == "city"} == {"Astana", "Almaty", "Shymkent"}
    universities = platform.http.get("/api/v1/universities", params={"region": "KZ-71"}).json()
    assert {u["code"] for u in universities} == {"ENU", "NU"}
    assert len(platform.http.get("/api/v1/directions").json()) == 5


def test_an_event_from_registry_is_consumed_by_credits(platform):
    response = platform.http.post("/api/v1/universities", headers=platform.auth(ADMIN),
                                  json={"code": "KBTU", "name": "Kazakh-British Technical University",
                                        "region": "KZ-75"})
    assert response.status_code == 201, response.text
    university_id = response.json()["id"]

    def in_credits():
        with platform.session("credits") as session:
            return session.get(CreditsUniversity, university_id)

    university = eventually(in_credits)
    assert (university.code, university.region) == ("KBTU", "KZ-75")

    def outbox_drained():
        with platform.session("registry") as session:
            return session.scalar(select(func.count()).where(RegistryOutbox.sent_at.is_(None))) == 0

    eventually(outbox_drained)


def test_adding_a_university_needs_an_admin(platform):
    body = {"code": "KBTU", "name": "Kazakh-British Technical University", "region": "KZ-75"}
    assert platform.http.post("/api/v1/universities", json=body).status_code == 401
    response = platform.http.post("/api/v1/universities", json=body, headers=platform.auth("student"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def health_rpcs():
    return sum(sample.value for family in metrics.REQUESTS.collect() for sample in family.samples
               if sample.name.endswith("_total") and sample.labels["service"] == "registry"
               and sample.labels["kind"] == "rpc" and sample.labels["name"] == "health")


def test_the_public_health_probe_is_answered_from_a_short_cache(platform):
    before = health_rpcs()
    for _ in range(20):
        assert platform.http.get("/api/v1/health").status_code == 200
    assert health_rpcs() - before <= 2  # one round per few seconds, not one per probe
