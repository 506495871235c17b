/** English for the destruction of personal data (src/web/pdn-destruction.routes.tsx, views/pdn-destruction.tsx). */
export const enDestruction: Readonly<Record<string, string>> = {
  'Уничтожение персональных данных': 'Destruction of personal data',
  'К уничтожению': 'Due for destruction',
  'Акты уничтожения': 'Destruction acts',
  'Люди, чьи персональные данные подлежат уничтожению: по отзыву согласия, по истечении сроков хранения или по требованию. Ничего не уничтожается без решения администратора.':
    'People whose personal data is due for destruction: consent withdrawn, retention period ended, or on request. Nothing is destroyed without an administrator’s decision.',
  'Никто не ожидает уничтожения данных': 'Nobody is waiting for the destruction of their data',
  Субъект: 'Subject',
  Основание: 'Grounds',
  'Пользователь № {id}': 'User no. {id}',
  'Утвердить уничтожение…': 'Approve the destruction…',
  'Будут уничтожены: ФИО, телефон, идентификатор и имя пользователя Telegram, должность, кабинет, отделение, логин, электронная почта, вложения этого человека и сканы его согласий; сеансы и токены. Учётная запись станет «Субъект № {id}», заявки и журнал сохранят свою структуру. Отменить это нельзя.':
    'To be destroyed: full name, phone, Telegram id and username, position, room, department, login, e-mail, this person’s attachments and consent scans; sessions and tokens. The account becomes «Subject no. {id}»; tickets and the journal keep their shape. This cannot be undone.',
  'Акт об уничтожении': 'Destruction act',
  'Состав комиссии не задан: добавьте членов комиссии в настройках (pdn.commission).':
    'No commission is set: add its members in the settings (pdn.commission).',
  'Члены комиссии, подписывающие акт': 'Commission members who sign the act',
  'Причина уничтожения': 'Reason for the destruction',
  'Удалить тексты обращений (заголовки и тексты заявок этого человека и его сообщения)':
    'Delete the texts of requests (this person’s ticket titles and texts and their messages)',
  'Уничтожить данные и составить акт': 'Destroy the data and draw up the act',
  'Данные уничтожены, составлен акт № {id}': 'The data is destroyed; act no. {id} is drawn up',
  'Актов уничтожения пока нет': 'No destruction acts yet',
  'Всего: {count}. Акты хранятся 3 года.': 'In all: {count}. Acts are kept for 3 years.',
  Акт: 'Act',
  Дата: 'Date',
  Документы: 'Documents',
  '№ {id}': 'No. {id}',
  'Субъект № {id}': 'Subject no. {id}',
  'тексты обращений удалены': 'texts of requests deleted',
  'Акт (PDF)': 'Act (PDF)',
  'Выгрузка из журнала (PDF)': 'Journal extract (PDF)',
  'хранить до {date}': 'keep until {date}',
  'Журнал аудита': 'Audit journal',
  'Записей журнала старше срока хранения ({days} дн.) нет.':
    'No journal records are older than the retention period ({days} days).',
  'Записей журнала старше срока хранения ({days} дн.): {count}, самая ранняя — {date}.':
    'Journal records older than the retention period ({days} days): {count}, the earliest of {date}.',
  'Они переносятся в подписанный файл архива командой на сервере:':
    'They are moved to a signed archive file by a command on the server:',
  Записи: 'Records',
  Период: 'Period',
  Файл: 'File',
  Архивировано: 'Archived',
  '№ {first}–{last}': 'No. {first}–{last}',
}
