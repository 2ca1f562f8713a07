"""Errors in the person's language: the catalogue's templates, and the gateway answering by Accept-Language."""
from common import messages
from tests.timesheet.support import coordinator, error_of, log, place


def test_accept_language_picks_the_first_language_the_platform_speaks():
    assert messages.language_of("kk-KZ,ru;q=0.8,en;q=0.5") == "kk"
    assert messages.language_of("de-DE,ru;q=0.9,en;q=0.8") == "ru"
    assert messages.language_of("en;q=0.3,ru;q=0.7") == "ru"
    assert messages.language_of(None) == messages.language_of("fr") == "en"


def test_templates_carry_their_values_and_unknown_sentences_never_stay_english():
    assert messages.translate("at most 8 hours a day", "ru") == "Не больше 8 часов в день"
    assert messages.translate("not within 2026-01-01 .. 2026-02-01", "kk") == "2026-01-01 — 2026-02-01 аралығынан тыс"
    assert messages.translate("Must be one of: kk, ru.", "ru") == "допустимые значения: kk, ru"
    assert messages.translate("pending", "kk") == "pending"  # a value, not a sentence
    body = {"error": {"code": "rule_violation", "message": "a sentence nobody translated",
                      "fields": {"rows": {"0": {"hours": ["too many hours", "another new sentence"]}}}}}
    assert messages.error_in(body, "ru") == {"error": {
        "code": "rule_violation", "message": "Действие противоречит правилам программы",
        "fields": {"rows": {"0": {"hours": ["слишком много часов", "недопустимое значение"]}}}}}
    for english, translations in messages.CATALOGUE.items():
        assert len(translations) == 2 and all(translations), english
        assert set(messages._compile(english)[1]) >= {n for t in translations for n in messages._compile(t)[1]}, english


def test_the_gateway_answers_an_error_in_the_language_of_accept_language(platform):
    placement = place(platform, "site-1")
    headers = coordinator(platform, "site-1")
    english = error_of(log(platform, headers, placement, "9"), 422)
    russian = error_of(log(platform, headers, placement, "9", **{"Accept-Language": "ru-RU,ru;q=0.9"}), 422)
    kazakh = log(platform, headers, placement, "9", **{"Accept-Language": "kk"})
    assert kazakh.headers["Content-Language"] == "kk"
    kazakh = error_of(kazakh, 422)
    assert english["code"] == russian["code"] == kazakh["code"] == "rule_violation"
    assert (english["message"], english["fields"]) == ("at most 8 hours a day", {"hours": ["too many hours"]})
    assert (russian["message"], russian["fields"]) == ("Не больше 8 часов в день", {"hours": ["слишком много часов"]})
    assert kazakh["fields"] == {"hours": ["сағат тым көп"]}
