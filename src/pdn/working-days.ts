import { addDays, localDay, parseDay } from '#src/format/zone-days.ts'
import { calendar2026 } from './calendar-2026.ts'
import { calendar2027 } from './calendar-2027.ts'

/**
 * Working days of the Russian production calendar, for the legal deadlines of a person's requests (152-ФЗ
 * ст. 14 ч. 3, ст. 20, ст. 21: «в течение десяти рабочих дней»). The calendar is data, one file a year:
 * weekdays that are off (holidays and the days they were moved to) and weekends that are working days. A year
 * without a file counts Monday to Friday, which can only make a deadline earlier than the law's, never later.
 */
export interface YearCalendar {
  year: number
  /** Monday–Friday days that are not working days. */
  daysOff: readonly string[]
  /** Saturdays and Sundays that are working days by a transfer. */
  workingWeekends: readonly string[]
}

const calendars: readonly YearCalendar[] = [calendar2026, calendar2027]
const daysOff = new Set(calendars.flatMap((c) => c.daysOff))
const workingWeekends = new Set(calendars.flatMap((c) => c.workingWeekends))

/** The days a request's deadline is counted on: the legal terms are dates in Moscow, where the operator is. */
export const CALENDAR_ZONE = 'Europe/Moscow'

function toDate(day: string): Date {
  const parts = parseDay(day)
  if (!parts) throw new Error(`not a day: ${day}`)
  return new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]))
}

function nextDay(day: string, step = 1): string {
  toDate(day)
  return addDays(day, step)
}

/** Is this `YYYY-MM-DD` a working day? */
export function isWorkingDay(day: string): boolean {
  const weekday = toDate(day).getUTCDay()
  if (weekday === 0 || weekday === 6) return workingWeekends.has(day)
  return !daysOff.has(day)
}

/**
 * The day `count` working days after `day` (the day itself not counted: a term «в течение N рабочих дней»
 * starts the next day). With a negative count, that many working days before it.
 */
export function addWorkingDays(day: string, count: number): string {
  const step = count < 0 ? -1 : 1
  let left = Math.abs(count)
  let current = day
  while (left > 0) {
    current = nextDay(current, step)
    if (isWorkingDay(current)) left--
  }
  return current
}

/**
 * Working days between two days: those after `from` up to and including `to` (0 when `to` is not later).
 * For a deadline: workingDaysBetween(today, due) are the days left; workingDaysBetween(due, today), how late.
 */
export function workingDaysBetween(from: string, to: string): number {
  let count = 0
  for (let current = nextDay(from); current <= to; current = nextDay(current)) if (isWorkingDay(current)) count++
  return count
}

/** Today's date in the calendar's zone. */
export function calendarToday(instant: Date): string {
  return localDay(instant.getTime(), CALENDAR_ZONE)
}
