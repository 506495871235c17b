/** English for the executor's workspace (issue 13): the keys of the list and the ticket. */
export const enWorkspace: Readonly<Record<string, string>> = {
  Клавиши: 'Keys',
  поиск: 'search',
  'следующая / предыдущая заявка списка': 'next / previous ticket of the list',
  'открыть заявку': 'open the ticket',
  'взять в работу': 'take it',
  'ответить заявителю': 'reply to the requester',
  'внутренняя заметка': 'internal note',
  'решить: написать результат': 'resolve: write the result',
  отправить: 'send',
  'эта подсказка': 'this help',
  'Не действуют, пока курсор в поле ввода.': 'They do nothing while you type in a field.',
  Закрыть: 'Close',
}
