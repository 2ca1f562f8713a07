"""Risk flags of a completion report: pure functions over its entries and its site, no I/O.

Each flag is `{"code", "reason"}`, the reason an English sentence the gateway translates
(common/messages.py). A flagged report is reviewed one by one; so is an unflagged one the sample rate
sets aside. Flags are computed when the report is submitted and stored with it.
"""
import hashlib
import math
from collections import Counter, defaultdict

from common.contracts.timesheet import RISK_FLAGS
from services.timesheet.rules import LOCAL_TIME, MAX_HOURS_PER_DAY

FEW_LOGGING_DAYS, SAME_MINUTE, CORRECTED_AFTER_DISPUTE, SAME_SURNAME, MINIMUM_TIME_SITE = RISK_FLAGS

LOGGING_DAYS = 2        # all entries logged on this many calendar days or fewer ...
LOGGED_WORK_DAYS = 3    # ... for work spread over at least this many days: back-filled hours
SAME_MINUTE_ENTRIES = 5  # entries one person logged within one clock minute
SMALL_SITE = 5          # placements at a site, at most, for a shared surname to count
MINIMUM_TIME_REPORTS = 3  # reports of a site, at least, all completed in the fewest days possible


def flag(code, reason):
    return {"code": code, "reason": reason}


def logged_on_few_days(entries):
    """Hours for many work days entered on one or two days: a timesheet filled in afterwards, not as
    the work happened."""
    work_days = {entry.work_date for entry in entries}
    logged_days = sorted({entry.created_at.astimezone(LOCAL_TIME).date() for entry in entries})
    if len(work_days) >= LOGGED_WORK_DAYS and len(logged_days) <= LOGGING_DAYS:
        return flag(FEW_LOGGING_DAYS, f"the hours of {len(work_days)} work days were logged on "
                                      f"{len(logged_days)} day(s)")
    return None


def many_at_one_minute(entries):
    """Many entries one coordinator created within the same clock minute."""
    minutes = Counter((entry.created_by, entry.created_at.replace(second=0, microsecond=0)) for entry in entries)
    (_, minute), count = minutes.most_common(1)[0] if minutes else ((None, None), 0)
    if count >= SAME_MINUTE_ENTRIES:
        return flag(SAME_MINUTE, f"{count} entries were logged by one coordinator at {minute:%Y-%m-%dT%H:%M}")
    return None


def corrected_after_dispute(entries):
    """Hours changed by a correction of an entry the student disputed (a dispute the coordinator
    answered; correcting a disputed entry answers it)."""
    disputed = {entry.corrects_id or entry.id for entry in entries if entry.resolved_at is not None}
    corrected = {entry.corrects_id for entry in entries if entry.corrects_id in disputed}
    if corrected:
        return flag(CORRECTED_AFTER_DISPUTE, f"hours of {len(corrected)} disputed entries were corrected")
    return None


def surname(full_name):
    """The first word of a full name (registry's certificates and the student's record both start
    with it), folded for comparison."""
    words = (full_name or "").split()
    return words[0].casefold() if words else None


def same_surname_at_small_site(student_name, signer_name, site_placements):
    """The report's signer shares the student's surname at a site small enough for it to matter."""
    student, signer = surname(student_name), surname(signer_name)
    if student and student == signer and site_placements <= SMALL_SITE:
        return flag(SAME_SURNAME, f"the signer shares the student's surname at a site of {site_placements} "
                                  f"placements")
    return None


def minimum_days(hours_required):
    """The fewest work days the voucher's hours fit in under the daily cap."""
    return math.ceil(hours_required / MAX_HOURS_PER_DAY)


def site_all_in_minimum_time(site_reports):
    """Every report of the site (at least a few) completed its hours in the fewest days the daily cap
    allows. `site_reports`: (hours_required, days worked) for each report of the site, this one too."""
    fastest = [days <= minimum_days(hours) for hours, days in site_reports]
    if len(fastest) >= MINIMUM_TIME_REPORTS and all(fastest):
        return flag(MINIMUM_TIME_SITE, f"all {len(fastest)} reports of the site completed in the minimum "
                                       f"number of days")
    return None


def days_worked(entries):
    """Work days with hours, corrections netted."""
    per_day = defaultdict(int)
    for entry in entries:
        per_day[entry.work_date] += entry.hours
    return sum(1 for hours in per_day.values() if hours > 0)


def flags_of(entries, student_name, signer_name, site_placements, site_reports, raised=RISK_FLAGS):
    """The flags of a report among those the deployment `raised`, in the order of `RISK_FLAGS`."""
    found = (logged_on_few_days(entries), many_at_one_minute(entries), corrected_after_dispute(entries),
             same_surname_at_small_site(student_name, signer_name, site_placements),
             site_all_in_minimum_time(site_reports))
    return [item for item in found if item is not None and item["code"] in raised]


def raised_flags(setting):
    """The flags a deployment raises (`REVIEW_RISK_FLAGS`: codes, comma-separated; unset or empty:
    all; `none`: none). A region whose sites keep paper timesheets and type them in weekly would leave
    out the two timing flags, which every one of its reports would trip."""
    if setting is None or not str(setting).strip():
        return RISK_FLAGS
    if str(setting).strip() == "none":
        return ()
    codes = tuple(code.strip() for code in str(setting).split(",") if code.strip())
    unknown = sorted(set(codes) - set(RISK_FLAGS))
    if unknown:
        raise ValueError(f"REVIEW_RISK_FLAGS names unknown flags {unknown}: the flags are {', '.join(RISK_FLAGS)}")
    return codes


def sampled(report_id, submission, rate):
    """Whether this submission of an unflagged report is set aside for manual review: a share `rate`
    of submissions, decided by their identity alone, so the same submission always gets the same
    answer."""
    digest = hashlib.sha256(f"{report_id}:{submission}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64 < rate


def check_sample_rate(rate):
    rate = float(rate)
    if not 0 <= rate <= 1:
        raise ValueError(f"REVIEW_SAMPLE_RATE is a share from 0 to 1, not {rate}")
    return rate

