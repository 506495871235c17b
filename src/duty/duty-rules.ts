import { type DutyShiftKind, dutyShiftKinds } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { dayStartUtc, parseDay, parseMoment, zoneOffsetMs } from '#src/format/zone-days.ts'

/**
 * The rules of a duty shift («Дежурства»): a span of at most two days, a kind, an optional note. Times are typed
 * on the hospital's wall clock (TZ_DISPLAY) and kept as UTC instants like every other time here.
 */

export const DUTY_NOTE_MAX = 500
/** A weekend's 24-hour duty fits, with room to spare; anything longer is a typo. */
export const DUTY_SHIFT_MAX_HOURS = 48
/** The roster's range a request may ask for at once (the API's `from`/`to`). */
export const DUTY_RANGE_MAX_DAYS = 62

export const dutyKindLabels: Record<DutyShiftKind, string> = {
  day: 'Дневная',
  night: 'Ночная',
  other: 'Другая',
}

export function checkShiftKind(kind: string): DutyShiftKind {
  const found = dutyShiftKinds.find((k) => k === kind)
  if (!found) throw new DomainError('validation', 'Вид смены: дневная, ночная или другая', { field: 'kind' })
  return found
}

export function checkShiftNote(note: string | null | undefined): string | null {
  const text = (note ?? '').trim()
  if (text === '') return null
  if ([...text].length > DUTY_NOTE_MAX) {
    throw new DomainError('validation', `Примечание — не длиннее ${DUTY_NOTE_MAX} символов`, { field: 'note' })
  }
  return text
}

/** The shift's start and end as UTC instants: the end after the start, the whole no longer than two days. */
export function checkShiftSpan(startsAt: string, endsAt: string): { startsAt: string; endsAt: string } {
  const start = parseMoment(startsAt)
  const end = parseMoment(endsAt)
  if (start === null) throw new DomainError('validation', 'Укажите начало смены', { field: 'starts_at' })
  if (end === null) throw new DomainError('validation', 'Укажите конец смены', { field: 'ends_at' })
  if (end <= start) throw new DomainError('validation', 'Конец смены — позже начала', { field: 'ends_at' })
  if (Date.parse(end) - Date.parse(start) > DUTY_SHIFT_MAX_HOURS * 3_600_000) {
    throw new DomainError('validation', `Смена — не длиннее ${DUTY_SHIFT_MAX_HOURS} часов`, { field: 'ends_at' })
  }
  return { startsAt: start, endsAt: end }
}

/**
 * A day and a time typed on the wall clock of `timeZone` (`2026-03-02`, `20:00`) as the UTC instant; undefined
 * for anything else. `24:00` is the next day's midnight (a day shift «08:00–24:00»).
 */
export function wallTimeToUtc(day: string, time: string, timeZone: string): string | undefined {
  if (!parseDay(day)) return undefined
  const match = /^(\d{1,2}):(\d{2})$/.exec(time.trim())
  if (!match) return undefined
  const [hours, minutes] = [Number(match[1]), Number(match[2])]
  if (hours > 24 || minutes > 59 || (hours === 24 && minutes > 0)) return undefined
  const midnight = Date.parse(dayStartUtc(day, timeZone))
  const guess = midnight + (hours * 60 + minutes) * 60_000
  // The zone's offset may differ from midnight's by then (a DST change in the night): one correction.
  const shift = zoneOffsetMs(midnight, timeZone) - zoneOffsetMs(guess, timeZone)
  return new Date(guess + shift).toISOString()
}

/** An end typed no later than its start is the next morning's: «20:00–08:00» is a night shift. */
export function shiftEnd(day: string, from: string, to: string, timeZone: string): string | undefined {
  const start = wallTimeToUtc(day, from, timeZone)
  const end = wallTimeToUtc(day, to, timeZone)
  if (start === undefined || end === undefined) return undefined
  return end > start ? end : new Date(Date.parse(end) + 86_400_000).toISOString()
}

/** The Monday of the week the day is in (`YYYY-MM-DD`). */
export function mondayOf(day: string): string {
  const date = new Date(`${day}T00:00:00.000Z`)
  const back = (date.getUTCDay() + 6) % 7
  return new Date(date.getTime() - back * 86_400_000).toISOString().slice(0, 10)
}
