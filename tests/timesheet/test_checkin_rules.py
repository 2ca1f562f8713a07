"""The check-in codes' rules: windows, grace, signatures, short codes, the site and replay."""
import datetime as dt
from types import SimpleNamespace

import pytest

from common.errors import Conflict, RuleViolation, ValidationFailed
from common.settings import secret_problems
from services.timesheet import checkin, rules
from services.timesheet.checkin import SCREEN, SHEET, Code

KEY = b"k" * 32
WINDOWS = {SCREEN: 30, SHEET: 3600}
NOON = dt.datetime(2026, 11, 30, 7, 0, 0, tzinfo=dt.timezone.utc)  # 12:00 in Almaty


def refusal(error_type, call, *args):
    with pytest.raises(error_type) as caught:
        call(*args)
    return caught.value


def test_windows_and_one_window_of_grace():
    assert checkin.window_of(NOON, 30) == checkin.window_of(NOON + dt.timedelta(seconds=29), 30)
    assert checkin.window_of(NOON + dt.timedelta(seconds=30), 30) == checkin.window_of(NOON, 30) + 1
    assert checkin.window_start(checkin.window_of(NOON + dt.timedelta(seconds=7), 30), 30) == NOON
    code = Code(SCREEN, "site-1", checkin.window_of(NOON, 30))
    checkin.check_window(code, NOON, 30)
    checkin.check_window(code, NOON + dt.timedelta(seconds=59), 30)  # the next window: grace
    expired = refusal(RuleViolation, checkin.check_window, code, NOON + dt.timedelta(seconds=60), 30)
    assert expired.fields == {"code": ["expired"]}
    early = refusal(RuleViolation, checkin.check_window, code, NOON - dt.timedelta(seconds=1), 30)
    assert early.fields == {"code": ["for a later time"]}


def test_a_days_sheet_is_the_local_days_hours():
    windows = checkin.day_windows(dt.date(2026, 11, 30), 3600, rules.LOCAL_TIME)
    starts = [checkin.window_start(window, 3600).astimezone(rules.LOCAL_TIME) for window in windows]
    assert len(starts) == 24 and starts[0].isoformat() == "2026-11-30T00:00:00+05:00"
    assert starts[-1].hour == 23 and {start.date() for start in starts} == {dt.date(2026, 11, 30)}
    checkin.check_sheet_day(dt.date(2026, 12, 31), dt.date(2026, 11, 30))
    far = refusal(RuleViolation, checkin.check_sheet_day, dt.date(9999, 12, 31), dt.date(2026, 11, 30))
    assert far.fields == {"date": ["not within 31 days of 2026-11-30"]}


def test_a_scanned_value_reads_back_and_any_change_is_refused():
    code = Code(SCREEN, "3f2a.b", 59000123)  # a site id with a dot still reads back
    value = checkin.scanned_value(KEY, code)
    assert value.startswith("SV1.s.3f2a.b.59000123.") and checkin.read_scanned(KEY, f"  {value}\n") == code
    assert checkin.read_scanned(KEY, checkin.scanned_value(KEY, Code(SHEET, "s", 7))) == Code(SHEET, "s", 7)
    forged = [value.replace("59000123", "59000124"), value.replace(".s.", ".p."),
              value.replace("3f2a.b", "3f2a.c"), value[:-2] + ("AA" if value[-2:] != "AA" else "BB")]
    for text in forged:
        assert refusal(RuleViolation, checkin.read_scanned, KEY, text).fields == {"code": ["signature does not match"]}
    assert refusal(RuleViolation, checkin.read_scanned, b"x" * 32, value).fields["code"] == ["signature does not match"]
    for text in ("hello", "SV1.s.site.12", "SV2.s.site.12.mac", "SV1.x.site.12.mac", "SV1.s.site.twelve.mac",
                 "SV1.s.site.².mac"):
        assert refusal(ValidationFailed, checkin.read_scanned, KEY, text).fields == {"code": ["not a check-in code"]}


