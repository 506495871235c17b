/** The ticket list's background exports (issue 13): the page that waits for the file and offers it. */
export const enExport: Readonly<Record<string, string>> = {
  'Выгрузка готовится…': 'Preparing the export…',
  'Выгрузка готова': 'The export is ready',
  'Выгрузка не удалась': 'The export failed',
  'Выгрузка удалена': 'The export was removed',
  'Список заявок в {format}: {n}.': 'The ticket list as {format}: {n}.',
  'Строк больше, чем выгружается сразу, поэтому файл собирается в фоне. Страница обновится сама, когда он будет готов; её можно закрыть и вернуться по этой ссылке.':
    'There are more rows than an export downloads at once, so the file is being made in the background. This page reloads itself when it is ready; you may close it and come back by this link.',
  'Файл доступен только вам до {until}.': 'Only you can download the file, until {until}.',
  'Файл собрать не удалось. Выгрузите список ещё раз.': 'The file could not be made. Export the list again.',
  'Файлы выгрузок хранятся сутки. Выгрузите список ещё раз.': 'Export files are kept for a day. Export the list again.',
}
