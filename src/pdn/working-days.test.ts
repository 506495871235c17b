import { describe, expect, test } from 'vitest'
import { dueOn } from './subject-request-rules.ts'
import { addWorkingDays, calendarToday, isWorkingDay, workingDaysBetween } from './working-days.ts'

describe('the production calendar', () => {
  test.each([
    ['2026-01-09', false, 'the 3 January holiday moved to Friday 9 January'],
    ['2026-01-12', true, 'the first working day of 2026'],
    ['2026-02-23', false, 'Defender of the Fatherland Day'],
    ['2026-03-09', false, '8 March on a Sunday moves to Monday'],
    ['2026-05-11', false, '9 May on a Saturday moves to Monday'],
    ['2026-11-04', false, 'Unity Day'],
    ['2026-12-30', true, 'an ordinary Wednesday'],
    ['2026-12-31', false, 'the 4 January holiday moved to 31 December'],
    ['2026-12-05', false, 'a Saturday'],
    ['2027-01-08', false, 'New Year holidays of 2027'],
    ['2027-01-11', true, 'the first working day of 2027'],
    ['2027-05-03', false, '1 May 2027 on a Saturday moves to Monday (ТК РФ ст. 112)'],
  ])('%s is a working day: %s (%s)', (day, working) => {
    expect(isWorkingDay(day)).toBe(working)
  })

  test('a request registered on 28.12.2026 is due after the New Year holidays: 10 working days → 20.01.2027', () => {
    expect(dueOn('2026-12-28', 'access')).toBe('2027-01-20')
    // Correction: 7 working days (ст. 21 ч. 2).
    expect(dueOn('2026-12-28', 'correction')).toBe('2027-01-15')
    // Extended by 5 working days.
    expect(addWorkingDays('2027-01-20', 5)).toBe('2027-01-27')
  })

  test('the May holidays of 2026 push a deadline by four days', () => {
    // 27.04 (Mon): 28, 29, 30 Apr, 4–8 May, 12, 13 May; 1 and 11 May are off.
    expect(dueOn('2026-04-27', 'access')).toBe('2026-05-13')
  })

  test('counting backwards and between days skips the days off', () => {
    expect(addWorkingDays('2027-01-12', -2)).toBe('2026-12-30')
    expect(workingDaysBetween('2026-12-29', '2027-01-12')).toBe(3)
    expect(workingDaysBetween('2027-01-20', '2027-01-20')).toBe(0)
    expect(workingDaysBetween('2027-01-20', '2027-01-18')).toBe(0)
  })

  test('today is the Moscow day', () => {
    expect(calendarToday(new Date('2026-12-31T21:30:00Z'))).toBe('2027-01-01')
  })
})
