"""Sending payouts to the bank: one by one as they become ready, or in the day's batch.

`PayoutSender` is a nameko extension with a loop of its own (like the outbox relay). Each round it
claims due payouts in one transaction, calls the bank outside any transaction, and records each
answer in another: accepted → `sent`, a definite refusal → `failed` with the bank's reason, no
answer → `ready` again after a backoff, `failed` after the last attempt. A claim left by a crashed
sender goes stale and is taken again; the idempotency key makes the repeat harmless. In the daily
schedule the loop also sends the day's batch at its time. And it asks the bank about payouts the
bank accepted long ago without an answer (a lost notification).
"""
import datetime as dt
import logging
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import eventlet
from nameko.extensions import DependencyProvider
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common import programme
from common.db import DATABASE_URL_KEY, make_engine
from common.outbox import utcnow
from services.payments import repository, rules
from services.payments.bank import BankRefused, BankUnavailable, adapter_from_config
from services.payments.models import Payout, PayoutBatch

log = logging.getLogger(__name__)
LOCAL_TIME = ZoneInfo(programme.TIMEZONE)
BATCH_LIMIT = 10_000
ONE_BY_ONE_LIMIT = 50
STATUS_CHECK_LIMIT = 50
CONCURRENT_BANK_CALLS = 8


@dataclass(frozen=True)
class Settings:
    schedule: str
    batch_at: dt.time | None  # None: only when the Operator asks
    max_attempts: int
    retry_base_seconds: float
    retry_cap_seconds: float
    stale_claim_seconds: float
    status_check_seconds: float
    interval: float

    @classmethod
    def from_config(cls, config):
        timeout = float(config.get("BANK_TIMEOUT_SECONDS", 5))
        schedule = config.get("PAYOUT_SCHEDULE", rules.IMMEDIATE)
        if schedule not in (rules.IMMEDIATE, rules.DAILY):
            raise ValueError(f"PAYOUT_SCHEDULE is {rules.IMMEDIATE} or {rules.DAILY}, not {schedule!r}")
        return cls(
            schedule=schedule,
            batch_at=rules.parse_time_of_day(str(config.get("PAYOUT_BATCH_AT") or "")),
            max_attempts=int(config.get("BANK_MAX_ATTEMPTS", 5)),
            retry_base_seconds=float(config.get("BANK_RETRY_BASE_SECONDS", 1)),
            retry_cap_seconds=float(config.get("BANK_RETRY_CAP_SECONDS", 300)),
            stale_claim_seconds=max(60.0, 4 * timeout),
            status_check_seconds=float(config.get("BANK_STATUS_CHECK_SECONDS", 300)),
            interval=float(config.get("PAYOUT_SENDER_INTERVAL", 1)),
        )

    @property
    def batched(self):
        """Whether new payouts wait for the day's batch."""
        return self.schedule == rules.DAILY


def today_local():
    return dt.datetime.now(LOCAL_TIME).date()


class PayoutSender(DependencyProvider):
    """Gives workers `self.sender` (settings, `wake()`, `open_batch()`) and runs the sending loop."""

    def setup(self):
        config = self.container.config
        self.config = config
        self.settings = Settings.from_config(config)
        self.engine = make_engine(config[DATABASE_URL_KEY])
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.bank = adapter_from_config(config)
        self.wake_up = threading.Event()
        self.running = False

    def start(self):
        self.running = True
        self.container.spawn_managed_thread(self.run)

    def stop(self):
        self.running = False
        self.wake_up.set()
        self.engine.dispose()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self

    def wake(self):
        """Send soon: a worker made payouts ready."""
        self.wake_up.set()

    def run(self):
        while self.running:
            self.wake_up.wait(self.settings.interval)
            self.wake_up.clear()
            try:
                self.send_round()
            except Exception:
                log.exception("the payout sender's round failed; it runs again")

    def send_round(self):
        while self.running and send_one_by_one(self.sessions, self.bank, self.settings) == ONE_BY_ONE_LIMIT:
            pass
        if self.settings.batched and self.batch_due():
            self.open_batch(today_local(), by="schedule")
        send_requested_batches(self.sessions, self.bank, self.settings)
        ask_about_unanswered(self.sessions, self.bank, self.settings)

    def batch_due(self):
        if self.settings.batch_at is None:
            return False
        with self.sessions() as session:
            sent_today = repository.batch_sent_on(session, today_local())
        return rules.batch_due(dt.datetime.now(LOCAL_TIME), self.settings.batch_at, sent_today)

    def open_batch(self, day, by):
        """Claim every payout waiting for the day's batch; the loop sends it. Answers the batch."""
        with self.sessions() as session, session.begin():
            batch = repository.open_batch(session, self.settings, day, by, BATCH_LIMIT)
        self.wake()
        return batch


