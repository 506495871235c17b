/** English for the refusal pages of the login and the session checks (the quality pass of issue 4). */
export const enPolish: Readonly<Record<string, string>> = {
  '№': 'No.',
  'Сессия закончилась: войдите снова': 'Your session has ended: please sign in again',
  'Запрос отклонён: форма устарела или пришла с чужого сайта. Обновите страницу':
    'Request refused: the form is out of date or came from another site. Reload the page',
  'Форма входа устарела — откройте страницу входа заново':
    'The sign-in form is out of date — open the sign-in page again',
  'Форма пришла повреждённой: обновите страницу и отправьте её снова':
    'The form arrived damaged: reload the page and send it again',
  'Фильтры: {n}': 'Filters: {n}',
  'Скрыть или показать меню': 'Hide or show the menu',
  Меню: 'Menu',
}
