/**
 * English for MAX on the web (issue 15): linking it from the profile (src/web/max-link.routes.tsx,
 * views/max-link.tsx) and where notices go («Настройки»).
 */
export const enMaxLink: Readonly<Record<string, string>> = {
  MAX: 'MAX',
  'Привязка MAX': 'Link MAX',
  'Откройте ссылку на телефоне с MAX и запустите бота:': 'Open the link on a phone with MAX and start the bot:',
  'Найдите бота службы поддержки в MAX и отправьте ему команду': 'Find the support bot in MAX and send it the command',
  'После привязки уведомления о заявках смогут приходить в MAX.': 'Once linked, ticket notices can come to MAX.',
  'Привяжите MAX, чтобы получать уведомления о заявках и подавать их через бота.':
    'Link MAX to get ticket notices and to file tickets through the bot.',
  'Привязать MAX': 'Link MAX',
  'Привязать другой MAX': 'Link another MAX',
  'Отвязать MAX…': 'Unlink MAX…',
  'Отвязать MAX? Уведомления о заявках перестанут приходить в MAX.':
    'Unlink MAX? Ticket notices will no longer come to MAX.',
  'MAX отвязан': 'MAX unlinked',
  Мессенджеры: 'Messengers',
  'Куда приходят уведомления': 'Where notices go',
  'Человеку, у которого привязаны и Telegram, и MAX, уведомления приходят':
    'A person linked to both Telegram and MAX gets notices',
  'В тот, откуда человек писал последним': 'Where they wrote from last',
  'Если человек не привязан к выбранному мессенджеру или остановил там бота, уведомление придёт в другой.':
    'If the person is not linked to the chosen messenger or has stopped the bot there, the notice goes to the other.',
}
