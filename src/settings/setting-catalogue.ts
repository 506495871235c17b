import type { z } from 'zod'
import { type SettingKey, settingSchemas } from './settings.ts'

/**
 * What people see of the settings (the «Настройки» page, `helpdesk settings`): a Russian name per key,
 * which keys hold personal data (reading them is journaled), and the schema's refusals in Russian, each
 * with the path of the field it concerns.
 */

export const settingKeys = Object.keys(settingSchemas) as SettingKey[]

export const settingLabels: Record<SettingKey, string> = {
  'tickets.deadlines': 'Сроки реакции и решения по приоритетам, минут',
  'tickets.working_hours': 'Рабочие часы больницы и часы сроков по приоритетам',
  'tickets.auto_close_days': 'Автозакрытие решённой заявки без ответа, дней',
  'privacy.no_pdn_in_telegram': 'ПДн не передаются в мессенджер',
  'messenger.preferred': 'Мессенджер уведомлений: last_used (где человек писал последним), telegram, max',
  'audit.retention_days': 'Хранение журнала аудита, дней',
  'retention.closed_tickets_years': 'Хранение закрытых заявок с ПДн, лет',
  'retention.deactivated_users_years': 'Хранение данных отключённых пользователей, лет',
  'retention.rejected_registrations_days': 'Хранение отклонённых регистраций, дней',
  'retention.withdrawn_consent_days': 'Уничтожение после отзыва согласия, дней',
  'pdn.commission': 'Комиссия по уничтожению ПДн',
  'org.requisites': 'Реквизиты оператора ПДн',
  'escalation.rules': 'Эскалация по приоритетам: предупреждение, %; куратору и руководителю, минут после просрочки',
  'escalation.head_of_it': 'Руководитель ИТ для эскалации (номер пользователя; пусто — все администраторы)',
}

/** Keys whose values name people: reading them is a read of ПДн. */
export const personalSettingKeys: ReadonlySet<SettingKey> = new Set<SettingKey>(['pdn.commission', 'org.requisites'])

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(settingSchemas, key)
}

/** One refusal of a value: `path` is the field (`low.responseMinutes`, `1.name`; empty for the whole value). */
export interface SettingProblem {
  path: string
  message: string
}

/** Why the schema refuses this value, in Russian; empty when it is valid. */
export function settingProblems(key: SettingKey, value: unknown): SettingProblem[] {
  const parsed = settingSchemas[key].safeParse(value)
  if (parsed.success) return []
  return parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: russian(issue) }))
}

/** The fields whose format is a rule of their own. */
const formats: Record<string, string> = {
  inn: 'ИНН — 10 цифр (или оставьте поле пустым)',
  ogrn: 'ОГРН — 13 цифр (или оставьте поле пустым)',
  start: 'Время в виде ЧЧ:ММ, например 08:00',
  end: 'Время в виде ЧЧ:ММ, например 17:00',
}

function russian(issue: z.core.$ZodIssue): string {
  const field = String(issue.path[issue.path.length - 1] ?? '')
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int' || issue.expected === 'number') return 'Нужно целое число'
      if (issue.expected === 'boolean') return 'Нужно да или нет (true или false)'
      if (issue.expected === 'array') return 'Нужен список'
      if (issue.expected === 'object') return 'Нужен набор полей (объект JSON)'
      if (issue.expected === 'string') return 'Нужен текст'
      return 'Неверный тип значения'
    case 'too_small':
      if (issue.origin === 'string') return 'Заполните поле'
      if (issue.origin === 'array') return `Нужно не меньше ${String(issue.minimum)}`
      return issue.inclusive ? `Не меньше ${String(issue.minimum)}` : `Больше ${String(issue.minimum)}`
    case 'too_big':
      if (issue.origin === 'string') return `Не длиннее ${String(issue.maximum)} символов`
      if (issue.origin === 'array') return `Не больше ${String(issue.maximum)} записей`
      return issue.inclusive ? `Не больше ${String(issue.maximum)}` : `Меньше ${String(issue.maximum)}`
    case 'invalid_format':
      return formats[field] ?? 'Неверный формат'
    case 'custom':
      return issue.message
    default:
      return 'Недопустимое значение'
  }
}
