"""The Student Voucher programme's facts: vouchers, directions, regions, the programme year.

Every service reads the programme from here, so a change of the rules is one edit.
"""
import datetime as dt
import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Voucher:
    kind: str
    hours: int
    reward_kzt: int
    credits: int


VOUCHERS = {
    "h20": Voucher(kind="h20", hours=20, reward_kzt=20_000, credits=2),
    "h50": Voucher(kind="h50", hours=50, reward_kzt=50_000, credits=5),
}
VOUCHER_KINDS = tuple(VOUCHERS)
MAX_CREDITS = sum(v.credits for v in VOUCHERS.values())  # 7: both vouchers
MAX_HOURS = sum(v.hours for v in VOUCHERS.values())  # 70
MAX_HOURS_PER_DAY = 8
ANNUAL_TARGET_STUDENTS = 50_000
TIMEZONE = "Asia/Almaty"


# The programme year: the caps (one voucher of each kind, 7 credits) and the coverage target are per
# year. By default the financial year, 1 January to 31 December in Asia/Almaty;
# PROGRAMME_YEAR_START (MM-DD, e.g. 09-01 for an academic year) moves its first day. A year is named
# by the calendar year it starts in. A placement belongs to the year its work starts in, even when it
# runs past the year's end.
def _year_start(text):
    month, day = (int(part) for part in text.split("-"))
    dt.date(2001, month, day)  # a day every year has (not 29 February): raises ValueError otherwise
    return month, day


YEAR_START = _year_start(os.environ.get("PROGRAMME_YEAR_START") or "01-01")


def local_date(moment):
    """The Asia/Almaty day of an instant (naive instants are UTC), or a day as it is."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone(ZoneInfo(TIMEZONE)).date()
    return moment


def programme_year(moment, start=None):
    """The programme year a day (or an instant, by its Asia/Almaty day) falls in."""
    day = local_date(moment)
    month, first = start or YEAR_START
    return day.year if (day.month, day.day) >= (month, first) else day.year - 1


def year_bounds(year, start=None):
    """The first and the last day of programme year `year`."""
    month, first = start or YEAR_START
    begins = dt.date(year, month, first)
    return begins, dt.date(year + 1, month, first) - dt.timedelta(days=1)

# The five directions (направления), keyed by a stable code.
DIRECTIONS = {
    "inclusive_education": {
        "en": "Inclusive education of children",
        "ru": "Инклюзивное обучение детей",
        "kk": "Балаларды инклюзивті оқыту",
    },
    "tutoring": {
        "en": "Tutoring for children",
        "ru": "Репетиторство для детей",
        "kk": "Балаларға репетиторлық",
    },
    "childrens_leisure": {
        "en": "Organising children's leisure",
        "ru": "Организация досуга детей",
        "kk": "Балалардың бос уақытын ұйымдастыру",
    },
    "elderly_care": {
        "en": "Work with the elderly",
        "ru": "Работа с пожилыми людьми",
        "kk": "Қарт адамдармен жұмыс",
    },
    "deviant_behaviour": {
        "en": "Work with children of deviant behaviour",
        "ru": "Работа с детьми девиантного поведения",
        "kk": "Девиантты мінез-құлықты балалармен жұмыс",
    },
}
DIRECTION_CODES = tuple(DIRECTIONS)

# The 17 oblasts and the 3 cities of republican significance, by ISO 3166-2:KZ code.
REGIONS = {
    "KZ-10": {"en": "Abai Region", "ru": "Абайская область", "kind": "oblast"},
    "KZ-11": {"en": "Akmola Region", "ru": "Акмолинская область", "kind": "oblast"},
    "KZ-15": {"en": "Aktobe Region", "ru": "Актюбинская область", "kind": "oblast"},
    "KZ-19": {"en": "Almaty Region", "ru": "Алматинская область", "kind": "oblast"},
    "KZ-23": {"en": "Atyrau Region", "ru": "Атырауская область", "kind": "oblast"},
    "KZ-27": {"en": "West Kazakhstan Region", "ru": "Западно-Казахстанская область", "kind": "oblast"},
    "KZ-31": {"en": "Jambyl Region", "ru": "Жамбылская область", "kind": "oblast"},
    "KZ-33": {"en": "Jetisu Region", "ru": "Область Жетісу", "kind": "oblast"},
    "KZ-35": {"en": "Karaganda Region", "ru": "Карагандинская область", "kind": "oblast"},
    "KZ-39": {"en": "Kostanay Region", "ru": "Костанайская область", "kind": "oblast"},
    "KZ-43": {"en": "Kyzylorda Region", "ru": "Кызылординская область", "kind": "oblast"},
    "KZ-47": {"en": "Mangystau Region", "ru": "Мангистауская область", "kind": "oblast"},
    "KZ-55": {"en": "Pavlodar Region", "ru": "Павлодарская область", "kind": "oblast"},
    "KZ-59": {"en": "North Kazakhstan Region", "ru": "Северо-Казахстанская область", "kind": "oblast"},
    "KZ-61": {"en": "Turkistan Region", "ru": "Туркестанская область", "kind": "oblast"},
    "KZ-62": {"en": "Ulytau Region", "ru": "Область Ұлытау", "kind": "oblast"},
    "KZ-63": {"en": "East Kazakhstan Region", "ru": "Восточно-Казахстанская область", "kind": "oblast"},
    "KZ-71": {"en": "Astana", "ru": "Астана", "kind": "city"},
    "KZ-75": {"en": "Almaty", "ru": "Алматы", "kind": "city"},
    "KZ-79": {"en": "Shymkent", "ru": "Шымкент", "kind": "city"},
}
REGION_CODES = tuple(REGIONS)

# A few universities for a first look; registries load the full list per region.
SEED_UNIVERSITIES = [
    {"code": "ENU", "name": "L.N. Gumilyov Eurasian National University", "region": "KZ-71"},
    {"code": "NU", "name": "Nazarbayev University", "region": "KZ-71"},
    {"code": "KAZNU", "name": "Al-Farabi Kazakh National University", "region": "KZ-75"},
    {"code": "SATBAYEV", "name": "Satbayev University", "region": "KZ-75"},
    {"code": "BUKETOV", "name": "Karaganda Buketov University", "region": "KZ-35"},
    {"code": "AUEZOV", "name": "M. Auezov South Kazakhstan University", "region": "KZ-79"},
]


def voucher(kind):
    """The voucher of `kind`; KeyError names an unknown kind."""
    return VOUCHERS[kind]
