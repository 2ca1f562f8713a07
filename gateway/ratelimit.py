"""Per-client token buckets for the sign-in routes, so nobody can hammer EDS challenges and logins.

Each client (by IP address) has a bucket of `LOGIN_RATE_BURST` tokens refilled at
`LOGIN_RATE_PER_MINUTE`; a request takes one token, and an empty bucket answers 429 with a
Retry-After header. Buckets live in each gateway process: with N replicas behind the edge a client
gets at most N times the rate. Behind `LOGIN_RATE_TRUSTED_PROXIES` proxies (the edge appends the
address it saw to X-Forwarded-For) the client is that many entries from the header's right end;
entries further left are whatever the client sent, so they are never trusted.
"""
import math
import time

from nameko.extensions import DependencyProvider

from common.errors import TooManyRequests

RATE_KEY = "LOGIN_RATE_PER_MINUTE"
BURST_KEY = "LOGIN_RATE_BURST"
PROXIES_KEY = "LOGIN_RATE_TRUSTED_PROXIES"
DEFAULT_RATE_PER_MINUTE = 20
DEFAULT_BURST = 10
MAX_TRACKED_CLIENTS = 10_000


class RateLimited(TooManyRequests):
    def __init__(self, retry_after_seconds):
        super().__init__("too many sign-in attempts; try again later",
                         {"retry_after": [f"{retry_after_seconds} seconds"]})
        self.headers = {"Retry-After": str(retry_after_seconds)}


class TokenBuckets:
    """Buckets by key; `take(key)` spends a token or raises RateLimited."""

    def __init__(self, per_minute, burst, clock=time.monotonic):
        self.rate = per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self.buckets = {}  # key -> (tokens, when they were counted)

    def take(self, key):
        now = self.clock()
        tokens = self._tokens(key, now)
        if tokens < 1:
            raise RateLimited(max(1, math.ceil((1 - tokens) / self.rate)))
        self.buckets[key] = (tokens - 1, now)
        if len(self.buckets) > MAX_TRACKED_CLIENTS:
            self._forget_full(now)

    def _tokens(self, key, now):
        tokens, counted_at = self.buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - counted_at) * self.rate)

    def _forget_full(self, now):
        """Clients whose bucket has refilled are indistinguishable from new ones."""
        for key in [key for key in self.buckets if self._tokens(key, now) >= self.burst]:
            del self.buckets[key]


def client_address(request, trusted_proxies):
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    if trusted_proxies and len(forwarded) >= trusted_proxies:
        return forwarded[-trusted_proxies]
    return request.remote_addr or "unknown"


class LoginRateLimit(DependencyProvider):
    """`self.login_rate_limit(request)` spends one of the client's sign-in tokens."""

    def setup(self):
        config = self.container.config
        self.trusted_proxies = int(config.get(PROXIES_KEY, 0))
        self.buckets = TokenBuckets(float(config.get(RATE_KEY, DEFAULT_RATE_PER_MINUTE)),
                                    int(config.get(BURST_KEY, DEFAULT_BURST)))

    def get_dependency(self, worker_ctx):
        return lambda request: self.buckets.take(client_address(request, self.trusted_proxies))
