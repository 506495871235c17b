/**
 * English for the one-time «установить пароль» link (src/web/password-set.routes.tsx). The refusals come
 * from the use case in Russian; before sign-in the page has no person, hence no language but Russian.
 */
export const enPasswordSet: Readonly<Record<string, string>> = {
  'Установка пароля': 'Setting a password',
  '{name}, задайте пароль для входа с логином {login}.': '{name}, set the password to sign in as {login}.',
  'Новый пароль ещё раз': 'New password again',
  'Текст согласия на обработку персональных данных (версия {version})':
    'The text of the consent to the processing of personal data (version {version})',
  'Я даю согласие на обработку моих персональных данных на условиях, изложенных выше':
    'I consent to the processing of my personal data on the terms above',
  'Сохранить пароль и войти': 'Save the password and sign in',
  'Ссылка одноразовая и действует {hours} часа с момента выдачи.':
    'The link works once and for {hours} hours after it was issued.',
  'Форма устарела — откройте ссылку для установки пароля заново':
    'The form has expired — open the set-password link again',
}

/** English for «Новый пользователь» and «Сбросить пароль» (src/web/user-new.routes.tsx, users.routes.tsx). */
export const enUserNew: Readonly<Record<string, string>> = {
  'Новый пользователь': 'New user',
  'Данные пользователя': 'User details',
  'Создать и получить ссылку': 'Create and get the link',
  'Пароль не задаётся: после создания появится одноразовая ссылка для его установки (действует 24 часа).':
    'No password is typed: after creation a one-time link to set it appears (valid for 24 hours).',
  ФИО: 'Full name',
  'Чат Telegram (необязательно)': 'Telegram chat (optional)',
  'Пользователь создан': 'User created',
  'Пароль сброшен': 'Password reset',
  'Передайте эту ссылку пользователю {name} (логин {login}): по ней он установит пароль и войдёт.':
    'Hand this link to {name} (login {login}): with it they set a password and sign in.',
  'Ссылка одноразовая и действует 24 часа; она показывается только сейчас.':
    'The link works once and for 24 hours; it is shown only now.',
  'Она также отправлена пользователю в Telegram.': 'It was also sent to the user in Telegram.',
  'К странице пользователя': "To the user's page",
  'Сброс пароля завершает сеансы человека и выдаёт одноразовую ссылку для установки нового пароля.':
    "A password reset ends the person's sessions and issues a one-time link to set a new password.",
  'Сбросить пароль': 'Reset password',
}

/** English for «Профиль → API-токены» (src/web/api-tokens.routes.tsx). */
export const enApiTokens: Readonly<Record<string, string>> = {
  'API-токены': 'API tokens',
  'Токены для программ, которые работают с заявками от вашего имени через API.':
    'Tokens for programs that work with tickets on your behalf through the API.',
  'Мои API-токены': 'My API tokens',
  'Токенов нет': 'No tokens',
  Выпущен: 'Issued',
  'Последнее использование': 'Last used',
  Состояние: 'State',
  'не использовался': 'never used',
  Отозвать: 'Revoke',
  отозван: 'revoked',
  'Новый токен — скопируйте его сейчас: он больше не будет показан.':
    'The new token — copy it now: it will not be shown again.',
  'Токен отозван': 'Token revoked',
  'Новый токен': 'New token',
  'Выпустить токен': 'Issue a token',
  'Токен даёт программе те же права, что и вам. Храните его как пароль.':
    'A token gives a program the same rights as you. Keep it like a password.',
  'Для чего токен': 'What the token is for',
}
