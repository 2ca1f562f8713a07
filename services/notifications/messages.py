"""What each notification says, per topic and audience, in Russian, Kazakh and English.

Placeholders are the event's fields made readable by `rules.params` (local times, tenge, voucher facts).
"""

# (topic, audience) → language → (title, body)
MESSAGES = {
    ("interview.offered", "student"): {
        "ru": ("Запишитесь на собеседование",
               "Для проекта «{project_title}» открыта запись на собеседование. Выберите время на портале."),
        "kk": ("Сұхбатқа жазылыңыз",
               "«{project_title}» жобасы бойынша сұхбатқа жазылу ашық. Порталда уақытты таңдаңыз."),
        "en": ("Book your interview",
               "Interview slots are open for “{project_title}”. Choose a time in the portal."),
    },
    ("interview.booked", "student"): {
        "ru": ("Собеседование назначено", "Ваше собеседование по проекту «{project_title}» — {starts_at} ({place})."),
        "kk": ("Сұхбат белгіленді", "«{project_title}» жобасы бойынша сұхбатыңыз — {starts_at} ({place})."),
        "en": ("Interview booked", "Your interview for “{project_title}” is on {starts_at} ({place})."),
    },
    ("interview.booked", "site"): {
        "ru": ("Запись на собеседование",
               "{student_name} — собеседование по проекту «{project_title}», {starts_at}."),
        "kk": ("Сұхбатқа жазылу", "{student_name} — «{project_title}» жобасы бойынша сұхбат, {starts_at}."),
        "en": ("Interview booked", "{student_name} booked an interview for “{project_title}” on {starts_at}."),
    },
    ("application.accepted", "student"): {
        "ru": ("Вас приняли", "Вас приняли в проект «{project_title}». Участие началось."),
        "kk": ("Сіз қабылдандыңыз", "Сіз «{project_title}» жобасына қабылдандыңыз. Қатысу басталды."),
        "en": ("You are accepted", "You are accepted to “{project_title}”. Your placement has started."),
    },
    ("application.rejected", "student"): {
        "ru": ("Заявка отклонена", "Ваша заявка в проект «{project_title}» отклонена: {reason}"),
        "kk": ("Өтінім қабылданбады", "«{project_title}» жобасына өтініміңіз қабылданбады: {reason}"),
        "en": ("Application not accepted", "Your application to “{project_title}” was not accepted: {reason}"),
    },
    ("application.no_show", "student"): {
        "ru": ("Собеседование пропущено",
               "Вы не пришли на собеседование по проекту «{project_title}», заявка закрыта."),
        "kk": ("Сұхбат өткізіп алынды",
               "Сіз «{project_title}» жобасы бойынша сұхбатқа келмедіңіз, өтінім жабылды."),
        "en": ("Interview missed",
               "You did not come to the interview for “{project_title}”, so the application is closed."),
    },
    ("hours.disputed", "site"): {
        "ru": ("Часы оспорены", "Студент оспорил {hours} ч за {work_date}: {comment}"),
        "kk": ("Сағаттарға дау айтылды", "Студент {work_date} күнгі {hours} сағатқа дау айтты: {comment}"),
        "en": ("Hours disputed", "A student disputed {hours} h for {work_date}: {comment}"),
    },
    ("report.submitted", "operator"): {
        "ru": ("Отчёт на проверку", "Отчёт о завершении ваучера на {voucher_hours} ч ({hours} ч) ожидает проверки."),
        "kk": ("Тексеруге есеп", "{voucher_hours} сағаттық ваучердің аяқталу есебі ({hours} сағ) тексеруді күтуде."),
        "en": ("Report to review", "A completion report for a {voucher_hours}-hour voucher ({hours} h) awaits review."),
    },
    ("report.accepted", "student"): {
        "ru": ("Отчёт принят",
               "Отчёт по ваучеру на {voucher_hours} ч ({site_name}) принят. Далее — выплата {reward} "
               "и перезачёт {voucher_credits} кредитов."),
        "kk": ("Есеп қабылданды",
               "{voucher_hours} сағаттық ваучер бойынша есеп ({site_name}) қабылданды. Келесі — {reward} "
               "төлем және {voucher_credits} кредитті қайта есептеу."),
        "en": ("Report accepted",
               "Your {voucher_hours}-hour voucher report at {site_name} was accepted. The reward of {reward} "
               "and {voucher_credits} credits will follow."),
    },
    ("report.accepted", "site"): {
        "ru": ("Отчёт принят", "Оператор принял отчёт студента {student_name} ({voucher_hours} ч)."),
        "kk": ("Есеп қабылданды", "Оператор {student_name} студенттің есебін қабылдады ({voucher_hours} сағ)."),
        "en": ("Report accepted", "The Operator accepted the report of {student_name} ({voucher_hours} h)."),
    },
    ("report.rejected", "student"): {
        "ru": ("Отчёт возвращён", "Оператор вернул отчёт о завершении: {reason}"),
        "kk": ("Есеп қайтарылды", "Оператор аяқталу есебін қайтарды: {reason}"),
        "en": ("Report returned", "The Operator returned your completion report: {reason}"),
    },
    ("report.rejected", "site"): {
        "ru": ("Отчёт возвращён", "Оператор вернул площадке отчёт о завершении: {reason}"),
        "kk": ("Есеп қайтарылды", "Оператор аяқталу есебін алаңға қайтарды: {reason}"),
        "en": ("Report returned", "The Operator returned a completion report to your site: {reason}"),
    },
    ("payout.sent", "student"): {
        "ru": ("Выплата отправлена", "Вознаграждение {amount_kzt} отправлено в банк."),
        "kk": ("Төлем жіберілді", "{amount_kzt} сыйақы банкке жіберілді."),
        "en": ("Payout sent", "Your reward of {amount_kzt} was sent to the bank."),
    },
    ("payout.paid", "student"): {
        "ru": ("Вознаграждение выплачено", "Вознаграждение {amount_kzt} выплачено."),
        "kk": ("Сыйақы төленді", "{amount_kzt} сыйақы төленді."),
        "en": ("Reward paid", "Your reward of {amount_kzt} has been paid."),
    },
    ("payout.failed", "student"): {
        "ru": ("Выплата не прошла",
               "Банк не смог выплатить вознаграждение {amount_kzt}: {reason}. Проверьте реквизиты на портале."),
        "kk": ("Төлем өтпеді",
               "Банк {amount_kzt} сыйақыны төлей алмады: {reason}. Порталда деректемелерді тексеріңіз."),
        "en": ("Payout failed",
               "The bank could not pay your reward of {amount_kzt}: {reason}. Check your payout details in the portal."),
    },
    ("payout.failed", "operator"): {
        "ru": ("Выплата не прошла", "Выплата {key} на {amount_kzt} не прошла: {reason}"),
        "kk": ("Төлем өтпеді", "{amount_kzt} сомасындағы {key} төлемі өтпеді: {reason}"),
        "en": ("Payout failed", "Payout {key} of {amount_kzt} failed: {reason}"),
    },
    ("credits.recounted", "student"): {
        "ru": ("Кредиты перезачтены", "Университет перезачёл {credits} кредитов. Всего: {total_credits}."),
        "kk": ("Кредиттер қайта есептелді", "Университет {credits} кредитті қайта есептеді. Барлығы: {total_credits}."),
        "en": ("Credits re-counted", "Your university re-counted {credits} credits. Your total is {total_credits}."),
    },
}

FOOTER = {
    "ru": "Портал «Студенческий ваучер». Уведомления — в личном кабинете.",
    "kk": "«Студенттік ваучер» порталы. Хабарламалар — жеке кабинетте.",
    "en": "Student Voucher portal. Your notifications are in your account.",
}

# The day's hour entries, told to the student once the day is over (rules.digest):
# language → (title, first line, a line per entry, the total's line).
DIGEST = {
    "ru": ("Часы за {day}",
           "Площадка отметила часы ({day}). Подтвердите или оспорьте их на портале.",
           "{work_date}: {hours} ч{project}",
           "Всего: {total} ч."),
    "kk": ("{day} күнгі сағаттар",
           "Алаң сағаттарды белгіледі ({day}). Порталда растаңыз немесе дау айтыңыз.",
           "{work_date}: {hours} сағ{project}",
           "Барлығы: {total} сағ."),
    "en": ("Hours logged on {day}",
           "The site logged hours for you ({day}). Please confirm or dispute them in the portal.",
           "{work_date}: {hours} h{project}",
           "Total: {total} h."),
}
