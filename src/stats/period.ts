/**
 * Report periods in the display time zone (Moscow unless set otherwise): a period is the half-open
 * interval [from, to) of UTC instants between two local midnights, and a trend cuts it into local days,
 * ISO weeks (Monday first) or months.
 */

import { addDays, dayEndUtc, dayStartUtc } from '#src/format/zone-days.ts'

export type Granularity = 'day' | 'week' | 'month'
export const granularities: readonly Granularity[] = ['day', 'week', 'month']

export interface Period {
  /** Inclusive, a UTC ISO instant. */
  from: string
  /** Exclusive, a UTC ISO instant. */
  to: string
}

export function addMonths(day: string, months: number): string {
  const [y, m] = day.split('-').map(Number) as [number, number]
  const index = y * 12 + (m - 1) + months
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-01`
}

/** The Monday of the ISO week a day belongs to. */
export function weekStart(day: string): string {
  const weekday = new Date(`${day}T00:00:00.000Z`).getUTCDay()
  return addDays(day, -((weekday + 6) % 7))
}

export function monthStart(day: string): string {
  return `${day.slice(0, 7)}-01`
}

export function quarterStart(day: string): string {
  const month = Number(day.slice(5, 7))
  return `${day.slice(0, 4)}-${String(month - ((month - 1) % 3)).padStart(2, '0')}-01`
}

/** The first local day of the bucket a local day falls in. */
export function bucketOf(day: string, granularity: Granularity): string {
  if (granularity === 'week') return weekStart(day)
  if (granularity === 'month') return monthStart(day)
  return day
}

/**
 * The most buckets a trend holds: a daily trend over the longest report, with room to spare. The callers
 * bound their periods first; this is the backstop that keeps a bad period from holding the event loop.
 */
export const MAX_BUCKETS = 800

const DAY_MS = 86_400_000

/**
 * Every bucket start from the bucket of `firstDay` up to the bucket of `lastDay`, in order. Counted on
 * numbers (days since 1970, months since year 0) before any is made, so that it cannot run away.
 */
export function bucketsBetween(firstDay: string, lastDay: string, granularity: Granularity): string[] {
  const first = Date.parse(`${bucketOf(firstDay, granularity)}T00:00:00.000Z`)
  const last = Date.parse(`${bucketOf(lastDay, granularity)}T00:00:00.000Z`)
  if (!Number.isFinite(first) || !Number.isFinite(last)) throw new RangeError(`not a day: ${firstDay}…${lastDay}`)
  if (granularity === 'month') {
    const month = (ms: number) => new Date(ms).getUTCFullYear() * 12 + new Date(ms).getUTCMonth()
    const [from, to] = [month(first), month(last)]
    return Array.from(capped(to - from + 1), (_, i) => {
      const index = from + i
      return new Date(Date.UTC(Math.floor(index / 12), index % 12, 1)).toISOString().slice(0, 10)
    })
  }
  const step = granularity === 'week' ? 7 : 1
  const count = Math.floor((last - first) / DAY_MS / step) + 1
  return Array.from(capped(count), (_, i) => new Date(first + i * step * DAY_MS).toISOString().slice(0, 10))
}

/** A count of buckets as the length of a list to build: refused above MAX_BUCKETS, none when backwards. */
function capped(count: number): { length: number } {
  if (count > MAX_BUCKETS) throw new RangeError(`a trend of ${count} buckets (at most ${MAX_BUCKETS})`)
  return { length: Math.max(0, count) }
}

/** The period of whole local days from `firstDay` to `lastDay`, both included. */
export function daysPeriod(firstDay: string, lastDay: string, tz: string): Period {
  return { from: dayStartUtc(firstDay, tz), to: dayEndUtc(lastDay, tz) }
}
