"""The sandbox bank's state and behaviour, apart from HTTP.

Idempotency: a payout key is paid at most once. Offering a key again answers the existing payout
as it is, unless that payout failed — a failed payout moved no money, so a new offer under the same
key (a new round, with a new reference) is taken as a new attempt.
"""
import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

log = logging.getLogger("sandbox_bank")

ACCEPTED, PAID, FAILED = "accepted", "paid", "failed"
CONTROL_ACTIONS = ("fail", "timeout", "error", "duplicate")
NOTIFICATION_CHUNK = 100
NOTIFICATION_ATTEMPTS = 6


class Refusal(Exception):
    """A definite no, answered 4xx."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def luhn_valid(digits):
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def sign(secret, payload):
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


@dataclass
class Rule:
    """An instruction from the control endpoint; `times` None means until reset."""
    action: str
    times: int | None = 1
    reason: str = "refused by the bank"
    delay: float = 2.0
    process: bool = True  # a timeout after doing the work, or instead of it
    account: str | None = None

    def matches(self, destination):
        return self.account is None or self.account in (destination.get("card_last4"), destination.get("iban"),
                                                         destination.get("card_token"))


@dataclass
class BankPayout:
    key: str
    reference: str
    amount: int
    destination: dict
    callback_url: str | None
    bank_ref: str = field(default_factory=lambda: "BR" + uuid.uuid4().hex[:16].upper())
    status: str = ACCEPTED
    reason: str | None = None
    accepted_at: float = field(default_factory=time.monotonic)
    settled_at: str | None = None

    def answer(self):
        return {"key": self.key, "reference": self.reference, "status": self.status, "bank_ref": self.bank_ref,
                "amount": self.amount, "reason": self.reason}


class SandboxBank:
    def __init__(self, secret, settle_seconds=0.5):
        self.secret = secret
        self.settle_seconds = settle_seconds
        self.lock = threading.RLock()
        self.http = requests.Session()
        self.reset()

    def reset(self):
        with self.lock:
            self.payouts = {}  # key -> BankPayout (the latest attempt)
            self.paid = []  # statement entries, in the order paid
            self.rules = []
            self.outbox = []  # (due monotonic time, attempt, url, payload)

    # Control

    def add_rule(self, action, **options):
        if action not in CONTROL_ACTIONS:
            raise Refusal(400, "action is one of " + ", ".join(CONTROL_ACTIONS))
        rule = Rule(action, **{k: v for k, v in options.items() if k in ("times", "reason", "delay", "process", "account")})
        with self.lock:
            self.rules.append(rule)
        return rule

    def take_rule(self, action, destination=None):
        """The first rule for `action` (matching the destination), used once."""
        with self.lock:
            for rule in self.rules:
                if rule.action == action and (destination is None or rule.matches(destination)):
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            self.rules.remove(rule)
                    return rule
        return None

    # Cards

    def tokenise(self, pan):
        digits = str(pan or "")
        if not luhn_valid(digits):
            raise Refusal(422, "not a valid card number")
        token = "tok_" + hmac.new(self.secret.encode(), digits.encode(), hashlib.sha256).hexdigest()[:32]
        return {"token": token, "last4": digits[-4:]}

    # Payouts

    def offer(self, order, key, callback_url):
        """Take one payout under its idempotency key; answers (created, the payout)."""
        if not key:
            raise Refusal(400, "an Idempotency-Key is required")
        check_order(order)
        with self.lock:
            existing = self.payouts.get(key)
            if existing is not None and existing.status != FAILED:
                if existing.amount != order["amount"]:
                    raise Refusal(409, "this idempotency key was used for another amount")
                return False, existing
            payout = BankPayout(key=key, reference=order["reference"], amount=order["amount"],
                                destination=order["destination"], callback_url=callback_url)
            self.payouts[key] = payout
            return True, payout

    def offer_batch(self, orders, callback_url):
        results = []
        for order in orders:
            try:
                _, payout = self.offer(order, order.get("key"), callback_url)
                results.append({"key": payout.key, "status": ACCEPTED, "bank_ref": payout.bank_ref})
            except Refusal as exc:
                results.append({"key": order.get("key"), "status": "refused", "reason": exc.message})
        return results

    def find(self, key):
        with self.lock:
            payout = self.payouts.get(key)
        if payout is None:
            raise Refusal(404, "no payout with this key")
        return payout.answer()

    def statement(self):
        with self.lock:
            return list(self.paid)

    # Settlement and notifications (run by the background thread)

    def settle_due(self):
        now = time.monotonic()
        with self.lock:
            due = [p for p in self.payouts.values()
                   if p.status == ACCEPTED and now - p.accepted_at >= self.settle_seconds]
            for payout in due:
                self.settle(payout)

    def settle(self, payout):
        rule = self.take_rule("fail", payout.destination)
        payout.settled_at = dt.datetime.now(dt.timezone.utc).isoformat()
        if rule is not None:
            payout.status, payout.reason = FAILED, rule.reason
        else:
            payout.status = PAID
            self.paid.append({"key": payout.key, "reference": payout.reference, "bank_ref": payout.bank_ref,
                              "amount": payout.amount, "currency": "KZT", "settled_at": payout.settled_at})
        if payout.callback_url:
            copies = 2 if self.take_rule("duplicate") else 1
            self.outbox.extend([(now_due(), 0, payout.callback_url, payout.answer())] * copies)

    def deliver_notifications(self):
        """POST due answers to their callback URLs in signed chunks; retry failures with a pause."""
        now = time.monotonic()
        with self.lock:
            due = [item for item in self.outbox if item[0] <= now]
            self.outbox = [item for item in self.outbox if item[0] > now]
        by_target = {}
        for _, attempt, url, answer in due:
            by_target.setdefault((url, attempt), []).append(answer)
        for (url, attempt), answers in by_target.items():
            for start in range(0, len(answers), NOTIFICATION_CHUNK):
                self.notify(url, attempt, answers[start:start + NOTIFICATION_CHUNK])

    def notify(self, url, attempt, answers):
        payload = {"results": answers}
        try:
            response = self.http.post(url, json=payload, timeout=10,
                                      headers={"X-Bank-Signature": sign(self.secret, payload)})
            delivered = response.status_code < 500
        except requests.RequestException:
            delivered = False
        if not delivered and attempt + 1 < NOTIFICATION_ATTEMPTS:
            with self.lock:
                self.outbox.extend((now_due(0.5 * 2 ** attempt), attempt + 1, url, answer) for answer in answers)

    def run_background(self, stop, interval=0.05):
        while not stop.wait(interval):
            try:
                self.settle_due()
                self.deliver_notifications()
            except Exception:
                log.exception("settlement round failed")


def now_due(after=0.0):
    return time.monotonic() + after


def check_order(order):
    amount = order.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise Refusal(422, "amount must be a positive whole number of tenge")
    if order.get("currency", "KZT") != "KZT":
        raise Refusal(422, "this account pays in KZT only")
    if not order.get("reference"):
        raise Refusal(422, "a reference is required")
    destination = order.get("destination") or {}
    token, iban = destination.get("card_token"), destination.get("iban")
    if token:
        if not (token.startswith("tok_") and len(token) == 36):
            raise Refusal(422, "unknown card token")
    elif not (iban and iban.startswith("KZ") and len(iban) == 20):
        raise Refusal(422, "the destination needs a card token or a KZ IBAN")
