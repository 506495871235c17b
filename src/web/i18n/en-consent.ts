/** English for the consent pages (issue 10): /consent, «Настройки → Согласие на обработку ПДн», a person's consents. */
export const enConsent: Readonly<Record<string, string>> = {
  // The person's own consent
  'Чтобы работать в системе заявок, прочитайте согласие на обработку персональных данных и подтвердите его.':
    'To work in the helpdesk, read the consent to the processing of personal data and confirm it.',
  'Текст согласия изменился. Чтобы продолжить работу, прочитайте новую версию и подтвердите согласие.':
    'The consent text has changed. To go on working, read the new version and confirm your consent.',
  'Вы дали согласие на этот текст {day}.': 'You consented to this text on {day}.',
  'Версия {version} от {day}': 'Version {version} of {day}',
  Согласен: 'I agree',
  'Не согласен': 'I do not agree',
  'Не соглашаться? Ваше согласие будет отозвано, учётная запись — отключена.':
    'Not agree? Your consent will be withdrawn and your account deactivated.',
  'Не соглашаться? Без согласия работа в системе невозможна: вы выйдете из неё.':
    'Not agree? Without consent you cannot use the system: you will be signed out.',
  'Сначала подтвердите согласие на обработку персональных данных':
    'First confirm your consent to the processing of personal data',
  'Согласие не дано': 'Consent not given',
  'Без согласия на обработку персональных данных работа в системе заявок невозможна. Вы вышли из системы. Если передумаете, войдите снова; вопросы — в ИТ-отдел.':
    'Without consent to the processing of personal data you cannot use the helpdesk. You have been signed out. If you change your mind, sign in again; questions go to the IT department.',
  // Versions
  'Новая версия опубликована: активных пользователей бот попросит согласиться снова, сайт — при входе':
    'New version published: the bot will ask active users to agree again, the website at sign-in',
  'Действующий текст: версия {version} от {day}': 'Text in force: version {version} of {day}',
  'Согласились с этой версией: {n}. SHA-256: {hash}': 'Consented to this version: {n}. SHA-256: {hash}',
  'Опубликовать новую версию': 'Publish a new version',
  'Текст не редактируется: публикуется новая версия. Все активные пользователи подтвердят её заново — в боте при следующем сообщении, на сайте при входе; отказ означает отзыв согласия.':
    'The text is never edited: a new version is published. Every active user confirms it again — in the bot at their next message, on the website at sign-in; refusing withdraws the consent.',
  'Текст согласия': 'Consent text',
  'Опубликовать новую версию? Всех активных пользователей попросят согласиться снова.':
    'Publish a new version? All active users will be asked to agree again.',
  'История версий': 'Version history',
  Версия: 'Version',
  'Действует с': 'In force since',
  Опубликовал: 'Published by',
  Согласий: 'Consents',
  действует: 'in force',
  'Других версий пока нет.': 'No other versions yet.',
  // A person's consents (admin)
  бумага: 'paper',
  сайт: 'website',
  дано: 'given',
  'не дано': 'refused',
  отозвано: 'withdrawn',
  браузер: 'browser',
  подписано: 'signed',
  'заявление от': 'statement of',
  основание: 'grounds',
  'Бумажное согласие записано': 'Paper consent recorded',
  'Согласие отозвано по заявлению: учётная запись отключена, кураторы уведомлены':
    'Consent withdrawn on the written statement: account deactivated, curators notified',
  'К пользователю': 'Back to the user',
  'Бланк согласия (PDF)': 'Consent form (PDF)',
  'Согласие дано на действующий текст (версия {version}).': 'Consent given to the text in force (version {version}).',
  'Согласие дано на прежний текст (версия {version}): при следующем входе или сообщении боту его попросят согласиться с версией {current}.':
    'Consent given to an earlier text (version {version}): at the next sign-in or message to the bot they will be asked to agree to version {current}.',
  'Согласие отозвано.': 'Consent withdrawn.',
  'Согласия нет: человек подтвердит его при входе на сайт, или запишите бумажное согласие.':
    'No consent: the person confirms it at sign-in on the website, or record a paper consent.',
  'Записей о согласии нет.': 'No consent records.',
  'Время (UTC)': 'Time (UTC)',
  Канал: 'Channel',
  Подтверждение: 'Evidence',
  Скан: 'Scan',
  скан: 'scan',
  'Бумажное согласие': 'Paper consent',
  'Распечатайте бланк, дайте подписать и загрузите скан: PDF, JPEG или PNG, не больше {mb} МБ.':
    'Print the form, have it signed and upload the scan: PDF, JPEG or PNG, at most {mb} MB.',
  'Дата подписания': 'Date signed',
  'Скан подписанного согласия': 'Scan of the signed consent',
  'Записать бумажное согласие': 'Record the paper consent',
  'Загрузите скан подписанного согласия': 'Upload the scan of the signed consent',
  'Скан больше 10 МБ — загрузите файл поменьше': 'The scan is over 10 MB — upload a smaller file',
  'Отзыв согласия по заявлению': 'Withdrawal on a written statement',
  'Как отзыв самим человеком: учётная запись отключается сразу, сеансы и токены завершаются, кураторы получают уведомление, данные подлежат уничтожению в установленный срок.':
    'As a withdrawal by the person: the account is deactivated at once, sessions and tokens end, curators are notified, the data falls due for destruction in the set time.',
  'Основание (причина)': 'Grounds (reason)',
  'Дата заявления': 'Date of the statement',
  'Скан заявления (необязательно)': 'Scan of the statement (optional)',
  'Отозвать согласие этого человека? Его учётная запись будет сразу отключена.':
    "Withdraw this person's consent? Their account will be deactivated at once.",
}