def test_short_codes_are_six_unambiguous_characters_of_the_signature():
    codes = {checkin.short_code(KEY, Code(SCREEN, "site-1", window)) for window in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 6 and not set(code) & set("01OILU") for code in codes)
    short = checkin.short_code(KEY, Code(SCREEN, "site-1", 5))
    assert checkin.short_code(b"y" * 32, Code(SCREEN, "site-1", 5)) != short
    assert checkin.normalise_short(f" {short[:3].lower()}-{short[3:]} ") == short
    assert checkin.is_short(f"{short[:3]} {short[3:]}") and not checkin.is_short("SV1.s.site.1.mac")


def test_a_typed_code_is_matched_among_the_students_sites_now_and_in_the_grace():
    now = NOON + dt.timedelta(seconds=45)
    current = Code(SCREEN, "site-1", checkin.window_of(now, 30))
    previous = Code(SCREEN, "site-1", current.window - 1)
    old = Code(SCREEN, "site-1", current.window - 2)
    printed = Code(SHEET, "site-2", checkin.window_of(now, 3600))
    sites = {"site-1", "site-2"}
    for code in (current, previous, printed):
        assert checkin.match_short(KEY, checkin.short_code(KEY, code).lower(), sites, now, WINDOWS) == code
    assert refusal(RuleViolation, checkin.match_short, KEY, checkin.short_code(KEY, old), sites, now,
                   WINDOWS).fields == {"code": ["expired"]}
    other_site = checkin.short_code(KEY, Code(SCREEN, "site-9", current.window))
    unknown = refusal(RuleViolation, checkin.match_short, KEY, other_site, sites, now, WINDOWS)
    assert unknown.fields == {"code": ["unknown code: check it against the screen"]}
    assert refusal(RuleViolation, checkin.match_short, KEY, other_site, set(), now,
                   WINDOWS).fields == {"code": ["no active placement"]}


def test_the_code_must_be_of_a_site_the_student_is_placed_at_and_serves_once_per_action():
    here = SimpleNamespace(site_id="site-1", status=rules.ACTIVE)
    left = SimpleNamespace(site_id="site-2", status=rules.WITHDRAWN)
    assert checkin.placement_at("site-1", [left, here], rules.ACTIVE) is here
    assert refusal(RuleViolation, checkin.placement_at, "site-2", [left, here],
                   rules.ACTIVE).fields == {"code": ["placement withdrawn"]}
    assert refusal(RuleViolation, checkin.placement_at, "site-9", [left, here],
                   rules.ACTIVE).fields == {"code": ["another site's code"]}
    assert refusal(RuleViolation, checkin.placement_at, "site-9", [left],
                   rules.ACTIVE).fields == {"code": ["no active placement"]}
    checkin.check_not_replayed(False, checkin.CHECK_IN)
    replay = refusal(Conflict, checkin.check_not_replayed, True, checkin.CHECK_OUT)
    assert "check-out" in replay.message and replay.fields == {"code": ["already used"]}


def test_the_code_key_is_required_and_strong_outside_the_local_run():
    config = {"DEPLOYMENT": "production", "AMQP_URI": f"pyamqp://timesheet:{'s' * 32}@localhost:5672/"}
    assert secret_problems(config, "timesheet") == ["CHECKIN_CODE_KEY is not set"]
    assert secret_problems({**config, "CHECKIN_CODE_KEY": "local-development-secret"}, "timesheet") == [
        "CHECKIN_CODE_KEY is a documented default"]
    assert secret_problems({**config, "CHECKIN_CODE_KEY": "short"}, "timesheet") == [
        "CHECKIN_CODE_KEY is shorter than 32 bytes"]
    assert secret_problems({**config, "CHECKIN_CODE_KEY": "k" * 32}, "timesheet") == []
    assert secret_problems({**config, "DEPLOYMENT": "local"}, "timesheet") == []
    assert checkin.CodeSettings.from_config({}).windows == WINDOWS
    assert checkin.CodeSettings.from_config({}).key == checkin.LOCAL_KEY.encode()
