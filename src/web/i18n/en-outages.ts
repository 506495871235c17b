/** English for outages («Массовые сбои», issue 14): /outages, an outage's page, the form on a ticket, the dashboard. */
export const enOutages: Readonly<Record<string, string>> = {
  'Массовые сбои': 'Outages',
  'Массовый сбой': 'Outage',
  'Массовый сбой…': 'Outage…',
  'Массовых сбоев не было.': 'There have been no outages.',
  'Массовый сбой объявляют на странице заявки: сотрудники затронутых отделений получают объявление в боте, а новые заявки по этой теме присоединяются к сбою кнопкой «У меня тоже».':
    'An outage is declared on a ticket’s page: the staff of the affected departments get an announcement in the bot, and their new tickets on the matter join the outage with «Me too».',
  'Идут массовые сбои': 'Outages in progress',
  Идёт: 'In progress',
  Устранён: 'Resolved',
  Сбой: 'Outage',
  Где: 'Where',
  Объявлен: 'Declared',
  Объявление: 'Announcement',
  'Объявление получили': 'Announcement queued for',
  Присоединились: 'Joined',
  'Присоединились («У меня тоже»)': 'Joined («Me too»)',
  'Сбой устранён': 'Outage resolved',
  'Результат (увидят все присоединившиеся)': 'Result (everyone who joined will see it)',
  'Массовый сбой объявлен: объявление поставлено в очередь рассылки': 'Outage declared: the announcement is queued',
  'Сбой устранён: присоединённые заявки решены, заявителям сообщено':
    'Outage resolved: the joined tickets are resolved and their requesters told',
  'Объявить массовый сбой': 'Declare an outage',
  'Заявка № {id} станет родительской. Сотрудникам выбранных отделений придёт объявление в боте; их новые заявки в выбранных категориях присоединятся к сбою. Когда заявка будет решена, решатся и присоединённые.':
    'Ticket #{id} becomes the parent. The staff of the chosen departments get an announcement in the bot; their new tickets in the chosen categories join the outage. When this ticket is resolved, the joined ones are resolved too.',
  'Название сбоя': 'Outage name',
  'Где (например, корпус 2)': 'Where (e.g. building 2)',
  'Категории (родительская включает свои подкатегории)': 'Categories (a parent includes its subcategories)',
  'Объявление (пусто — составим из названия и места)': 'Announcement (empty: made from the name and the place)',
  'объявил(а) массовый сбой': 'declared an outage',
  '— массовый сбой устранён': '— the outage was resolved',
  'Объявления о массовых сбоях': 'Outage announcements',
  'Присылать в Telegram объявления о массовых сбоях в моём отделении':
    'Send me outage announcements for my department in Telegram',
}
