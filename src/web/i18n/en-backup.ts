/** English for the backup state on the admin's dashboard (issue 11). */
export const enBackup: Readonly<Record<string, string>> = {
  'Проверенных резервных копий ещё нет: см. helpdesk backups list и журнал сервера':
    'No verified backup yet: see helpdesk backups list and the server log',
  'Последняя проверенная резервная копия: {at} ({hours} ч назад)': 'Last verified backup: {at} ({hours} h ago)',
  'Последняя попытка не удалась.': 'The latest attempt failed.',
  'Она старше двух дней.': 'It is more than two days old.',
}
