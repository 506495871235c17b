import { Cron } from 'croner'
import { cronProblem, nextScheduled } from '#src/backup/rules.ts'
import { DomainError } from '#src/errors.ts'
import { localDay } from '#src/format/zone-days.ts'
import { limits } from '#src/tickets/rules.ts'
import { requireText } from '#src/tickets/ticket-access.ts'

/**
 * The rules of «Плановые работы» that need no database: the schedule (a five-field cron expression read in the
 * hospital's time zone, and the presets the web offers instead of it), the placeholders of the ticket's text,
 * and the limits. Occurrences are computed by croner, which reads wall-clock times in a named zone, as it reads
 * BACKUP_SCHEDULE: the parse and its refusals are backup/rules.ts's.
 */

export const PLAN_TITLE_MAX = limits.title
export const PLAN_DESCRIPTION_MAX = limits.description
/** Plans file tickets for people to do: never more often than this. */
const PLAN_MIN_INTERVAL_MS = 60 * 60_000
/** Occurrences shown before a schedule is saved. */
export const PREVIEW_RUNS = 5
/** Missed occurrences counted past a downtime (only reported; they file one ticket). */
const MISSED_COUNT_CAP = 1000

export const planPlaceholders = ['дата', 'месяц', 'год'] as const
export type PlanPlaceholder = (typeof planPlaceholders)[number]

/** The presets of the web's schedule editor; `cron` is anything else (admins). */
export type SchedulePreset =
  | { kind: 'daily'; time: string }
  | { kind: 'weekly'; weekday: number; time: string }
  | { kind: 'monthly'; day: number; time: string }
  | { kind: 'cron'; cron: string }

/** Monthly presets stop at the 28th: every month has it. */
export const MONTH_DAY_MAX = 28

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/

/** `HH:MM` as [hour, minute]; undefined for anything else. */
function parseTime(text: string): [number, number] | undefined {
  const match = TIME.exec(text.trim())
  return match ? [Number(match[1]), Number(match[2])] : undefined
}

/** The cron expression of a preset; a Russian refusal for a wrong time, weekday or day. */
export function presetToCron(preset: SchedulePreset): string {
  if (preset.kind === 'cron') return preset.cron.trim().replace(/\s+/g, ' ')
  const time = parseTime(preset.time)
  if (!time) throw new DomainError('validation', 'Время — в виде ЧЧ:ММ, например 09:00')
  const [hour, minute] = time
  switch (preset.kind) {
    case 'daily':
      return `${minute} ${hour} * * *`
    case 'weekly':
      if (!Number.isInteger(preset.weekday) || preset.weekday < 1 || preset.weekday > 7) {
        throw new DomainError('validation', 'Выберите день недели')
      }
      return `${minute} ${hour} * * ${preset.weekday % 7}`
    case 'monthly':
      if (!Number.isInteger(preset.day) || preset.day < 1 || preset.day > MONTH_DAY_MAX) {
        throw new DomainError('validation', `День месяца — от 1 до ${MONTH_DAY_MAX}`)
      }
      return `${minute} ${hour} ${preset.day} * *`
  }
}

const NUMBER = /^\d{1,2}$/

