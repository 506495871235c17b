/**
 * English for the one-time login link from the bot (src/web/telegram-login.routes.tsx). The refusals come
 * from the use case in Russian; before sign-in the page has no person, hence no language but Russian.
 */
export const enTelegramLogin: Readonly<Record<string, string>> = {
  'Вход по ссылке из Telegram': 'Sign in with a link from Telegram',
  'Нажмите «Войти», чтобы открыть сайт службы поддержки под своей учётной записью.':
    'Press «Sign in» to open the support site with your account.',
  'Ссылка одноразовая и действует {minutes} минут с момента отправки.':
    'The link works once and for {minutes} minutes after it was sent.',
  Войти: 'Sign in',
  'Войти по логину и паролю': 'Sign in with login and password',
  'Форма входа устарела — откройте ссылку из Telegram заново':
    'The sign-in form has expired — open the link from Telegram again',
}
