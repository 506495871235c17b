/**
 * Russian dates, times and plurals for the web pages (UI.md): `26.11.2026 14:03` in the display time
 * zone, «5 мин назад», «1 заявка, 2 заявки, 5 заявок».
 */

import type { Role } from '#src/db/schema.ts'
import { type PluralForms, plural } from '#src/format/plural.ts'
import { msg, t, tn } from './i18n.ts'

/** «5 заявок». */
export function count(n: number, forms: PluralForms): string {
  return `${n.toLocaleString('ru-RU')} ${plural(n, forms)}`
}

export const ticketForms: PluralForms = ['заявка', 'заявки', 'заявок']
const dayForms: PluralForms = ['день', 'дня', 'дней']
const englishDays = ['day', 'days'] as const

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(tz: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${tz}|${withTime}`
  let found = formatters.get(key)
  if (!found) {
    found = new Intl.DateTimeFormat('ru-RU', {
      timeZone: tz,
      day: '2-digit',
      month: '2-digit',
      year: 'numeric',
      ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}),
    })
    formatters.set(key, found)
  }
  return found
}

/** `26.11.2026 14:03` in the given zone. */
export function dateTime(iso: string, tz: string): string {
  return formatter(tz, true).format(new Date(iso)).replace(',', '')
}

/** `26.11.2026` in the given zone. */
export function date(iso: string, tz: string): string {
  return formatter(tz, false).format(new Date(iso))
}

/** «только что», «5 мин назад», «3 ч назад», «2 дня назад», then the date (in the request's language). */
export function relative(iso: string, nowIso: string, tz: string): string {
  const minutes = Math.floor((Date.parse(nowIso) - Date.parse(iso)) / 60_000)
  if (minutes < 1) return t('только что')
  if (minutes < 60) return t('{n} мин назад', { n: minutes })
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return t('{n} ч назад', { n: hours })
  const days = Math.floor(hours / 24)
  if (days < 7) return t('{days} назад', { days: tn(days, dayForms, englishDays) })
  return date(iso, tz)
}

/** A span of time: «45 мин», «2 ч», «2 ч 30 мин» (whole hours only when `coarse`), «3 дня». */
export function span(ms: number, coarse = false): string {
  const minutes = Math.max(1, Math.round(Math.abs(ms) / 60_000))
  if (minutes < 60) return t('{n} мин', { n: minutes })
  const hours = Math.floor(minutes / 60)
  if (hours < 24) {
    const rest = minutes % 60
    return rest === 0 || hours >= 10 || coarse ? t('{n} ч', { n: hours }) : t('{h} ч {m} мин', { h: hours, m: rest })
  }
  return tn(Math.floor(hours / 24), dayForms, englishDays)
}

/** «просрочена на 2 ч» or «осталось 3 ч» for a deadline. */
export function deadlineLeft(dueIso: string, nowIso: string, coarse = false): { overdue: boolean; text: string } {
  const ms = Date.parse(dueIso) - Date.parse(nowIso)
  return ms < 0
    ? { overdue: true, text: t('просрочена на {span}', { span: span(ms, coarse) }) }
    : { overdue: false, text: t('осталось {span}', { span: span(ms, coarse) }) }
}

const roleLabels: Record<Role, string> = {
  requester: msg('Заявитель'),
  executor: msg('Исполнитель'),
  curator: msg('Куратор'),
  admin: msg('Администратор'),
}

/** A role as every page names it (the requester is «Заявитель» everywhere, as on the ticket page). */
export function roleLabel(role: Role): string {
  return t(roleLabels[role])
}
