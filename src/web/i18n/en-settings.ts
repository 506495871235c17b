/** English texts of «Настройки», the «ПДн» hub and the list of people with access to ПДн (issue 10). */
export const enSettings: Readonly<Record<string, string>> = {
  'Полное наименование': 'Full name',
  'Краткое наименование': 'Short name',
  ИНН: 'INN (taxpayer number)',
  ОГРН: 'OGRN (registration number)',
  Адрес: 'Address',
  'Ответственный за организацию обработки ПДн (должность, ФИО)':
    'Person responsible for personal data processing (position, full name)',
  'Автозакрытие решённой заявки без ответа заявителя, дней':
    'Auto-close a resolved ticket without the requester’s answer after, days',
  'От 1 до 90': 'From 1 to 90',
  'Хранение журнала аудита, дней': 'Audit journal retention, days',
  'Не меньше 365 (год)': 'At least 365 (a year)',
  'Закрытые заявки с ПДн хранятся, лет после закрытия':
    'Closed tickets with personal data are kept, years after closing',
  'От 1 до 75': 'From 1 to 75',
  'Данные отключённых пользователей хранятся, лет после отключения':
    'Data of deactivated people is kept, years after deactivation',
  'Отклонённые регистрации хранятся, дней': 'Rejected registrations are kept, days',
  'От 1 до 3650': 'From 1 to 3650',
  'После отзыва согласия данные уничтожаются в течение, дней':
    'After a consent is withdrawn, data is destroyed within, days',
  'От 1 до 30 (ст. 21 ч. 5 152-ФЗ)': 'From 1 to 30 (152-FZ art. 21 part 5)',
  пользователи: 'users',
  исполнители: 'executors',
  кураторы: 'curators',
  администраторы: 'administrators',
  Настройки: 'Settings',
  'Персональные данные': 'Personal data',
  'Каждое изменение записывается в журнал аудита со старым и новым значением.':
    'Every change is written to the audit journal with the old and the new value.',
  'ПДн не передаются в Telegram': 'No personal data through Telegram',
  'Бот сообщает только номер заявки, её статус и ссылку — без ФИО и текста (149-ФЗ ст. 10 ч. 8).':
    'The bot sends only the ticket number, its status and a link — no names, no text (149-FZ art. 10 part 8).',
  'Сроки по приоритетам, минут': 'Deadlines by priority, minutes',
  'Реакция, минут': 'Response, minutes',
  реакция: 'response',
  решение: 'resolution',
  'Категория может задать свои сроки; эти действуют для остальных.':
    'A category may set its own deadlines; these apply to the rest.',
  'Комиссия по уничтожению ПДн': 'Personal data destruction commission',
  'Из этого списка выбираются подписывающие акт об уничтожении (Приказ РКН № 179).':
    'The signatories of a destruction act are chosen from this list (Roskomnadzor order No. 179).',
  Удалить: 'Remove',
  'Новый член комиссии': 'New commission member',
  'Удалить из комиссии': 'Remove from the commission',
  'Реквизиты оператора ПДн': 'Personal data operator’s details',
  'Печатаются в согласиях, ответах на запросы и актах об уничтожении.':
    'Printed in consents, answers to requests and destruction acts.',
  'Двухфакторная аутентификация': 'Two-factor authentication',
  'Второй фактор ни для кого не обязателен.': 'A second factor is required of nobody.',
  'Второй фактор (TOTP) обязателен: {roles}.': 'A second factor (TOTP) is required of: {roles}.',
  'Задаётся переменной окружения AUTH_REQUIRE_2FA при запуске сервера; здесь только показывается.':
    'Set by the AUTH_REQUIRE_2FA environment variable when the server starts; shown here only.',
  'Сроки, автозакрытие, ПДн в Telegram, сроки хранения, комиссия по уничтожению, реквизиты оператора':
    'Deadlines, auto-close, personal data in Telegram, retention, the destruction commission, the operator’s details',
  'Редакции текста согласия и публикация новой': 'Versions of the consent text and publishing a new one',
  'Доступ, уточнение, блокирование, отзыв согласия, уничтожение — со сроками в рабочих днях':
    'Access, correction, blocking, withdrawal, destruction — with deadlines in working days',
  'Чьи данные пора уничтожить и почему; утверждение с комиссией':
    'Whose data is due for destruction and why; approval with the commission',
  'Акты по Приказу РКН № 179 и выписки из журнала, хранятся 3 года':
    'Acts under Roskomnadzor order No. 179 and journal extracts, kept 3 years',
  'Перечень лиц, имеющих доступ к ПДн': 'People with access to personal data',
  'Кто из работников видит персональные данные, с какого дня и кем допущен (ПП № 1119 п. 13)':
    'Which staff see personal data, since when and who gave them access (Government decree No. 1119 item 13)',
  'Журнал аудита: действия с ПДн': 'Audit journal: personal data actions',
  'Кто, когда и чьи данные читал или менял': 'Who read or changed whose data, and when',
  'Работники с ролью исполнителя, куратора или администратора (ПП № 1119 п. 13). Дата и основание — из журнала аудита. Составлен {at}; {count}.':
    'Staff with the executor, curator or administrator role (Government decree No. 1119 item 13). Dates and grounds come from the audit journal. Made {at}; {count}.',
  'Работников с доступом к ПДн нет.': 'No staff have access to personal data.',
  'К каким ПДн имеет доступ': 'Personal data they can reach',
  'С какого времени': 'Since',
  'Основание, кем предоставлен': 'Grounds, granted by',
  'Рабочие часы и часы сроков': 'Working hours and the deadlines’ clock',
  'Начало рабочего дня': 'Working day starts',
  'Конец рабочего дня': 'Working day ends',
  'Часовой пояс': 'Time zone',
  Круглосуточно: 'Around the clock',
  'В рабочие часы': 'In working hours',
  'Сроки приоритетов «в рабочие часы» считают только рабочие часы рабочих дней производственного календаря: заявка, поданная в пятницу вечером, не просрочена в понедельник утром.':
    'Priorities «in working hours» count only the working hours of the production calendar’s working days: a ticket filed on Friday evening is not overdue on Monday morning.',
}
