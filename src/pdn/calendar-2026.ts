import type { YearCalendar } from './working-days.ts'

/**
 * 2026: Постановление Правительства РФ от 24.09.2025 «О переносе выходных дней в 2026 году» and ТК РФ ст. 112.
 * Holidays falling on Saturday 3 and Sunday 4 January move to Friday 9 January and Thursday 31 December;
 * 8 March (Sunday) moves to Monday 9 March, 9 May (Saturday) to Monday 11 May. No working Saturdays.
 */
export const calendar2026: YearCalendar = {
  year: 2026,
  daysOff: [
    '2026-01-01',
    '2026-01-02',
    '2026-01-05',
    '2026-01-06',
    '2026-01-07',
    '2026-01-08',
    '2026-01-09',
    '2026-02-23',
    '2026-03-09',
    '2026-05-01',
    '2026-05-11',
    '2026-06-12',
    '2026-11-04',
    '2026-12-31',
  ],
  workingWeekends: [],
}