def send_one_by_one(sessions, bank, settings):
    """Send due payouts one call each, a few calls at a time (the bank, not this process, is the
    wait); answers how many were claimed."""
    with sessions() as session, session.begin():
        payouts = repository.claim_due(session, settings, batched=False, limit=ONE_BY_ONE_LIMIT)
        orders = [(payout.claim, repository.bank_order(payout)) for payout in payouts]

    def send(claim, order):
        try:
            answer = ("accepted", bank.send(order, order["key"]))
        except BankRefused as exc:
            answer = ("refused", exc.reason)
        except BankUnavailable as exc:
            answer = ("unanswered", str(exc))
        with sessions() as session, session.begin():
            record_answers(session, settings, claim, {order["key"]: answer}, [order["key"]])

    for _ in eventlet.GreenPool(CONCURRENT_BANK_CALLS).starmap(send, orders):
        pass
    return len(orders)


def send_requested_batches(sessions, bank, settings):
    """Each requested batch in one bank call; a batch left by a crash is sent again, harmlessly."""
    with sessions() as session:
        batches = [(batch.id, repository.batch_orders(session, batch.id))
                   for batch in repository.requested_batches(session)]
    for batch_id, orders in batches:
        answers = {}
        if orders:
            try:
                answers = bank.send_batch(batch_id, orders)
            except BankRefused as exc:
                answers = {order["key"]: ("refused", exc.reason) for order in orders}
            except BankUnavailable as exc:
                answers = {order["key"]: ("unanswered", str(exc)) for order in orders}
        with sessions() as session, session.begin():
            counts = record_answers(session, settings, batch_id, answers, [order["key"] for order in orders])
            batch = session.get(PayoutBatch, batch_id)
            batch.accepted, batch.refused, batch.deferred = (counts[kind] for kind in
                                                             ("accepted", "refused", "unanswered"))
            batch.status = repository.BATCH_SENT
        log.info("batch %s: %d payouts, %s", batch_id, len(orders), counts)


def record_answers(session, settings, claim, answers, keys):
    """Apply the bank's answers to those of `keys` this claim still holds (an answer may have come by
    notification first); answers counts by kind."""
    counts = {"accepted": 0, "refused": 0, "unanswered": 0}
    held = session.scalars(select(Payout).where(Payout.claim == claim, Payout.key.in_(keys),
                                                Payout.status == rules.SENDING)
                           .order_by(Payout.id).with_for_update()).all()
    for payout in held:
        kind, detail = answers.get(payout.key, ("unanswered", "the bank did not mention this payout"))
        counts[kind] += 1
        if kind == "accepted":
            repository.mark_sent(session, payout, detail, check_after=settings.status_check_seconds)
        elif kind == "refused":
            repository.mark_failed(session, payout, detail)
        else:
            repository.mark_unanswered(session, payout, detail, settings)
    return counts


def ask_about_unanswered(sessions, bank, settings):
    """Ask the bank about payouts it accepted but never answered (a notification may be lost)."""
    with sessions() as session:
        keys = repository.due_for_status_check(session, STATUS_CHECK_LIMIT)
    for key in keys:
        try:
            answer = bank.status(key)
        except BankUnavailable:
            return
        with sessions() as session, session.begin():
            payout = repository.payouts_by_key(session, [key])[key]
            if answer is None or answer["status"] not in (rules.PAID, rules.FAILED) \
                    or not repository.apply_bank_result(session, payout, answer):
                payout.next_attempt_at = utcnow() + dt.timedelta(seconds=settings.status_check_seconds)
