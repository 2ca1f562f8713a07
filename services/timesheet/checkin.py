"""Check-in codes at the site: pure rules for the signed value a QR code carries, its time window,
the short code typed instead of scanning, the grace and the replay.

A code is an HMAC (timesheet's own key) over its kind, the site and the number of its time window
(seconds since the epoch divided by the window's length). The door's screen shows the `SCREEN` code of
the current window, renewed every window (30 s by default); a printed sheet lists a day's `SHEET` codes,
one per longer window (an hour by default). A code is good in its own window and one window after it
(the grace: a scan at the window's last second, a slow network). The short code is six characters of
the same signature in an alphabet without look-alikes (no 0/O, 1/I/L, U).
"""
import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from common.errors import Conflict, RuleViolation, ValidationFailed

SCREEN, SHEET = "screen", "sheet"
KINDS = {"s": SCREEN, "p": SHEET}  # the letter a scanned value carries for each kind
CHECK_IN, CHECK_OUT = "check_in", "check_out"
PREFIX = "SV1"  # the format's version, first in every scanned value
SHORT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT_LENGTH = 6
MAC_BYTES = 16
# How many windows back a typed code is still recognised, to say "expired" rather than "unknown".
RECOGNISED_WINDOWS = 10
SHEET_DAYS_AROUND = 31
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Code:
    """What a code stands for: its kind, the site and its window."""
    kind: str
    site_id: str
    window: int


def window_of(moment, seconds):
    """The number of the window of `seconds` that the aware instant `moment` falls in."""
    return int((moment - EPOCH).total_seconds()) // seconds


def window_start(window, seconds):
    return EPOCH + dt.timedelta(seconds=window * seconds)


def signature(key, code):
    text = f"{PREFIX}|{code.kind}|{code.site_id}|{code.window}"
    return hmac.new(key, text.encode(), hashlib.sha256).digest()[:MAC_BYTES]


def scanned_value(key, code):
    """The text the QR code carries: `SV1.<s|p>.<site>.<window>.<signature>`."""
    letter = next(letter for letter, kind in KINDS.items() if kind == code.kind)
    mac = base64.urlsafe_b64encode(signature(key, code)).rstrip(b"=").decode()
    return f"{PREFIX}.{letter}.{code.site_id}.{code.window}.{mac}"


def short_code(key, code):
    """Six characters of the code's signature, for typing."""
    number = int.from_bytes(signature(key, code), "big")
    characters = []
    for _ in range(SHORT_LENGTH):
        number, digit = divmod(number, len(SHORT_ALPHABET))
        characters.append(SHORT_ALPHABET[digit])
    return "".join(characters)


def normalise_short(typed):
    """What the person typed, as a short code: upper case, spaces and dashes dropped."""
    return "".join(typed.split()).replace("-", "").upper()


def is_short(text):
    return len(normalise_short(text)) == SHORT_LENGTH


def read_scanned(key, value):
    """The `Code` of a scanned value whose signature is the platform's; refuses anything else."""
    parts = value.strip().split(".")
    if len(parts) < 5:
        raise ValidationFailed("this is not a check-in code", {"code": ["not a check-in code"]})
    prefix, letter, site_id, window, mac = parts[0], parts[1], ".".join(parts[2:-2]), parts[-2], parts[-1]
    readable = site_id and mac and window.isascii() and window.isdigit()  # "²" is a digit, not a number
    if prefix != PREFIX or letter not in KINDS or not readable:
        raise ValidationFailed("this is not a check-in code", {"code": ["not a check-in code"]})
    code = Code(KINDS[letter], site_id, int(window))
    expected = base64.urlsafe_b64encode(signature(key, code)).rstrip(b"=").decode()
    if not hmac.compare_digest(expected.encode(), mac.encode()):
        raise RuleViolation("the check-in code is forged or damaged", {"code": ["signature does not match"]})
    return code


def check_window(code, now, seconds):
    """Good in its own window and one window of grace after it; neither earlier nor later."""
    current = window_of(now, seconds)
    if code.window > current:
        raise RuleViolation("the check-in code is not valid yet", {"code": ["for a later time"]})
    if code.window < current - 1:
        raise RuleViolation("the check-in code has expired: use the one shown now", {"code": ["expired"]})


def match_short(key, typed, site_ids, now, windows):
    """The `Code` of one of these sites whose short code was typed: among the current and the grace
    window of each kind (`windows`: {kind: seconds}). An older code of these sites is refused as
    expired; anything else as unknown (a typo, another site's code)."""
    if not site_ids:
        raise RuleViolation("you have no active placement to check in to", {"code": ["no active placement"]})
    typed = normalise_short(typed)
    for back in range(RECOGNISED_WINDOWS):
        for site_id in sorted(site_ids):
            for kind, seconds in windows.items():
                code = Code(kind, site_id, window_of(now, seconds) - back)
                if hmac.compare_digest(short_code(key, code), typed):
                    check_window(code, now, seconds)
                    return code
    raise RuleViolation("no current check-in code of your site matches",
                        {"code": ["unknown code: check it against the screen"]})


def placement_at(code_site_id, placements, active):
    """The student's placement at the code's site; refuses a code of another site, a placement left,
    and a student placed nowhere."""
    at_site = [placement for placement in placements if placement.site_id == code_site_id]
    current = [placement for placement in at_site if placement.status == active]
    if current:
        return current[0]
    if at_site:
        raise RuleViolation("you have left the placement at this site", {"code": ["placement withdrawn"]})
    if any(placement.status == active for placement in placements):
        raise RuleViolation("this is another site's check-in code", {"code": ["another site's code"]})
    raise RuleViolation("you have no active placement to check in to", {"code": ["no active placement"]})


def check_not_replayed(used_before, action):
    """A code serves a student once for each action: the same scan sent again records nothing."""
    if used_before:
        words = "check-in" if action == CHECK_IN else "check-out"
        raise Conflict(f"you already used this code for {words}", {"code": ["already used"]})


def check_sheet_day(day, today):
    """Sheets are printed for days near today (a code is no use for a day long past or far ahead)."""
    if abs((day - today).days) > SHEET_DAYS_AROUND:
        raise RuleViolation(f"codes are printed for a day within {SHEET_DAYS_AROUND} days of today",
                            {"date": [f"not within {SHEET_DAYS_AROUND} days of {today}"]})


def day_windows(day, seconds, local_time):
    """The windows of `seconds` that start within the calendar day `day` in `local_time`."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=local_time)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=local_time)
    first = -(-int((start - EPOCH).total_seconds()) // seconds)  # the first window starting at or after
    last = window_of(end - dt.timedelta(microseconds=1), seconds)
    return range(first, last + 1)


# The key a local run signs codes with when none is set; refused outside it (common.settings).
LOCAL_KEY = "local-development-secret"


@dataclass(frozen=True)
class CodeSettings:
    """The key codes are signed with and each kind's window, from timesheet's settings."""
    key: bytes
    windows: dict

    @classmethod
    def from_config(cls, config):
        windows = {SCREEN: int(config.get("CHECKIN_WINDOW_SECONDS") or 30),
                   SHEET: int(config.get("CHECKIN_SHEET_WINDOW_SECONDS") or 3600)}
        if min(windows.values()) < 1:
            raise ValueError("check-in windows are at least one second")
        return cls(str(config.get("CHECKIN_CODE_KEY") or LOCAL_KEY).encode(), windows)
