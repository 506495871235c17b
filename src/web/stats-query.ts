import { DomainError } from '#src/errors.ts'
import { parseId } from '#src/format/ids.ts'
import { addDays, FIRST_YEAR, LAST_YEAR, validDay } from '#src/format/zone-days.ts'
import { addMonths, type Granularity, granularities, monthStart, quarterStart, weekStart } from '#src/stats/period.ts'
import { MAX_PERIOD_DAYS } from '#src/stats/ticket-stats.ts'
import { t } from './i18n.ts'

export const presets = ['week', 'month', 'quarter', 'custom'] as const
export type Preset = (typeof presets)[number]

/** The report's choices as they live in the URL (a link shares a report). Days are local (Moscow). */
export interface StatsQuery {
  preset: Preset
  /** First day, `YYYY-MM-DD`. */
  from: string
  /** Last day, included. */
  to: string
  by: Granularity
  department?: number
  category?: number
  group?: number
}

/**
 * Parsed leniently, as the ticket list's filters: a value that makes no sense is dropped. A custom period
 * given backwards is turned round; one longer than the report allows is cut to its last MAX_PERIOD_DAYS.
 * But a date typed for a custom period that is not a real day of FIRST_YEAR…LAST_YEAR is refused
 * (`validation`): quietly reporting another period than the one asked for would mislead.
 */
export function parseStatsQuery(params: URLSearchParams, today: string): StatsQuery {
  const preset = presets.find((p) => p === params.get('period')) ?? 'month'
  let from: string
  let to: string
  if (preset === 'week') {
    from = weekStart(today)
    to = addDays(from, 6)
  } else if (preset === 'quarter') {
    from = quarterStart(today)
    to = addDays(addMonths(from, 3), -1)
  } else {
    from = monthStart(today)
    to = addDays(addMonths(from, 1), -1)
  }
  if (preset === 'custom') {
    const given = [customDay(params.get('from')), customDay(params.get('to'))]
    from = given[0] ?? given[1] ?? from
    to = given[1] ?? given[0] ?? to
    if (from > to) [from, to] = [to, from]
    if (Date.parse(to) - Date.parse(from) >= MAX_PERIOD_DAYS * 86_400_000) from = addDays(to, -(MAX_PERIOD_DAYS - 1))
  }
  const by = granularities.find((g) => g === params.get('by')) ?? defaultGranularity(from, to)
  const query: StatsQuery = { preset, from, to, by }
  const department = parseId(params.get('department'))
  const category = parseId(params.get('category'))
  const group = parseId(params.get('group'))
  if (department !== undefined) query.department = department
  if (category !== undefined) query.category = category
  if (group !== undefined) query.group = group
  return query
}

function customDay(value: string | null): string | undefined {
  if (value === null || value === '') return undefined
  if (validDay(value)) return value
  throw new DomainError(
    'validation',
    t('Дата периода — настоящая дата ГГГГ-ММ-ДД с {first} по {last} год', { first: FIRST_YEAR, last: LAST_YEAR }),
  )
}

function defaultGranularity(from: string, to: string): Granularity {
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1
  return days <= 62 ? 'day' : days <= 200 ? 'week' : 'month'
}

/** The query back as a URL of the page or of an export. */
export function statsHref(query: StatsQuery, path = '/stats'): string {
  const params = new URLSearchParams({ period: query.preset })
  if (query.preset === 'custom') {
    params.set('from', query.from)
    params.set('to', query.to)
  }
  params.set('by', query.by)
  for (const key of ['department', 'category', 'group'] as const) {
    const value = query[key]
    if (value !== undefined) params.set(key, String(value))
  }
  return `${path}?${params.toString()}`
}

/** A calendar period with the same filters; its trend step is the period's default. */
export function presetHref(query: StatsQuery, preset: Exclude<Preset, 'custom'>): string {
  const params = new URLSearchParams({ period: preset })
  for (const key of ['department', 'category', 'group'] as const) {
    const value = query[key]
    if (value !== undefined) params.set(key, String(value))
  }
  return `/stats?${params.toString()}`
}
