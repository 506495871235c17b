/** English for the shared formatting of the web (format.ts): relative times, spans, deadlines. */
export const enCommon: Readonly<Record<string, string>> = {
  'только что': 'just now',
  '{n} мин назад': '{n} min ago',
  '{n} ч назад': '{n} h ago',
  '{days} назад': '{days} ago',
  '{n} мин': '{n} min',
  '{n} ч': '{n} h',
  '{h} ч {m} мин': '{h} h {m} min',
  'просрочена на {span}': 'overdue by {span}',
  'осталось {span}': '{span} left',
  // TOTP second factor (src/web/views/login-code.tsx)
  'Код из приложения': 'Code from the app',
  'Двухфакторная защита': 'Two-factor protection',
  'Ввести резервный код': 'Enter a recovery code',
  'Ввести код из приложения': 'Enter the code from the app',
  'Резервный код': 'Recovery code',
  'Время на ввод кода истекло — войдите заново': 'The time to enter the code has run out — sign in again',
  // «Профиль → Двухфакторная защита» (src/web/views/totp.tsx)
  'Двухфакторная защита отключена': 'Two-factor protection is off',
  'Подключение приложения': 'Connecting the app',
  Подтвердить: 'Confirm',
  'Отсканируйте QR-код приложением-аутентификатором (Яндекс Ключ, Google Authenticator, FreeOTP, Aegis) или введите ключ вручную, затем введите код из приложения.':
    'Scan the QR code with an authenticator app (Yandex Key, Google Authenticator, FreeOTP, Aegis) or type the key by hand, then enter the code from the app.',
  Ключ: 'Key',
  'Двухфакторная защита включена': 'Two-factor protection is on',
  Отключить: 'Turn off',
  'Для Вашей роли двухфакторная защита обязательна.': 'Two-factor protection is required for your role.',
  'Код из приложения или резервный код': 'Code from the app or a recovery code',
  'Двухфакторная защита не включена': 'Two-factor protection is not on',
  Подключить: 'Turn on',
  'При входе, кроме пароля, потребуется код из приложения на телефоне.':
    'Signing in will ask, besides the password, for a code from the app on your phone.',
  'Резервные коды': 'Recovery codes',
  'Двухфакторная защита включена. Сохраните резервные коды: каждый можно использовать один раз, если телефона нет под рукой. Больше они не будут показаны.':
    'Two-factor protection is on. Keep the recovery codes: each can be used once when your phone is not at hand. They will not be shown again.',
  Скачать: 'Download',
  включена: 'on',
  'не включена': 'off',
  'Двухфакторная защита сброшена, сеансы завершены: при входе человек подключит приложение заново':
    'Two-factor protection reset, sessions ended: the person connects the app again at the next sign-in',
  'Если телефон и резервные коды потеряны: сброс 2FA завершает сеансы человека, при входе он подключит приложение заново.':
    "If the phone and the recovery codes are lost: a 2FA reset ends the person's sessions; they connect the app again at the next sign-in.",
  'Сбросить 2FA': 'Reset 2FA',
  'Для Вашей роли обязательна двухфакторная защита: подключите приложение-аутентификатор в профиле':
    'Two-factor protection is required for your role: connect an authenticator app in your profile',
}
