/** English for «Пользователи → Импорт» (issue 11). */
export const enImport: Readonly<Record<string, string>> = {
  Импорт: 'Import',
  'Загрузить файл': 'Upload a file',
  'CSV (UTF-8 или Windows-1251, разделитель «;» или «,») или XLSX (первый лист). Первая строка — названия столбцов. Сначала покажем, что изменится; импорт — после подтверждения.':
    'CSV (UTF-8 or Windows-1251, separated by «;» or «,») or XLSX (the first sheet). The first row names the columns. You see what would change first; the import runs after you confirm.',
  'Что импортировать': 'What to import',
  Файл: 'File',
  Проверить: 'Check',
  Отделения: 'Departments',
  Категории: 'Categories',
  Сотрудники: 'Staff',
  Столбцы: 'Columns',
  'Нужен табельный номер или Telegram id: по ним повторный импорт узнаёт людей. Отделения должны уже быть в справочнике. Пустая ячейка ничего не меняет. Новые сотрудники — заявители; согласие на обработку ПДн бот спросит при первом сообщении.':
    'An employee number or a Telegram id is needed: a repeated import recognises people by them. Departments must already be in the list. An empty cell changes nothing. New staff are requesters; the bot asks for their consent to the processing of personal data at their first message.',
  Шаблон: 'Template',
  'Импорт: проверка': 'Import: check',
  'Загрузить другой файл': 'Upload another file',
  'Ничего ещё не изменено. Импорт выполнится одной транзакцией и запишется в журнал.':
    'Nothing has changed yet. The import runs as one transaction and is written to the journal.',
  Импортировать: 'Import',
  'В файле есть ошибочные строки: исправьте их и загрузите файл снова. Пока они есть, импорт не выполнится.':
    'The file has bad rows: fix them and upload the file again. While they are there, the import will not run.',
  'Импортировать ещё': 'Import more',
  'Импорт выполнен': 'Import done',
  'Импорт отменён: в файле есть ошибочные строки, ничего не изменено.':
    'Import cancelled: the file has bad rows, nothing was changed.',
  Создать: 'Create',
  Изменить: 'Change',
  'Без изменений': 'Unchanged',
  'Ошибочных строк': 'Bad rows',
  Строка: 'Row',
  Действие: 'Action',
  Запись: 'Record',
  Подробности: 'Details',
  Ошибка: 'Error',
  'Выберите файл': 'Choose a file',
  'Файл больше 10 МБ — разделите его на части': 'The file is over 10 MB — split it into parts',
  'Проверенный файл не найден или устарел (хранится 30 минут) — загрузите его снова':
    'The checked file is gone or expired (it is kept for 30 minutes) — upload it again',
}
