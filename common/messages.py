"""Error messages and field reasons in the person's language (ru, kk; en as written in the code).

The services raise errors in English; the gateway answers them in the language of `Accept-Language`
(`in_language`), codes and field names unchanged. A message is found by its English template, where
`{name}` stands for a value carried over as it is (a number, a date). A sentence the catalogue does
not know becomes the code's general sentence in that language, so a Russian or Kazakh page never shows
English; values (`pending`, `KZ-71`) pass untouched.
"""
import re

LANGUAGES = ("ru", "kk", "en")

# The code's general sentence, for a message the catalogue does not know.
BY_CODE = {
    "validation_failed": ("Запрос содержит неверные поля", "Сұраныста қате өрістер бар"),
    "rule_violation": ("Действие противоречит правилам программы", "Әрекет бағдарлама ережелеріне сәйкес емес"),
    "conflict": ("Действие противоречит текущему состоянию записи", "Әрекет жазбаның қазіргі күйіне қайшы"),
    "forbidden": ("Это действие вам недоступно", "Бұл әрекет сізге қолжетімсіз"),
    "not_found": ("Запись не найдена", "Жазба табылмады"),
    "unauthenticated": ("Вход не выполнен", "Кіру орындалмады"),
    "too_many_requests": ("Слишком много попыток входа; попробуйте чуть позже", "Кіру әрекеттері тым көп; сәл кейін қайталаңыз"),
    "service_unavailable": ("Сервис временно недоступен; попробуйте ещё раз", "Қызмет уақытша қолжетімсіз; қайталап көріңіз"),
    "gone": ("Срок действия истёк; начните заново", "Мерзімі өтті; қайта бастаңыз"),
    "internal_error": ("Запрос не удалось выполнить", "Сұранысты орындау мүмкін болмады"),
    "bad_request": ("Неверный запрос", "Сұраныс қате"),
    "unsupported_media_type": ("Тело запроса должно быть JSON", "Сұраныс денесі JSON болуы керек"),
    "payload_too_large": ("Тело запроса слишком большое", "Сұраныс денесі тым үлкен"),
    "method_not_allowed": ("Этот метод здесь не поддерживается", "Бұл әдіс мұнда қолданылмайды"),
}
GENERAL_REASON = ("недопустимое значение", "жарамсыз мән")

