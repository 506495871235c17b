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
}
