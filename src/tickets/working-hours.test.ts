import { describe, expect, test } from 'vitest'
import { settingDefaults } from '#src/settings/settings.ts'
import {
  addDeadlineMinutes,
  addWorkingMinutes,
  isWorkingTime,
  minutesOfDay,
  type WorkingHours,
} from './working-hours.ts'

const hours: WorkingHours = settingDefaults['tickets.working_hours']
/** Moscow is UTC+3 all year: 08:00 МСК is 05:00Z, 17:00 МСК is 14:00Z. */
const msk = (local: string) => new Date(Date.parse(`${local}+03:00`)).toISOString()

describe('working time', () => {
  test.each([
    ['2026-11-27T08:00:00', true], // Friday, the day's first minute
    ['2026-11-27T16:59:00', true],
    ['2026-11-27T17:00:00', false], // the end is not in
    ['2026-11-27T07:59:00', false],
    ['2026-11-28T12:00:00', false], // Saturday
    ['2026-11-04T12:00:00', false], // День народного единства, a Wednesday
    ['2026-12-31T12:00:00', false], // moved from 3 January by the government's decree
  ])('%s in Moscow: %s', (local, expected) => {
    expect(isWorkingTime(msk(local), hours)).toBe(expected)
  })

  test('the zone is the setting’s unless another is given', () => {
    // 05:30Z is 08:30 in Moscow (working) and 07:30 in Kaliningrad (not yet).
    expect(isWorkingTime('2026-11-27T05:30:00.000Z', hours)).toBe(true)
    expect(isWorkingTime('2026-11-27T05:30:00.000Z', hours, 'Europe/Kaliningrad')).toBe(false)
  })
})

describe('minutes of working time', () => {
  test("a printer reported on Friday evening is due on Monday, counted from Monday's start", () => {
    expect(addWorkingMinutes(msk('2026-11-27T18:30:00'), 4 * 60, hours)).toBe(msk('2026-11-30T12:00:00'))
  })

  test('the minutes left on Friday count, the weekend does not', () => {
    expect(addWorkingMinutes(msk('2026-11-27T15:00:00'), 4 * 60, hours)).toBe(msk('2026-11-30T10:00:00'))
  })

  test('a holiday is skipped like a weekend', () => {
    // Tuesday 3 November 16:00 + 2 h: one hour on Tuesday, Wednesday 4 November is off, one on Thursday.
    expect(addWorkingMinutes(msk('2026-11-03T16:00:00'), 120, hours)).toBe(msk('2026-11-05T09:00:00'))
  })

  test('the new year: 31 December and the January holidays are skipped', () => {
    expect(addWorkingMinutes(msk('2026-12-30T16:00:00'), 120, hours)).toBe(msk('2027-01-11T09:00:00'))
  })

  test('a deadline may fall on the working day’s last minute', () => {
    expect(addWorkingMinutes(msk('2026-11-26T13:00:00'), 240, hours)).toBe(msk('2026-11-26T17:00:00'))
  })

  test('a 24/7 priority counts every minute', () => {
    const filed = msk('2026-11-27T23:00:00')
    expect(addDeadlineMinutes(filed, 15, 'critical', hours)).toBe(msk('2026-11-27T23:15:00'))
    expect(addDeadlineMinutes(filed, 15, 'normal', hours)).toBe(msk('2026-11-30T08:15:00'))
  })

  test('other hours and zones', () => {
    const night: WorkingHours = { ...hours, start: '20:00', end: '23:00', timeZone: 'Asia/Novosibirsk' }
    // Friday 19:00 in Novosibirsk (UTC+7) + 90 minutes: 20:00–21:30 that evening.
    expect(addWorkingMinutes('2026-11-27T12:00:00.000Z', 90, night)).toBe('2026-11-27T14:30:00.000Z')
  })

  test('times of day are read strictly', () => {
    expect(minutesOfDay('08:30')).toBe(510)
    expect(minutesOfDay('24:00')).toBeUndefined()
    expect(minutesOfDay('8:30')).toBeUndefined()
  })
})
