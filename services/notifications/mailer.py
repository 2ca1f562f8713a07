"""Sending the notifications' mails over SMTP, after the transaction that wrote them has committed.

`MailSender` is a nameko extension with a loop of its own (like the outbox relay). It wakes when any
worker of the service ends, and every `MAIL_SENDER_INTERVAL` seconds. Each mail is claimed with a
conditional update and committed before the SMTP call, then marked sent (or retried with a growing
pause, or failed for good after `MAIL_MAX_ATTEMPTS` or a permanent refusal). A crash before the claim
loses nothing: the mail is still pending. A crash after the server took the mail but before it was
marked sent is the one window where SMTP, having no idempotency key, may get it again once the claim
goes stale; the repeat carries the same Message-ID, so mail clients show it once.

With `SMTP_HOST` empty, mail is off: no mails are queued and the loop does not run. STARTTLS
verifies the server's certificate and name against the system's trusted CAs, and a mail login
(`SMTP_USERNAME`) is refused at start-up unless STARTTLS is on: a password never crosses in clear.
"""
import datetime as dt
import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from nameko.extensions import DependencyProvider
from sqlalchemy.orm import sessionmaker

from common.clock import utcnow
from common.db import DATABASE_URL_KEY, make_engine
from services.notifications import domain, repository, rules

log = logging.getLogger(__name__)
BATCH_SIZE = 50


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    sender: str
    username: str
    password: str
    starttls: bool
    timeout: float
    operator_email: str
    default_language: str
    max_attempts: int
    retry_base_seconds: float
    retry_cap_seconds: float
    interval: float

    @property
    def enabled(self):
        return bool(self.host)

    @property
    def stale_claim_seconds(self):
        return max(60.0, 4 * self.timeout)

    @classmethod
    def from_config(cls, config):
        settings = cls._from_config(config)
        if settings.enabled and settings.username and not settings.starttls:
            raise ValueError("SMTP_USERNAME needs SMTP_STARTTLS=true: no mail login without TLS")
        return settings

    @classmethod
    def _from_config(cls, config):
        return cls(
            host=str(config.get("SMTP_HOST") or ""),
            port=int(config.get("SMTP_PORT") or 25),
            sender=str(config.get("SMTP_FROM") or "noreply@student-voucher.kz"),
            username=str(config.get("SMTP_USERNAME") or ""),
            password=str(config.get("SMTP_PASSWORD") or ""),
            starttls=str(config.get("SMTP_STARTTLS", "")).lower() in ("1", "true", "yes"),
            timeout=float(config.get("SMTP_TIMEOUT_SECONDS") or 10),
            operator_email=str(config.get("OPERATOR_EMAIL") or ""),
            default_language=str(config.get("NOTIFICATIONS_LANGUAGE") or "ru"),
            max_attempts=int(config.get("MAIL_MAX_ATTEMPTS") or 8),
            retry_base_seconds=float(config.get("MAIL_RETRY_BASE_SECONDS") or 5),
            retry_cap_seconds=float(config.get("MAIL_RETRY_CAP_SECONDS") or 1800),
            interval=float(config.get("MAIL_SENDER_INTERVAL") or 1),
        )


def message(settings, mail):
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = mail.to_address
    email["Subject"] = mail.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = f"<{mail.notification_id}@{settings.sender.rpartition('@')[2] or 'student-voucher'}>"
    email.set_content(mail.body)
    email["Content-Language"] = mail.language  # after the content, which resets Content-* headers
    return email


def deliver(settings, mail):
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())  # verifies the certificate and host name
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message(settings, mail))


def is_permanent(exc):
    """The server refused the mail itself (5xx): trying again would not help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


class MailSender(DependencyProvider):
    """Gives workers the mail `Settings` and sends the queued mails in its own loop."""

    def setup(self):
        self.settings = Settings.from_config(self.container.config)
        self.engine = make_engine(self.container.config[DATABASE_URL_KEY])
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.wake = threading.Event()
        self.running = False

    def start(self):
        if self.settings.enabled:
            self.running = True
            self.container.spawn_managed_thread(self.run)

    def stop(self):
        self.running = False
        self.wake.set()
        self.engine.dispose()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.settings

    def worker_teardown(self, worker_ctx):
        self.wake.set()

    def run(self):
        while self.running:
            self.wake.wait(self.settings.interval)
            self.wake.clear()
            try:
                while self.running and self.send_due() == BATCH_SIZE:
                    pass
            except Exception:
                log.exception("the mail sender failed; retrying")

    def send_due(self):
        """Try every due mail once; returns how many were due."""
        now = utcnow()
        stale_before = now - dt.timedelta(seconds=self.settings.stale_claim_seconds)
        with self.sessions() as session:
            due = repository.due_mails(session, now, stale_before, BATCH_SIZE)
        for notification_id in due:
            self.send_one(notification_id, now, stale_before)
        return len(due)

    def send_one(self, notification_id, now, stale_before):
        with self.sessions() as session:
            with session.begin():
                mail = repository.claim(session, notification_id, now, stale_before)
            if mail is None:
                return
            try:
                deliver(self.settings, mail)
            except (smtplib.SMTPException, OSError) as exc:
                log.warning("mail %s to %s not sent: %s", notification_id, mail.to_address, exc)
                retry_in = None if mail.attempts >= self.settings.max_attempts else rules.retry_delay(
                    mail.attempts, self.settings.retry_base_seconds, self.settings.retry_cap_seconds)
                with session.begin():
                    domain.failed_try(repository.mail(session, notification_id), str(exc), retry_in,
                                      is_permanent(exc), utcnow())
                return
            with session.begin():
                domain.sent(repository.mail(session, notification_id), utcnow())