# English template -> (Russian, Kazakh).
CATALOGUE = {
    # the gateway and the contracts (marshmallow's own words)
    "the request has invalid fields": ("Запрос содержит неверные поля", "Сұраныста қате өрістер бар"),
    "Missing data for required field.": ("обязательное поле", "міндетті өріс"),
    "Unknown field.": ("неизвестное поле", "белгісіз өріс"),
    "Field may not be null.": ("поле не может быть пустым", "өріс бос болмауы керек"),
    "Not a valid string.": ("ожидается строка", "жол күтіледі"),
    "Not a valid integer.": ("ожидается целое число", "бүтін сан күтіледі"),
    "Not a valid number.": ("ожидается число", "сан күтіледі"),
    "Not a valid boolean.": ("ожидается да или нет", "иә немесе жоқ күтіледі"),
    "Not a valid date.": ("неверная дата", "күні қате"),
    "Not a valid datetime.": ("неверные дата и время", "күні мен уақыты қате"),
    "Not a valid email address.": ("неверный адрес электронной почты", "электрондық пошта мекенжайы қате"),
    "Not a valid URL.": ("неверная ссылка", "сілтеме қате"),
    "Not a valid list.": ("ожидается список", "тізім күтіледі"),
    "String does not match expected pattern.": ("значение не соответствует формату", "мән пішімге сәйкес емес"),
    "Must be one of: {values}.": ("допустимые значения: {values}", "рұқсат етілген мәндер: {values}"),
    "Shorter than minimum length {n}.": ("короче {n} символов", "{n} таңбадан қысқа"),
    "Longer than maximum length {n}.": ("длиннее {n} символов", "{n} таңбадан ұзын"),
    "Length must be between {a} and {b}.": ("длина от {a} до {b}", "ұзындығы {a}-ден {b}-ге дейін"),
    "Must be greater than or equal to {n}.": ("не меньше {n}", "{n}-ден кем емес"),
    "Must be less than or equal to {n}.": ("не больше {n}", "{n}-ден аспайды"),
    "Must be greater than or equal to {a} and less than or equal to {b}.": ("от {a} до {b}", "{a}-ден {b}-ге дейін"),
    "the body is not valid JSON": ("тело запроса — не JSON", "сұраныс денесі JSON емес"),
    "malformed JSON": ("неверный JSON", "JSON қате"),
    "the body must be application/json": ("тело запроса должно быть application/json", "сұраныс денесі application/json болуы керек"),
    "no such route": ("нет такого адреса", "мұндай мекенжай жоқ"),
    "must not be before starts_on": ("не раньше даты начала", "басталу күнінен ерте емес"),
    "give either an online_link or an address": ("укажите либо ссылку, либо адрес", "сілтемені немесе мекенжайды көрсетіңіз"),
    # sign-in and EDS
    "no account for this person: students register first, staff are added by an admin":
        ("Для этой ЭЦП нет учётной записи: студенты сначала регистрируются, сотрудников добавляет администратор",
         "Бұл ЭЦҚ үшін есептік жазба жоқ: студенттер алдымен тіркеледі, қызметкерлерді әкімші қосады"),
    "too many sign-in attempts; try again later": ("Слишком много попыток входа; попробуйте позже",
                                                   "Кіру әрекеттері тым көп; кейінірек қайталаңыз"),
    "a student with this IIN is registered: sign in instead": ("Студент с этим ИИН уже зарегистрирован: войдите",
                                                               "Бұл ЖСН бар студент тіркелген: кіріңіз"),
    "registered": ("уже зарегистрирован", "тіркелген"),
    "no such university": ("Нет такого вуза", "Мұндай ЖОО жоқ"),
    "unknown university": ("неизвестный вуз", "белгісіз ЖОО"),
    "this person has several accounts: say which role signs in": (
        "У этого человека несколько учётных записей: выберите роль", "Бұл адамның бірнеше есептік жазбасы бар: рөлді таңдаңыз"),
    # placement
    "the interview slot is in the past": ("Время собеседования уже прошло", "Сұхбат уақыты өтіп кетті"),
    "in the past": ("в прошлом", "өткен уақытта"),
    "the interview slot is booked by someone else": ("Это время собеседования уже занято", "Бұл сұхбат уақыты бос емес"),
    "already booked": ("уже занято", "бос емес"),
    "the application has an interview booked already": ("На собеседование уже записались", "Сұхбатқа жазылып қойғансыз"),
    "the application has no interview booked": ("Собеседование ещё не назначено", "Сұхбат әлі белгіленбеген"),
    "the interview has not begun yet": ("Собеседование ещё не началось", "Сұхбат әлі басталған жоқ"),
    "an interview slot is in the past": ("Время собеседования в прошлом", "Сұхбат уақыты өткен"),
    "every slot must start later than now": ("каждое время должно быть в будущем", "әр уақыт болашақта болуы керек"),
    "the site is offline only": ("площадка работает только очно", "алаң тек бетпе-бет жұмыс істейді"),
    # timesheet
    "at most {n} hours a day": ("Не больше {n} часов в день", "Күніне {n} сағаттан аспайды"),
    "too many hours": ("слишком много часов", "сағат тым көп"),
    "hours go in quarter-hour steps": ("Часы указываются с шагом в четверть часа", "Сағаттар ширек сағат қадамымен беріледі"),
    "not a multiple of 0.25": ("не кратно 0,25", "0,25-ке еселі емес"),
    "a correction changes the hours": ("Исправление должно менять часы", "Түзету сағаттарды өзгертуі керек"),
    "must not be zero": ("не может быть нулём", "нөл болмауы керек"),
    "logged hours are positive; reduce hours with a correction": (
        "Часы положительны; уменьшить их можно исправлением", "Сағаттар оң; оларды түзетумен азайтыңыз"),
    "must be positive": ("должно быть больше нуля", "нөлден үлкен болуы керек"),
    "the date is in the future": ("Дата в будущем", "Күн болашақта"),
    "after today ({today})": ("позже сегодняшнего дня ({today})", "бүгіннен кейін ({today})"),
    "the date is outside the placement's window": ("Дата вне срока участия", "Күн қатысу мерзімінен тыс"),
    "not within {a} .. {b}": ("вне периода {a} — {b}", "{a} — {b} аралығынан тыс"),
    "more than {n} hours that day for the student": ("Больше {n} часов за день у студента",
                                                     "Студент үшін күніне {n} сағаттан көп"),
    "{n} already logged that day": ("за этот день уже учтено {n}", "сол күні {n} есепке алынған"),
    "the day's hours would go below zero": ("Часы за день стали бы отрицательными", "Күндік сағаттар теріс болып кетер еді"),
    "too large a reduction": ("слишком большое уменьшение", "тым үлкен азайту"),
    "the correction takes the entry below zero": ("Исправление делает запись отрицательной", "Түзету жазбаны терісге түсіреді"),
    "the entry stands at {n}": ("в записи сейчас {n}", "жазбада қазір {n}"),
    "the entry is already {status}": ("Запись уже в статусе {status}", "Жазба әлдеқашан {status} күйінде"),
    "the entry is not disputed": ("Запись не оспорена", "Жазба дауланбаған"),
    "{n} disputed entries must be resolved first": ("Сначала нужно разрешить оспоренные записи: {n}",
                                                    "Алдымен дауланған жазбаларды шешу керек: {n}"),
    "open disputes": ("есть открытые споры", "ашық даулар бар"),
    "{a} of {b} hours confirmed": ("Подтверждено {a} из {b} часов", "{b} сағаттың {a} расталды"),
    "the voucher's hours are not confirmed yet": ("часы ваучера ещё не подтверждены", "ваучер сағаттары әлі расталмаған"),
    "a rejection needs a reason": ("Для отказа нужна причина", "Бас тарту үшін себеп керек"),
    "required to reject": ("обязательно при отказе", "бас тартқанда міндетті"),
    "the report is already submitted": ("Отчёт уже отправлен", "Есеп жіберіліп қойған"),
    "the student has left this placement": ("Студент покинул это место", "Студент бұл орыннан кетті"),
    "no such placement at your site": ("На вашей площадке нет такого участия", "Сіздің алаңыңызда мұндай қатысу жоқ"),
    "the time is in the future": ("Время в будущем", "Уақыт болашақта"),
    "after now": ("позже текущего момента", "қазіргі сәттен кейін"),
    # check-in at the site with its code
    "this is not a check-in code": ("Это не код отметки", "Бұл белгілену коды емес"),
    "not a check-in code": ("не код отметки", "белгілену коды емес"),
    "the check-in code is forged or damaged": ("Код отметки подделан или повреждён", "Белгілену коды жалған немесе бүлінген"),
    "signature does not match": ("подпись не совпадает", "қолтаңба сәйкес емес"),
    "the check-in code is not valid yet": ("Код отметки ещё не действует", "Белгілену коды әлі жарамсыз"),
    "for a later time": ("на более позднее время", "кейінгі уақытқа арналған"),
    "the check-in code has expired: use the one shown now": (
        "Срок кода отметки истёк: используйте код, который показан сейчас",
        "Белгілену кодының мерзімі өтті: қазір көрсетілген кодты пайдаланыңыз"),
    "expired": ("срок истёк", "мерзімі өтті"),
    "no current check-in code of your site matches": (
        "Код не совпадает ни с одним действующим кодом вашей площадки",
        "Код сіздің алаңыңыздың қолданыстағы кодтарының ешқайсысына сәйкес келмейді"),
    "unknown code: check it against the screen": ("неизвестный код: сверьте его с экраном",
                                                  "белгісіз код: экранмен салыстырыңыз"),
    "you have left the placement at this site": ("Вы больше не участвуете в проекте этой площадки",
                                                 "Сіз бұл алаңдағы жобадан шықтыңыз"),
    "placement withdrawn": ("участие прекращено", "қатысу тоқтатылған"),
    "this is another site's check-in code": ("Это код отметки другой площадки", "Бұл басқа алаңның белгілену коды"),
    "another site's code": ("код другой площадки", "басқа алаңның коды"),
    "you have no active placement to check in to": ("У вас нет активного участия, чтобы отметиться",
                                                    "Белгілену үшін белсенді қатысуыңыз жоқ"),
    "no active placement": ("нет активного участия", "белсенді қатысу жоқ"),
    "you already used this code for check-in": ("Вы уже отметили приход этим кодом",
                                                "Бұл кодпен келуіңізді белгілеп қойдыңыз"),
    "you already used this code for check-out": ("Вы уже отметили уход этим кодом",
                                                 "Бұл кодпен кетуіңізді белгілеп қойдыңыз"),
    "already used": ("уже использован", "қолданылған"),
    "you are already checked in": ("Вы уже отметили приход", "Келуіңізді белгілеп қойдыңыз"),
    "check out first": ("сначала отметьте уход", "алдымен кетуді белгілеңіз"),
    "you are not checked in": ("Вы не отмечали приход", "Сіз келуді белгілемегенсіз"),
    "check in first": ("сначала отметьте приход", "алдымен келуді белгілеңіз"),
    "you checked in at another site": ("Вы отметили приход на другой площадке", "Сіз келуді басқа алаңда белгіледіңіз"),
    "check-out comes after check-in": ("Уход отмечается после прихода", "Кету келуден кейін белгіленеді"),
    "the attendance is {status}": ("Отметка уже в статусе {status}", "Белгі әлдеқашан {status} күйінде"),
    "no such attendance": ("Нет такой отметки", "Мұндай белгі жоқ"),
    "codes are printed for a day within {n} days of today": (
        "Коды печатаются на день не дальше {n} дней от сегодняшнего", "Кодтар бүгіннен {n} күннен алыс емес күнге басылады"),
    "not within {n} days of {today}": ("дальше {n} дней от {today}", "{today} күнінен {n} күннен алыс"),
    "check-in codes are shown by a site's coordinator": ("Коды отметки показывает координатор площадки",
                                                         "Белгілену кодтарын алаң үйлестірушісі көрсетеді"),
    # enrolment: the registrar confirms the student (one by one, or a roster CSV)
    "your enrolment is not confirmed by your university's registrar: you may browse projects, and apply once "
    "it is confirmed": (
        "Офис регистратора вашего вуза ещё не подтвердил ваше обучение: проекты можно смотреть, а подать заявку — "
        "после подтверждения",
        "ЖОО-ңыздың тіркеу кеңсесі оқуыңызды әлі растамады: жобаларды қарауға болады, өтінімді растаудан кейін беруге болады"),
    "refused: {reason}": ("отказано: {reason}", "бас тартылды: {reason}"),
    "no such student at your university": ("В вашем вузе нет такого студента", "Сіздің ЖОО-да мұндай студент жоқ"),
    "a refusal says why": ("Отказ должен называть причину", "Бас тарту себебін көрсетуі керек"),
    "required to refuse": ("обязательно при отказе", "бас тартқанда міндетті"),
    "{n} of {m} rows are not valid: nothing was applied": ("Строк с ошибками: {n} из {m}; ничего не применено",
                                                           "Қате жолдар: {m} ішінен {n}; ештеңе қолданылмады"),
    "an IIN is 12 digits": ("ИИН состоит из 12 цифр", "ЖСН 12 цифрдан тұрады"),
    "the IIN's check digit is wrong": ("неверная контрольная цифра ИИН", "ЖСН бақылау цифры қате"),
    "repeats row {n}": ("повторяет строку {n}", "{n}-жолды қайталайды"),
    "registered as a student of another university": ("зарегистрирован как студент другого вуза",
                                                      "басқа ЖОО студенті ретінде тіркелген"),
    "not registered as a student: nothing to refuse": ("не зарегистрирован как студент: отказывать не в чем",
                                                       "студент ретінде тіркелмеген: бас тартатын ештеңе жоқ"),
    "the roster is sent as text/csv": ("Список отправляется как text/csv", "Тізім text/csv ретінде жіберіледі"),
    "the roster is not UTF-8 text: save it as CSV UTF-8": (
        "Список не в кодировке UTF-8: сохраните его как CSV UTF-8", "Тізім UTF-8 емес: оны CSV UTF-8 ретінде сақтаңыз"),
    "the header row must name the iin column (decision and reason are optional)": (
        "В строке заголовков должен быть столбец iin (decision и reason — по желанию)",
        "Тақырып жолында iin бағаны болуы керек (decision және reason міндетті емес)"),
    "the roster has no rows under its header": ("В списке нет строк под заголовком", "Тізімде тақырыптан кейін жол жоқ"),
    # the Operator's risk-based review (services/timesheet/risk.py)
    "the report is flagged: review it one by one": ("Отчёт помечен: проверьте его отдельно",
                                                    "Есеп белгіленген: оны жеке тексеріңіз"),
    "the report is sampled for manual review: review it one by one": (
        "Отчёт выбран для ручной проверки: проверьте его отдельно",
        "Есеп қолмен тексеруге таңдалды: оны жеке тексеріңіз"),
    "manual review": ("ручная проверка", "қолмен тексеру"),
    "give report_ids or a filter, not both": ("укажите report_ids или фильтр, но не оба",
                                              "report_ids немесе сүзгіні көрсетіңіз, екеуін бірге емес"),
    "the hours of {n} work days were logged on {m} day(s)": (
        "часы {n} рабочих дней внесены за {m} дн.", "{n} жұмыс күнінің сағаттары {m} күнде енгізілген"),
    "{n} entries were logged by one coordinator at {at}": (
        "{n} записей внесены одним координатором в {at}", "{n} жазбаны бір үйлестіруші {at} кезінде енгізген"),
    "hours of {n} disputed entries were corrected": ("часы {n} оспоренных записей исправлены",
                                                     "даулы {n} жазбаның сағаттары түзетілген"),
    "the signer shares the student's surname at a site of {n} placements": (
        "у подписавшего та же фамилия, что у студента, на площадке из {n} мест",
        "қол қоюшының тегі студенттікімен бірдей, алаңда {n} орын"),
    "all {n} reports of the site completed in the minimum number of days": (
        "все {n} отчётов площадки выполнены за минимальное число дней",
        "алаңның барлық {n} есебі ең аз күнде орындалған"),
    # credits: the registrar's decisions, many at once and by CSV
    "no such re-count request": ("Нет такой заявки на перезачёт", "Мұндай қайта есептеу өтінімі жоқ"),
    "this request is already {status}": ("Заявка уже в статусе {status}", "Өтінім әлдеқашан {status} күйінде"),
    "give it for the request or once for all": ("укажите для заявки или один раз для всех",
                                                "өтінім үшін немесе барлығына бір рет көрсетіңіз"),
    "required to confirm": ("обязательно при подтверждении", "растағанда міндетті"),
    "decided again: also on row {n}": ("решение повторяется: уже в строке {n}", "шешім қайталанады: {n}-жолда да бар"),
    "{n} row(s) of the file are wrong: nothing was applied": (
        "Ошибки в строках файла: {n}; ничего не применено", "Файл жолдарындағы қателер: {n}; ештеңе қолданылмады"),
    "the file is not a CSV of the re-count queue: its header row lacks columns": (
        "Файл — не CSV очереди перезачёта: в строке заголовков нет нужных столбцов",
        "Файл қайта есептеу кезегінің CSV-і емес: тақырып жолында қажетті бағандар жоқ"),
    "missing columns: {names}": ("нет столбцов: {names}", "бағандар жоқ: {names}"),
    "the file has more than {n} rows: split it": ("В файле больше {n} строк: разделите его",
                                                  "Файлда {n} жолдан көп: оны бөліңіз"),
    "more than {n} rows": ("больше {n} строк", "{n} жолдан көп"),
    "the file is not a readable CSV": ("Файл не читается как CSV", "Файл CSV ретінде оқылмайды"),
    "the file is not UTF-8 text: save it as CSV UTF-8": (
        "Файл не в кодировке UTF-8: сохраните его как «CSV UTF-8»", "Файл UTF-8 кодтауында емес: оны «CSV UTF-8» ретінде сақтаңыз"),
    "not UTF-8": ("не UTF-8", "UTF-8 емес"),
    "the body must be text/csv": ("тело запроса должно быть text/csv", "сұраныс денесі text/csv болуы керек"),
}


