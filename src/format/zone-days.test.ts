import { describe, expect, test } from 'vitest'
import { localDay } from './zone-days.ts'

describe('localDay', () => {
  test('gives Intl’s date for instants in any order, across clock changes and in zones off the hour', () => {
    const zones = [
      'Europe/Moscow',
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'Australia/Lord_Howe',
    ]
    // Every 17 minutes over the spring and autumn changes of 2026, then the same instants shuffled.
    const instants: number[] = []
    for (const start of [Date.UTC(2026, 2, 7), Date.UTC(2026, 9, 24)]) {
      for (let at = start; at < start + 10 * 86_400_000; at += 17 * 60_000) instants.push(at)
    }
    const shuffled = [...instants].sort((a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000))
    for (const tz of zones) {
      const intl = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
      for (const at of [...instants, ...shuffled]) {
        expect([tz, localDay(new Date(at).toISOString(), tz)]).toEqual([tz, intl.format(at)])
      }
    }
  })

  test('refuses what is not an instant, as before', () => {
    expect(() => localDay('not a date', 'Europe/Moscow')).toThrow(RangeError)
  })
})