/** The preset a cron expression is, if it is one; else `{ kind: 'cron' }` (only admins write those). */
export function presetOf(cron: string): SchedulePreset {
  const fields = cron.trim().split(/\s+/)
  const raw: SchedulePreset = { kind: 'cron', cron: cron.trim() }
  if (fields.length !== 5) return raw
  const [minute = '', hour = '', day = '', month = '', weekday = ''] = fields
  if (!NUMBER.test(minute) || !NUMBER.test(hour) || month !== '*') return raw
  const m = Number(minute)
  const h = Number(hour)
  if (m > 59 || h > 23) return raw
  const time = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`
  if (day === '*' && weekday === '*') return { kind: 'daily', time }
  if (day === '*' && NUMBER.test(weekday) && Number(weekday) <= 7) {
    return { kind: 'weekly', weekday: Number(weekday) === 0 ? 7 : Number(weekday), time }
  }
  if (weekday === '*' && NUMBER.test(day) && Number(day) >= 1 && Number(day) <= MONTH_DAY_MAX) {
    return { kind: 'monthly', day: Number(day), time }
  }
  return raw
}

/** The schedule as croner reads it (checked first: five fields, as BACKUP_SCHEDULE is read). */
function cronOf(schedule: string, timeZone: string): Cron {
  return new Cron(schedule, { timezone: timeZone, paused: true })
}

/**
 * The schedule as it is stored: five cron fields that parse, occur at all, and not more often than once an hour.
 * Refused in Russian otherwise.
 */
export function checkSchedule(schedule: string, timeZone: string, from: Date): string {
  const text = schedule.trim().replace(/\s+/g, ' ')
  if (text === '') throw new DomainError('validation', 'Укажите расписание')
  if (text.length > 100) throw new DomainError('validation', 'Выражение cron длиннее 100 символов')
  if (text.split(' ').length !== 5) {
    throw new DomainError('validation', 'Выражение cron — пять полей: минута, час, день месяца, месяц, день недели')
  }
  const problem = cronProblem(text, timeZone)
  if (problem !== undefined) throw new DomainError('validation', problem)
  const runs = nextRuns(text, timeZone, from)
  if (runs.length === 0) throw new DomainError('validation', `«${text}» не наступит ни разу`)
  for (let i = 1; i < runs.length; i++) {
    const gap = (runs[i]?.getTime() ?? 0) - (runs[i - 1]?.getTime() ?? 0)
    if (gap < PLAN_MIN_INTERVAL_MS) {
      throw new DomainError('validation', 'Плановые заявки создаются не чаще раза в час')
    }
  }
  return text
}

/** The next `count` occurrences strictly after `after`, as UTC instants. */
export function nextRuns(schedule: string, timeZone: string, after: Date, count = PREVIEW_RUNS): Date[] {
  return cronOf(schedule, timeZone).nextRuns(count, after)
}

/** The first occurrence strictly after `after` (ISO), or null when there is none. */
export function nextRunAfter(schedule: string, timeZone: string, after: string): string | null {
  return nextScheduled(schedule, timeZone, new Date(after))?.toISOString() ?? null
}

/** How many occurrences fell strictly after `dueAt` and at or before `until`: runs a downtime swallowed. */
export function occurrencesBetween(schedule: string, timeZone: string, dueAt: string, until: string): number {
  const cron = cronOf(schedule, timeZone)
  const end = Date.parse(until)
  let count = 0
  let at: Date | null = new Date(dueAt)
  while (count < MISSED_COUNT_CAP) {
    at = cron.nextRun(at)
    if (at === null || at.getTime() > end) break
    count++
  }
  return count
}

export function checkPlanTitle(title: string | undefined): string {
  const text = requireText(title, 'Название', PLAN_TITLE_MAX)
  checkPlaceholders(text)
  return text
}

export function checkPlanDescription(description: string | undefined): string {
  const text = requireText(description, 'Описание заявки', PLAN_DESCRIPTION_MAX)
  checkPlaceholders(text)
  return text
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g

function checkPlaceholders(text: string): void {
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? ''
    if (!(planPlaceholders as readonly string[]).includes(name)) {
      const known = planPlaceholders.map((p) => `{{${p}}}`).join(', ')
      throw new DomainError('validation', `Неизвестная подстановка {{${name}}}; есть ${known}`)
    }
  }
  if (text.replace(PLACEHOLDER, '').includes('{{')) {
    throw new DomainError('validation', 'Подстановка не закрыта: ожидается }}')
  }
}

const monthNames = [
  'январь',
  'февраль',
  'март',
  'апрель',
  'май',
  'июнь',
  'июль',
  'август',
  'сентябрь',
  'октябрь',
  'ноябрь',
  'декабрь',
]

/**
 * A plan's text for the run of `at`, in the hospital's days: {{дата}} `01.03.2026`, {{месяц}} `март 2026`,
 * {{год}} `2026`. The ticket is written in Russian, as its reader works in Russian.
 */
export function renderPlanText(text: string, at: string, timeZone: string): string {
  const [year = '', month = '', day = ''] = localDay(at, timeZone).split('-')
  const values: Record<PlanPlaceholder, string> = {
    дата: `${day}.${month}.${year}`,
    месяц: `${monthNames[Number(month) - 1] ?? month} ${year}`,
    год: year,
  }
  return text.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name as PlanPlaceholder] : whole,
  )
}
