/** English for linking Telegram from the profile (src/web/telegram-link.routes.tsx, views/telegram-link.tsx). */
export const enTelegramLink: Readonly<Record<string, string>> = {
  'Привязка Telegram': 'Link Telegram',
  'Код привязки': 'Link code',
  'Код одноразовый и действует до {time}. Никому его не сообщайте.':
    'The code works once, until {time}. Do not give it to anyone.',
  'Откройте ссылку на телефоне с Telegram и нажмите «Запустить»:':
    'Open the link on a phone with Telegram and press «Start»:',
  'или отправьте боту команду': 'or send the bot the command',
  'Найдите бота службы поддержки в Telegram и отправьте ему команду':
    'Find the support bot in Telegram and send it the command',
  'После привязки уведомления о заявках будут приходить в этот Telegram.':
    'Once linked, ticket notices come to that Telegram.',
  'Вернуться в профиль': 'Back to the profile',
  'Привяжите Telegram, чтобы получать уведомления о заявках и подавать их через бота.':
    'Link Telegram to get ticket notices and to file tickets through the bot.',
  'Привязать Telegram': 'Link Telegram',
  'Привязать другой Telegram': 'Link another Telegram',
  'Отвязать Telegram…': 'Unlink Telegram…',
  'Отвязать Telegram? Уведомления о заявках перестанут приходить в Telegram.':
    'Unlink Telegram? Ticket notices will no longer come to Telegram.',
  Отвязать: 'Unlink',
  'Telegram отвязан': 'Telegram unlinked',
}
