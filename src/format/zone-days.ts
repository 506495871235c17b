/**
 * Dates typed by people and programs (the web's filters and reports, the API's queries, `--date_from
 * 2023-01-01` at the console) are days in the hospital's time zone (TZ_DISPLAY, Moscow by default); the
 * database stores UTC instants. Every edge parses them here, once: a date outside the years the helpdesk
 * can mean is refused before any arithmetic on it (`9999-12-31` plus a day is `+010000-01-01`, which sorts
 * before it as text; a year below 1000 is not four digits once formatted).
 */
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/

/** The years a typed date may name: the hospital's records start after 2000; a later year than 2100 is a typo. */
export const FIRST_YEAR = 2000
export const LAST_YEAR = 2100

/** `YYYY-MM-DD` as [year, month, day], or null when it is not a real calendar date of FIRST_YEAR…LAST_YEAR. */
export function parseDay(text: string): [number, number, number] | null {
  const match = DAY.exec(text)
  if (!match) return null
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  if (year < FIRST_YEAR || year > LAST_YEAR) return null
  const probe = new Date(Date.UTC(year, month - 1, day))
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return null
  return [year, month, day]
}

/** The text itself when it is a date that parseDay accepts: for filters that drop what makes no sense. */
export function validDay(text: string | null | undefined): string | undefined {
  return text != null && parseDay(text) ? text : undefined
}

const MOMENT = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/

/**
 * An ISO-8601 moment with its zone (`2026-11-26T09:30:00+03:00`, `…Z`) as UTC ISO text, or null: its date
 * a real one of FIRST_YEAR…LAST_YEAR, hours, minutes, seconds and the offset in their ranges.
 */
export function parseMoment(text: string): string | null {
  const match = MOMENT.exec(text)
  if (!match) return null
  const day = parseDay(match[1] ?? '')
  const [hour, minute, second] = [Number(match[2]), Number(match[3]), Number(match[4] ?? 0)]
  const [offsetHours, offsetMinutes] = [Number(match[8] ?? 0), Number(match[9] ?? 0)]
  if (!day || hour > 23 || minute > 59 || second > 59 || offsetHours > 18 || offsetMinutes > 59) return null
  const millis = Number((match[5] ?? '').padEnd(3, '0').slice(0, 3))
  const offset = (match[7] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000
  return new Date(Date.UTC(day[0], day[1] - 1, day[2], hour, minute, second, millis) - offset).toISOString()
}

/** The zone's clock at an instant, read part by part (`year`, `month`, … `second`, two digits but the year). */
function clockParts(instant: number, timeZone: string): (type: Intl.DateTimeFormatPartTypes) => string {
  const parts = zoneClock(timeZone).formatToParts(new Date(instant))
  return (type) => parts.find((p) => p.type === type)?.value ?? ''
}

/** Building a formatter costs ~50 times formatting with one: 100 000 journal rows in an export took seconds. */
const zoneClocks = new Map<string, Intl.DateTimeFormat>()

function zoneClock(timeZone: string): Intl.DateTimeFormat {
  let clock = zoneClocks.get(timeZone)
  if (!clock) {
    clock = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    zoneClocks.set(timeZone, clock)
  }
  return clock
}

/** The zone's wall-clock time at an instant (to the second), as milliseconds of the same reading in UTC. */
export function wallClockMs(instant: number, timeZone: string): number {
  const part = clockParts(instant, timeZone)
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(part(type))
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
}

/** How far the zone is ahead of UTC at an instant, in milliseconds (Moscow: +3 h). */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  return wallClockMs(instant, timeZone) - Math.floor(instant / 1000) * 1000
}

/** Minutes the zone is ahead of UTC at this instant. */
function offsetMinutes(instant: number, timeZone: string): number {
  return Math.round(zoneOffsetMs(instant, timeZone) / 60_000)
}

/** The UTC instant at which this calendar day begins in the zone. */
export function dayStartUtc([year, month, day]: [number, number, number], timeZone: string): string {
  const guess = Date.UTC(year, month - 1, day)
  let instant = guess - offsetMinutes(guess, timeZone) * 60_000
  // Around a DST change the offset at the guess and at the result differ: one correction settles it.
  instant = guess - offsetMinutes(instant, timeZone) * 60_000
  return new Date(instant).toISOString()
}

/** The UTC instant at which the day after this one begins (an exclusive upper bound). */
export function dayEndUtc([year, month, day]: [number, number, number], timeZone: string): string {
  const next = new Date(Date.UTC(year, month - 1, day + 1))
  return dayStartUtc([next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()], timeZone)
}

/** `26.11.2026 14:03:05` in the zone. */
export function formatDateTime(iso: string, timeZone: string): string {
  const get = clockParts(Date.parse(iso), timeZone)
  return `${get('day')}.${get('month')}.${get('year')} ${get('hour')}:${get('minute')}:${get('second')}`
}
