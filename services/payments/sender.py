"""Sending payouts to the bank as pain.001 files, and reading what the bank sends back.

`PayoutSender` is a nameko extension with a loop of its own (like the outbox relay). Each round it
claims due payouts and writes them into one payout file in one transaction (the file is checked
against the XSD there: one that does not validate is never sent), sends each file not yet answered
(outside any transaction; a file is sent again byte for byte until the bank answers, and its MsgId
makes a repeat harmless), and reads the bank's messages, applying each once. In the daily schedule
the loop also opens the day's batch at its time: the batch is one file.
"""
import datetime as dt
import logging
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from eventlet import tpool
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import sessionmaker

from common import programme
from common.contracts.payments import FileStatus
from common.db import DATABASE_URL_KEY, make_engine
from common.errors import ValidationFailed
from common.unit_of_work import UnitOfWork
from services.payments import domain, iso20022, repository, rules
from services.payments.bank import BankUnavailable, adapter_from_config
from services.payments.models import OutboxEvent

log = logging.getLogger(__name__)
LOCAL_TIME = ZoneInfo(programme.TIMEZONE)
BATCH_LIMIT = 10_000
FILE_LIMIT = 500  # payouts in one file of the immediate schedule
DEFAULT_DEBTOR_IBAN = "KZ85125KZT0000000001"  # the simulator's Operator account (platform, tests/harness.py)


@dataclass(frozen=True)
class Settings:
    schedule: str
    batch_at: dt.time | None  # None: only when the Operator asks
    max_attempts: int
    retry_base_seconds: float
    retry_cap_seconds: float
    silence_seconds: float
    interval: float

    @classmethod
    def from_config(cls, config):
        schedule = config.get("PAYOUT_SCHEDULE", rules.IMMEDIATE)
        if schedule not in (rules.IMMEDIATE, rules.DAILY):
            raise ValueError(f"PAYOUT_SCHEDULE is {rules.IMMEDIATE} or {rules.DAILY}, not {schedule!r}")
        return cls(
            schedule=schedule,
            batch_at=rules.parse_time_of_day(str(config.get("PAYOUT_BATCH_AT") or "")),
            max_attempts=int(config.get("BANK_MAX_ATTEMPTS", 5)),
            retry_base_seconds=float(config.get("BANK_RETRY_BASE_SECONDS", 1)),
            retry_cap_seconds=float(config.get("BANK_RETRY_CAP_SECONDS", 300)),
            silence_seconds=float(config.get("BANK_SILENCE_SECONDS", 3600)),
            interval=float(config.get("PAYOUT_SENDER_INTERVAL", 1)),
        )

    @property
    def batched(self):
        """Whether new payouts wait for the day's batch."""
        return self.schedule == rules.DAILY


@dataclass(frozen=True)
class Debtor:
    """Who pays, in every file: the Operator's account, and the codes its payouts carry."""
    debtor: iso20022.Party
    codes: iso20022.KazakhCodes
    programme: str

    @classmethod
    def from_config(cls, config):
        try:
            iban = rules.check_iban(config.get("BANK_DEBTOR_IBAN") or DEFAULT_DEBTOR_IBAN)
        except ValidationFailed as exc:
            raise ValueError(f"BANK_DEBTOR_IBAN: {exc.fields['iban'][0]}")
        return cls(debtor=iso20022.Party(name=config.get("BANK_DEBTOR_NAME") or "Financial Centre JSC", iban=iban,
                                         bic=config.get("BANK_DEBTOR_BIC") or rules.bank_of_iban(iban)[2],
                                         bin=str(config.get("BANK_DEBTOR_BIN") or "050540004455")),
                   codes=iso20022.KazakhCodes(sender=str(config.get("BANK_KOD") or "16"),
                                              beneficiary=str(config.get("BANK_KBE") or "19"),
                                              purpose=str(config.get("BANK_KNP") or "390")),
                   programme=config.get("BANK_PROGRAMME") or "Student Voucher")


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
        self.debtor = Debtor.from_config(config)
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
        while self.running and write_files(self.sessions, self.debtor) == FILE_LIMIT:
            pass
        if self.settings.batched and self.batch_due():
            self.open_batch(today_local(), by="schedule")
        write_batch_files(self.sessions, self.debtor)
        send_files(self.sessions, self.bank, self.settings)
        read_messages(self.sessions, self.bank, self.debtor.debtor.iban)

    def batch_due(self):
        if self.settings.batch_at is None:
            return False
        with self.sessions() as session:
            sent_today = repository.batch_sent_on(session, today_local())
        return rules.batch_due(dt.datetime.now(LOCAL_TIME), self.settings.batch_at, sent_today)

    def open_batch(self, day, by):
        """Claim every payout waiting for the day's batch; the loop writes them into one file and sends it."""
        with self.sessions() as session, UnitOfWork(session, OutboxEvent):
            batch = domain.new_batch(day, by)
            repository.add(session, batch)
            payouts = repository.due(session, batched=True, limit=BATCH_LIMIT)
            domain.claim(payouts, repository.details_by_student(session, [p.row.student_id for p in payouts]),
                         claim_id=batch.id)
            domain.batch_claimed(batch, payouts)
        self.wake()
        return batch


