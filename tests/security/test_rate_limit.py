"""Sign-in routes are rate-limited per client: a small burst, then 429 with Retry-After."""
import pytest

from common.auth import STUDENT
from gateway.ratelimit import RateLimited, TokenBuckets
from tests.registry.pki import make_user, sign_nonce

BURST = 3


@pytest.fixture
def service_overrides():
    # one trusted proxy in front, as in production: the client is X-Forwarded-For's last entry
    return {"gateway": {"LOGIN_RATE_PER_MINUTE": 1, "LOGIN_RATE_BURST": BURST, "LOGIN_RATE_TRUSTED_PROXIES": 1}}


def from_client(address, forged=None):
    return {"X-Forwarded-For": ", ".join(filter(None, [forged, address]))}


def test_sign_in_routes_share_a_per_client_bucket_and_answer_429_with_retry_after(platform):
    http, alice = platform.http, from_client("203.0.113.7")
    answers = []
    for _ in range(BURST - 1):
        response = http.post("/api/v1/auth/challenge", headers=alice)
        assert response.status_code == 201, response.text
        answers.append(response.json())
    nonces = [answer["nonce"] for answer in answers]
    person = make_user(name="ТЕСТОВ ТЕСТ")
    login = http.post("/api/v1/auth/login", headers=alice,
                      json={"nonce": nonces[0], "signature": sign_nonce(person, answers[0])})
    assert login.status_code == 401, login.text  # the last token of the burst reached the registry

    for path, body in (("/api/v1/auth/challenge", None),
                       ("/api/v1/auth/login", {"nonce": nonces[1], "signature": sign_nonce(person, answers[1])}),
                       ("/api/v1/auth/register", {"nonce": nonces[1], "signature": "AAAA", "university_id": "0" * 32,
                                                  "region": "KZ-71", "agreement_version": "2026-1",
                                                  "agreement_language": "ru"})):
        limited = http.post(path, headers=alice, json=body)
        assert limited.status_code == 429, (path, limited.text)
        assert limited.json()["error"]["code"] == "too_many_requests"
        assert set(limited.json()["error"]) == {"code", "message", "fields"}
        assert 1 <= int(limited.headers["Retry-After"]) <= 60

    # what the client writes to the left of the edge's entry does not make it someone else
    assert http.post("/api/v1/auth/challenge", headers=from_client("203.0.113.7", forged="198.51.100.1")
                     ).status_code == 429
    # another client, and other routes, are not affected
    assert http.post("/api/v1/auth/challenge", headers=from_client("203.0.113.8")).status_code == 201
    assert http.get("/api/v1/students/me/credits", headers={**alice, **platform.auth(STUDENT)}).status_code == 200


def test_a_bucket_refills_at_its_rate_up_to_its_burst():
    now = [0.0]
    buckets = TokenBuckets(per_minute=6, burst=2, clock=lambda: now[0])
    buckets.take("a"), buckets.take("a")
    with pytest.raises(RateLimited) as refused:
        buckets.take("a")
    assert refused.value.headers == {"Retry-After": "10"}
    buckets.take("b")  # a bucket of its own
    now[0] = 10.0
    buckets.take("a")
    with pytest.raises(RateLimited):
        buckets.take("a")
    now[0] = 3600.0  # a long pause refills only up to the burst
    buckets.take("a"), buckets.take("a")
    with pytest.raises(RateLimited):
        buckets.take("a")