def _compile(template):
    names = re.findall(r"\{(\w+)\}", template)
    pattern = "".join(r"(?P<%s>.+?)" % part[1:-1] if re.fullmatch(r"\{\w+\}", part) else re.escape(part)
                      for part in re.split(r"(\{\w+\})", template) if part)
    return re.compile(pattern + r"\Z"), names


COMPILED = [(_compile(english), translations) for english, translations in CATALOGUE.items()]
VALUE = re.compile(r"[A-Za-z0-9_.:+-]+\Z")  # a status, a code, a number: not a sentence


def language_of(accept_language):
    """The first of ru, kk, en that `Accept-Language` names ("kk-KZ,ru;q=0.8" is kk); en otherwise."""
    weighted = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, quality = item.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            weight = 0.0
        weighted.append((-weight, position, tag.split("-")[0].strip().lower()))
    return next((tag for _, _, tag in sorted(weighted) if tag in LANGUAGES), "en")


def translate(text, language, fallback=None):
    """`text` in `language`, or `fallback` (or the text itself for a value) when the catalogue lacks it."""
    if language == "en" or not isinstance(text, str):
        return text
    index = LANGUAGES.index(language)
    for (pattern, names), translations in COMPILED:
        found = pattern.match(text)
        if found:
            return translations[index].format(**found.groupdict())
    if VALUE.match(text):
        return text
    return fallback if fallback is not None else text


def error_in(body, language):
    """The JSON error `{"error": {"code", "message", "fields"}}` with its sentences in `language`."""
    if language == "en":
        return body
    index = LANGUAGES.index(language)
    error = dict(body["error"])
    general = BY_CODE.get(error.get("code"), BY_CODE["internal_error"])[index]
    error["message"] = translate(error.get("message", ""), language, general)
    error["fields"] = _reasons(error.get("fields") or {}, language, GENERAL_REASON[index])
    return {**body, "error": error}


def _reasons(fields, language, general):
    if isinstance(fields, dict):
        return {key: _reasons(value, language, general) for key, value in fields.items()}
    if isinstance(fields, list):
        return [_reasons(item, language, general) for item in fields]
    return translate(fields, language, general)