def check_in_a_thread(document):
    """The XSD check (seconds of CPU for a large file) in an OS thread, so this process's other green
    threads (RPCs, events) go on meanwhile."""
    return tpool.execute(iso20022.pain001_problems, document)


def write_files(sessions, debtor):
    """The payouts due now in one payout file; answers how many."""
    with sessions() as session, UnitOfWork(session, OutboxEvent):
        payouts = repository.due(session, batched=False, limit=FILE_LIMIT)
        if payouts:
            domain.claim(payouts, repository.details_by_student(session, [p.row.student_id for p in payouts]))
            bank_file = write_file(session, payouts, debtor, today_local())
            log.info("payout file %s: %d payouts, %s", bank_file.id, len(payouts), bank_file.status)
    return len(payouts)


def write_file(session, payouts, debtor, execution_date, by=domain.SYSTEM):
    """The claimed payouts in one payout file, checked against the XSD in this transaction."""
    bank_file = domain.payout_file(payouts, debtor, execution_date, check=check_in_a_thread)
    repository.add(session, bank_file)
    domain.file_written(bank_file, payouts, by)
    return bank_file


def write_batch_files(sessions, debtor):
    with sessions() as session:
        batch_ids = repository.batches_to_write(session)
    for batch_id in batch_ids:
        with sessions() as session, UnitOfWork(session, OutboxEvent):
            batch = repository.batch(session, batch_id)
            if batch is None or batch.file_id is not None:
                continue
            payouts = repository.claimed(session, batch.id)
            if payouts:
                batch.file_id = write_file(session, payouts, debtor, batch.day, by=batch.created_by).id
            else:
                domain.batch_done(batch)


def send_files(sessions, bank, settings):
    """Each file not yet answered, in one bank call each; a file left by a crash goes again."""
    with sessions() as session:
        due = [(file_id, repository.bank_file(session, file_id, lock=False).document)
               for file_id in repository.files_due(session)]
    for file_id, document in due:
        answer = error = None
        try:
            answer = bank.send_file(document.encode("utf-8"))
        except BankUnavailable as exc:
            error = str(exc)
        with sessions() as session, UnitOfWork(session, OutboxEvent):
            bank_file = repository.bank_file(session, file_id)
            if bank_file is None or bank_file.status != FileStatus.SENDING:
                continue
            members = repository.file_members(session, bank_file, rules.SENDING)
            counts = domain.file_answered(bank_file, members, answer, error, settings)
            batch = repository.batch_of_file(session, file_id)
            if batch is not None and counts is not None:
                domain.batch_done(batch, counts)


def read_messages(sessions, bank, account):
    """Apply what the bank sent, each message once: first looked at and applied, then taken, so a
    crash between the two loses nothing (what was taken and not yet applied is applied from the
    same answer)."""
    try:
        for documents in (bank.peek, bank.collect):
            for document in documents():
                apply_document(sessions, document, account)
    except BankUnavailable as exc:
        log.warning("the bank's messages could not be read: %s", exc)


def apply_document(sessions, document, account):
    try:
        message = iso20022.read_message(document.body)
    except iso20022.UnreadableMessage as exc:
        log.warning("bank message %s (%s) not read: %s", document.bank_id, document.type, exc)
        return
    with sessions() as session, UnitOfWork(session, OutboxEvent):
        if repository.first_sight(session, message):
            summary = APPLIERS[message["type"]](session, message, account)
            repository.message(session, message["msg_id"]).summary = summary
            log.info("bank message %s %s: %s", message["type"], message["msg_id"], summary)


# Each message from the bank about `account` (the Operator's IBAN): what it names, loaded and locked,
# then applied by the domain; each answers a one-line summary, kept with its MsgId.

def apply_status_report(session, report, account):
    bank_file = repository.bank_file(session, report["original_msg_id"])
    whole = bank_file is not None and report["group_status"] == "RJCT" and not report["transactions"]
    members = repository.file_members(session, bank_file, rules.SENDING, rules.SENT) if whole else []
    payouts = repository.named_by(session, [item["end_to_end_id"] for item in report["transactions"]])
    return domain.apply_status_report(report, bank_file, members, payouts)


def apply_notification(session, notification, account):
    payouts = repository.named_by(session, [entry["end_to_end_id"] for entry in notification["entries"]
                                            if entry["account"] == account and entry["direction"] == "DBIT"])
    return domain.apply_notification(notification, account, payouts)


def apply_return(session, message, account):
    return domain.apply_return(message, repository.named_by(session, [item["end_to_end_id"]
                                                                      for item in message["returns"]]))


def apply_statement(session, statement, account):
    if statement["account"] != account:
        return f"statement of another account ({statement['account']})"
    row = domain.statement_row(statement, repository.named_by(
        session, [entry["end_to_end_id"] for entry in statement["entries"] if entry["direction"] == "CRDT"]))
    repository.add(session, row)
    domain.check_statement(row, repository.statement_payouts(session, row))
    return domain.statement_summary(row)


APPLIERS = {"pain.002": apply_status_report, "camt.054": apply_notification, "camt.053": apply_statement,
            "pacs.004": apply_return}
