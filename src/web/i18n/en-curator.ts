/**
 * English for the curator's pages (registrations, categories, departments, executor groups) and for the
 * login and error pages.
 */
export const enCurator: Readonly<Record<string, string>> = {
  // Login and error pages.
  Вход: 'Sign in',
  'ИТ-поддержка': 'IT support',
  'ОБУЗ КГКБСМП': 'KGKBSMP hospital',
  Логин: 'Login',
  Пароль: 'Password',
  'Нет учётной записи? Зарегистрируйтесь в боте ИТ-отдела (Telegram или MAX) — куратор подтвердит регистрацию.':
    'No account? Register with the IT department’s bot (Telegram or MAX) — a curator will confirm the registration.',
  'Запрос отклонён': 'Request refused',
  'К заявкам': 'To tickets',
  'Не найдено': 'Not found',
  'Страница не найдена': 'Page not found',
  'Такой страницы или заявки нет, или у вас нет к ней доступа.':
    'This page or ticket does not exist, or you have no access to it.',
  'К списку заявок': 'To the ticket list',
  Ошибка: 'Error',
  'Что-то пошло не так': 'Something went wrong',
  'Запрос не выполнен. Попробуйте ещё раз; если ошибка повторится — сообщите в ИТ-отдел.':
    'The request failed. Please try again; if it keeps failing, tell the IT department.',
  'Сервис временно недоступен': 'Service temporarily unavailable',
  'База данных недоступна. Изменения не сохранены; повторите попытку через минуту.':
    'The database is unavailable. Nothing was saved; please try again in a minute.',
  'На сервере закончилось место на диске. Изменения не сохранены; сообщите в ИТ-отдел.':
    'The server has run out of disk space. Nothing was saved; please tell the IT department.',

  // Registrations.
  'Подтверждение регистраций': 'Registration requests',
  'Ожидают: {count}': 'Waiting: {count}',
  'Нет регистраций, ждущих решения': 'No registrations awaiting a decision',
  'Ждут решения: {n}': 'Awaiting a decision: {n}',
  'Ждут подтверждения: {what}': 'Awaiting confirmation: {what}',
  Открыть: 'Open',
  'Новые регистрации приходят из бота (Telegram или MAX); кураторы и администраторы получают о них уведомление.':
    'New requests come from the bot (Telegram or MAX); curators and administrators are notified of them.',
  'ФИО и должность': 'Name and position',
  'Отделение и кабинет': 'Department and room',
  'Заявка подана': 'Requested',
  'Согласие на обработку ПДн': 'Consent to personal data processing',
  'Показаны первые {shown} из {total}': 'Showing the first {shown} of {total}',
  'не указано': 'not given',
  'версия {version}': 'version {version}',
  'нет записи о согласии': 'no consent record',
  Подтвердить: 'Confirm',
  'Причина отклонения': 'Reason for rejection',
  Причина: 'Reason',
  Отклонить: 'Reject',
  'Регистрация подтверждена: {name}. Пользователь получит уведомление':
    'Registration confirmed: {name}. The person will be notified',
  'Регистрация отклонена: {name}. Пользователь получит уведомление с причиной':
    'Registration rejected: {name}. The person will be notified with the reason',

  // Catalogues in common.
  Название: 'Name',
  Состояние: 'State',
  Порядок: 'Order',
  Изменить: 'Edit',
  Активна: 'Active',
  Отключена: 'Disabled',
  Активно: 'Active',
  Отключено: 'Disabled',
  Отключить: 'Disable',
  Включить: 'Enable',
  'Отключить: {name}': 'Disable: {name}',
  'Включить: {name}': 'Enable: {name}',
  'Выше: {name}': 'Move up: {name}',
  'Ниже: {name}': 'Move down: {name}',
  'создайте первую': 'create the first one',
  'Изменения сохранены': 'Changes saved',
  'Отключено: больше не предлагается для новых записей, старые записи его сохраняют':
    'Disabled: no longer offered for new records; existing records keep it',
  'Включено снова': 'Enabled again',
  'Неизвестное состояние': 'Unknown state',
  'Неизвестное направление': 'Unknown direction',

  // Categories.
  'Новая категория': 'New category',
  'Категорий пока нет —': 'No categories yet —',
  'Группа по умолчанию': 'Default group',
  'Сроки: реакция / решение': 'Deadlines: response / resolution',
  'не задана': 'not set',
  'по приоритету': 'by priority',
  '{n} д': '{n} d',
  'Категория «{name}»': 'Category “{name}”',
  'Родительская категория': 'Parent category',
  '— верхний уровень —': '— top level —',
  'У категории есть подкатегории: она остаётся на верхнем уровне.':
    'The category has subcategories: it stays at the top level.',
  'Группа исполнителей по умолчанию': 'Default executor group',
  '— не задана —': '— not set —',
  отключена: 'disabled',
  'Приоритет по умолчанию': 'Default priority',
  'Сроки для этой категории, в минутах (пусто — как у приоритета)':
    'Deadlines for this category, in minutes (empty: as for the priority)',
  'Первая реакция, минут': 'First response, minutes',
  'Решение, минут': 'Resolution, minutes',
  'Создать категорию': 'Create category',
  'Выберите приоритет': 'Choose a priority',
  'Родительская категория не найдена': 'Parent category not found',
  'Группа исполнителей не найдена': 'Executor group not found',

  // Departments.
  'Новое отделение': 'New department',
  Добавить: 'Add',
  'Отделений пока нет — добавьте первое: без них бот не сможет зарегистрировать людей.':
    'No departments yet — add the first one: without them the bot cannot register anyone.',
  'Название отделения': 'Department name',
  Переименовать: 'Rename',

  // Executor groups.
  'Новая группа': 'New group',
  'Групп пока нет —': 'No groups yet —',
  Участники: 'Members',
  Категорий: 'Categories',
  'нет участников': 'no members',
  отключён: 'disabled',
  'Группа «{name}»': 'Group “{name}”',
  'Например, «Сети» или «МИС»': 'For example, “Networks” or “MIS”',
  'Нет активных исполнителей и кураторов.': 'No active executors or curators.',
  'Создать группу': 'Create group',
  'Неизвестный участник': 'Unknown member',
}
