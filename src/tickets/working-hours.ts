import type { Priority } from '#src/db/schema.ts'
import { zoneOffsetMs } from '#src/format/zone-days.ts'
import { isWorkingDay } from '#src/pdn/working-days.ts'

/**
 * The hospital's working hours (setting `tickets.working_hours`) and the clock each priority's deadlines run
 * on: `always` (24/7: a critical МИС outage at 3 a.m.) or `working` (a printer: only the minutes between
 * `start` and `end` of the production calendar's working days count, so a ticket filed on Friday evening
 * is not overdue on Monday morning). Times are the wall clock of `timeZone`.
 */
export interface WorkingHours {
  /** `HH:MM`, the working day's start. */
  start: string
  /** `HH:MM`, its end (later than the start). */
  end: string
  timeZone: string
  clock: Record<Priority, DeadlineClock>
}

export type DeadlineClock = 'always' | 'working'

const DAY_MS = 86_400_000
const MINUTE_MS = 60_000
/** Ten years of days: past the calendar's files every Monday–Friday works, so this is never reached. */
const MAX_DAYS = 3_660

/** `HH:MM` as minutes after midnight; undefined unless it is a real time of day. */
export function minutesOfDay(text: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text)
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined
}

const windows = new Map<string, [number, number]>()

/** The working day's start and end as milliseconds after midnight. */
function windowOf(hours: WorkingHours): [number, number] {
  const key = `${hours.start}-${hours.end}`
  let window = windows.get(key)
  if (!window) {
    const start = minutesOfDay(hours.start)
    const end = minutesOfDay(hours.end)
    if (start === undefined || end === undefined || end <= start) throw new Error('working hours out of shape')
    window = [start * MINUTE_MS, end * MINUTE_MS]
    if (windows.size >= 100) windows.clear()
    windows.set(key, window)
  }
  return window
}

/**
 * Zone offsets by quarter hour (every zone's offset changes on one): a million demo tickets' deadlines cost a
 * map lookup each, not Intl's formatting.
 */
const offsets = new Map<string, Map<number, number>>()
const QUARTER_MS = 900_000

function offsetAt(instant: number, timeZone: string): number {
  let zone = offsets.get(timeZone)
  if (!zone) {
    zone = new Map()
    offsets.set(timeZone, zone)
  }
  const quarter = Math.floor(instant / QUARTER_MS)
  let offset = zone.get(quarter)
  if (offset === undefined) {
    offset = zoneOffsetMs(quarter * QUARTER_MS, timeZone)
    if (zone.size >= 100_000) zone.clear()
    zone.set(quarter, offset)
  }
  return offset
}

/** An instant's reading on the zone's wall clock, as milliseconds of the same reading in UTC. */
function toWall(instant: number, timeZone: string): number {
  return instant + offsetAt(instant, timeZone)
}

/** The instant at which the zone's wall clock reads `wall` (one correction settles a DST change). */
function fromWall(wall: number, timeZone: string): number {
  const guess = wall - offsetAt(wall, timeZone)
  return wall - offsetAt(guess, timeZone)
}

/** Working days by their number since 1970-01-01, read once from the production calendar. */
const workingDays = new Map<number, boolean>()

function isWorkingDayNumber(day: number): boolean {
  let working = workingDays.get(day)
  if (working === undefined) {
    working = isWorkingDay(new Date(day * DAY_MS).toISOString().slice(0, 10))
    workingDays.set(day, working)
  }
  return working
}

/** Is this instant inside the working hours of a working day? (Nights, weekends and holidays are not.) */
export function isWorkingTime(instant: string, hours: WorkingHours, timeZone: string = hours.timeZone): boolean {
  const [start, end] = windowOf(hours)
  const wall = toWall(Date.parse(instant), timeZone)
  const day = Math.floor(wall / DAY_MS)
  const sinceMidnight = wall - day * DAY_MS
  return isWorkingDayNumber(day) && sinceMidnight >= start && sinceMidnight < end
}

/**
 * The instant `minutes` of working time after `instant`: the minutes outside the working hours of working
 * days do not count. Filed at night, the count starts when the next working day does.
 */
export function addWorkingMinutes(instant: string, minutes: number, hours: WorkingHours): string {
  const [start, end] = windowOf(hours)
  let left = Math.max(0, minutes) * MINUTE_MS
  let cursor = toWall(Date.parse(instant), hours.timeZone)
  let day = Math.floor(cursor / DAY_MS)
  for (let i = 0; i < MAX_DAYS; i++, day++) {
    const midnight = day * DAY_MS
    if (isWorkingDayNumber(day)) {
      const from = Math.max(cursor, midnight + start)
      const until = midnight + end
      if (from < until) {
        if (left <= until - from) return new Date(fromWall(from + left, hours.timeZone)).toISOString()
        left -= until - from
      }
    }
    cursor = midnight + DAY_MS
  }
  throw new Error('no working time within ten years')
}

/** `minutes` after `instant` on the clock of the priority. */
export function addDeadlineMinutes(instant: string, minutes: number, priority: Priority, hours: WorkingHours): string {
  return hours.clock[priority] === 'working'
    ? addWorkingMinutes(instant, minutes, hours)
    : new Date(Date.parse(instant) + minutes * MINUTE_MS).toISOString()
}
