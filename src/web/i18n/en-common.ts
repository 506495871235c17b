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
}
