"""The Student Voucher programme's facts: vouchers, directions, regions.

Every service reads the programme from here, so a change of the rules is one edit.
"""
from dataclasses import dataclass


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
