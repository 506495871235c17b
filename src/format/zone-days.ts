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

/**
 * The UTC instant at which a local day (`YYYY-MM-DD`, checked by parseDay) begins in the zone: `2026-03-02`
 * in Moscow → `2026-03-01T21:00:00.000Z`. Every date a person types (a filter, a report, a console flag)
 * becomes its bounds here, never a UTC day.
 */
export function dayStartUtc(day: string, timeZone: string): string {
  const guess = Date.parse(`${day}T00:00:00.000Z`)
  let at = guess - zoneOffsetMs(guess, timeZone)
  // Around a DST change the offset at the guess and at the result differ: one correction settles it.
  at = guess - zoneOffsetMs(at, timeZone)
  return new Date(at).toISOString()
}

/** The UTC instant at which the local day after this one begins (an exclusive upper bound). */
export function dayEndUtc(day: string, timeZone: string): string {
  return dayStartUtc(addDays(day, 1), timeZone)
}

/**
 * The inclusive lower bound of a filter typed as a day (`2026-11-06`: that day's start in the zone, not UTC's:
 * a ticket filed at 01:51 МСК on the 6th is the 6th's) or as a moment with its zone (`parseMoment`'s UTC text).
 */
export function fromBound(dayOrMoment: string, timeZone: string): string {
  return parseDay(dayOrMoment) ? dayStartUtc(dayOrMoment, timeZone) : dayOrMoment
}

/**
 * The exclusive upper bound of a filter typed as a day (the next day's start in the zone: the whole day is in)
 * or as a moment, which is itself in: a millisecond after it, the grain of every stored time.
 */
export function beforeBound(dayOrMoment: string, timeZone: string): string {
  return parseDay(dayOrMoment) ? dayEndUtc(dayOrMoment, timeZone) : new Date(Date.parse(dayOrMoment) + 1).toISOString()
}

/** A calendar day moved by whole days (`2026-02-28` + 1 → `2026-03-01`). */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + days * 86_400_000).toISOString().slice(0, 10)
}

const dayFormatters = new Map<string, Intl.DateTimeFormat>()
/**
 * Local dates by zone and quarter of an hour (UTC). Every zone's offset, and every clock change since 1972,
 * falls on a quarter hour, so no local midnight falls inside one: a report's many instants (a live ticket's
 * each, in any order) cost a map lookup, and only the first of a quarter Intl's formatting.
 */
const quarterDays = new Map<string, Map<number, string>>()
const QUARTER_MS = 900_000
const QUARTERS_KEPT = 100_000

/** The local date (`YYYY-MM-DD`) of an instant in a zone: the hospital's day of a ticket, a row, a bucket. */
export function localDay(iso: string | number, tz: string): string {
  const at = typeof iso === 'number' ? iso : Date.parse(iso)
  let days = quarterDays.get(tz)
  if (!days) {
    days = new Map()
    quarterDays.set(tz, days)
  }
  const quarter = Math.floor(at / QUARTER_MS)
  const known = days.get(quarter)
  if (known !== undefined) return known
  let formatter = dayFormatters.get(tz)
  if (!formatter) {
    // en-CA writes dates as YYYY-MM-DD.
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
    dayFormatters.set(tz, formatter)
  }
  // Not an instant (NaN): Intl refuses it with a RangeError, before anything is remembered.
  const day = formatter.format(new Date(at))
  if (days.size >= QUARTERS_KEPT) days.clear()
  days.set(quarter, day)
  return day
}

/** `26.11.2026 14:03:05` in the zone. */
export function formatDateTime(iso: string, timeZone: string): string {
  const get = clockParts(Date.parse(iso), timeZone)
  return `${get('day')}.${get('month')}.${get('year')} ${get('hour')}:${get('minute')}:${get('second')}`
}
