"""The bank, behind an adapter: tokenise a card, send a payout or a day's batch, ask a payout's
status, read the statement, and check that a notification really came from the bank.

Every send carries the payout's key as the idempotency key: the bank never pays a key twice, so a
retry after a timeout, or a batch re-sent, cannot pay twice. `SandboxBankAdapter` speaks HTTP to the
sandbox bank (`sandbox_bank/`); a real bank gets an adapter of its own with the same methods.
"""
import hashlib
import hmac
import json

import requests


class BankUnavailable(Exception):
    """No definite answer (timeout, connection refused, 5xx): the call may be retried."""


class BankRefused(Exception):
    """A definite no: the payout must not be retried as it is."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class BankAdapter:
    def tokenise_card(self, pan, holder_name):
        """(token, last four digits) for a card; the number stays with the bank."""
        raise NotImplementedError

    def send(self, payout, idempotency_key):
        """Offer one payout (a dict: amount, destination, reference); answers the bank's reference."""
        raise NotImplementedError

    def send_batch(self, batch_id, payouts):
        """Offer a day's payouts at once; answers {key: ("accepted", bank_ref) or ("refused", reason)}."""
        raise NotImplementedError

    def status(self, key):
        """The bank's latest word on a payout: dict with status, reference, bank_ref, reason; None if unknown."""
        raise NotImplementedError

    def statement(self):
        """Every payout the bank has paid: dicts with key, reference, bank_ref, amount."""
        raise NotImplementedError

    def verify_notification(self, payload, signature):
        """Whether a notification with this signature was sent by the bank."""
        raise NotImplementedError


def notification_signature(secret, payload):
    """HMAC-SHA256 of the canonical JSON of a notification, as the sandbox bank signs it."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


class SandboxBankAdapter(BankAdapter):
    def __init__(self, base_url, timeout, webhook_secret, callback_url=None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.webhook_secret = webhook_secret
        self.callback_url = callback_url
        self.http = requests.Session()

    def tokenise_card(self, pan, holder_name):
        body = self._call("POST", "/cards", json={"pan": pan, "holder_name": holder_name})
        return body["token"], body["last4"]

    def send(self, payout, idempotency_key):
        body = self._call("POST", "/payouts", json={**payout, "callback_url": self.callback_url},
                          headers={"Idempotency-Key": idempotency_key})
        return body["bank_ref"]

    def send_batch(self, batch_id, payouts):
        body = self._call("POST", "/batches", json={"payouts": payouts, "callback_url": self.callback_url},
                          headers={"Idempotency-Key": "batch-" + batch_id})
        return {item["key"]: (item["status"], item.get("bank_ref") or item.get("reason"))
                for item in body["results"]}

    def status(self, key):
        try:
            return self._call("GET", "/payouts/" + requests.utils.quote(key, safe=""))
        except BankRefused:
            return None

    def statement(self):
        return self._call("GET", "/statement")["entries"]

    def verify_notification(self, payload, signature):
        expected = notification_signature(self.webhook_secret, payload)
        return bool(signature) and hmac.compare_digest(expected, signature)

    def _call(self, method, path, **kwargs):
        try:
            response = self.http.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise BankUnavailable(f"the bank did not answer: {type(exc).__name__}")
        if response.status_code >= 500:
            raise BankUnavailable(f"the bank answered {response.status_code}")
        if response.status_code >= 400:
            raise BankRefused(bank_reason(response))
        return response.json()


def bank_reason(response):
    try:
        return response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return f"the bank refused ({response.status_code})"


def adapter_from_config(config):
    return SandboxBankAdapter(config["BANK_URL"], float(config.get("BANK_TIMEOUT_SECONDS", 5)),
                              config["BANK_WEBHOOK_SECRET"], config.get("BANK_CALLBACK_URL"))
