"""Notifications' pure rules: who hears of an event, in which language, in which words, and whose inbox a
caller reads."""
import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

from common import programme
from common.auth import COORDINATOR, OPERATOR, STUDENT
from common.contracts.notifications import LANGUAGES, MailStatus
from services.notifications.messages import DIGEST, FOOTER, MESSAGES

STUDENT_AUDIENCE, SITE_AUDIENCE, OPERATOR_AUDIENCE = "student", "site", "operator"
OPERATOR_DESK = "operator"  # the Operator's notifications are the desk's, shared by its staff
FALLBACK_LANGUAGE = "en"
LOCAL_TIME = ZoneInfo(programme.TIMEZONE)
RECIPIENT_KEYS = {STUDENT_AUDIENCE: "student_id", SITE_AUDIENCE: "site_id"}


# Contacts

def replaces(as_of, known_as_of):
    """A contact as of `as_of` replaces the one known as of `known_as_of` (None: none known) only if it
    is later: registration and changes travel on queues of their own, so they may arrive in either order."""
    return known_as_of is None or as_of > known_as_of


# Who hears of an event, in which words

def topic(event_name, data):
    """The message an event calls for: an application's decision has one per outcome."""
    if event_name == "application.decided":
        return "application." + data["outcome"]
    return event_name


def recipients(topic_name):
    """The audiences told of a topic, in a stable order."""
    return [audience for (name, audience) in MESSAGES if name == topic_name]


def recipient_id(audience, data):
    return OPERATOR_DESK if audience == OPERATOR_AUDIENCE else data[RECIPIENT_KEYS[audience]]


def language_for(preferred, default):
    """The person's language when the platform speaks it (ru, kk), else English."""
    language = preferred or default
    return language if language in LANGUAGES else FALLBACK_LANGUAGE


def render(topic_name, audience, language, params):
    title, body = MESSAGES[(topic_name, audience)][language]
    return title.format_map(params), body.format_map(params)


def mail_body(body, language):
    return f"{body}\n\n--\n{FOOTER[language]}\n"


def mail_address(audience, contact_email, operator_email):
    """A student's address from their registration, the Operator desk's from config; sites have none yet."""
    return operator_email if audience == OPERATOR_AUDIENCE else contact_email


# Making an event's fields readable

def params(data):
    """The event's fields as text for messages and the notification's `data`, with the voucher's facts."""
    readable = {name: readable_value(name, value) for name, value in data.items()}
    if data.get("voucher_kind") in programme.VOUCHERS:
        voucher = programme.voucher(data["voucher_kind"])
        readable.update(voucher_hours=str(voucher.hours), reward=tenge(voucher.reward_kzt),
                        voucher_credits=str(voucher.credits))
    readable["place"] = data.get("online_link") or data.get("address") or ""
    return readable


def readable_value(name, value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(LOCAL_TIME).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if name == "amount_kzt":
        return tenge(value)
    return str(value)


def tenge(amount):
    return f"{amount:,}".replace(",", "\u00a0") + "\u00a0₸"


# The daily digest of hour entries

DIGEST_KIND = "hours.digest"


def digest_id(student_id, day):
    """The id of a student's digest of `day` (and of its notification): the same whoever makes it."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"hours-digest/{student_id}/{day}").hex


def digest_day(logged_at):
    """The day whose digest an entry goes in: the Asia/Almaty day it was logged."""
    return programme.local_date(logged_at)


def due_day(now, send_hour):
    """The latest day whose digest is due at `now`: yesterday (Asia/Almaty) from `send_hour` o'clock
    local time on, the day before until then."""
    local = now.astimezone(LOCAL_TIME)
    return local.date() - dt.timedelta(days=1 if local.hour >= send_hour else 2)


def digest(entries, language, day, projects=None):
    """(title, body, data) of a student's digest of `entries` (each with `work_date`, `hours`,
    `placement_id`) logged up to `day`: a line per entry by work date, with the project it is for
    when known (`projects`: placement id → title), and the total."""
    title, intro, line, total_line = DIGEST[language]
    projects = projects or {}
    ordered = sorted(entries, key=lambda entry: (entry.work_date, entry.placement_id))
    total = sum((Decimal(entry.hours) for entry in ordered), Decimal(0))
    day_text = readable_value("day", day)
    lines = [line.format(work_date=readable_value("work_date", entry.work_date),
                         hours=readable_value("hours", Decimal(entry.hours)),
                         project=f" — «{projects[entry.placement_id]}»" if entry.placement_id in projects else "")
             for entry in ordered]
    body = "\n".join([intro.format(day=day_text), *lines, total_line.format(total=readable_value("hours", total))])
    data = {"day": day.isoformat(), "entries": str(len(ordered)), "total_hours": readable_value("hours", total)}
    return title.format(day=day_text), body, data


# Whose inbox

def inboxes(principal):
    """The (audience, recipient id) pairs whose notifications the caller reads: a student their own, a
    site coordinator their site's, Operator staff the Operator desk's."""
    found = []
    if principal.has(STUDENT):
        found.append((STUDENT_AUDIENCE, principal.user_id))
    if principal.has(COORDINATOR) and principal.site_id:
        found.append((SITE_AUDIENCE, principal.site_id))
    if principal.has(OPERATOR):
        found.append((OPERATOR_AUDIENCE, OPERATOR_DESK))
    return found


# Mail delivery

def mail_moved(current, new):
    """`new`, the mail's next status, if the mail outbox's transitions allow it (else RuleViolation)."""
    MailStatus.check_transition(current, new, "mail")
    return new


def retry_delay(attempts, base_seconds, cap_seconds):
    """Seconds to wait after the `attempts`-th failed try: doubling from `base_seconds`, at most `cap_seconds`."""
    return min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1))
