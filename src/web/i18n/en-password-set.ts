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
