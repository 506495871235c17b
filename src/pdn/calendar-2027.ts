import type { YearCalendar } from './working-days.ts'

/**
 * 2027: the Government's decree on transfers was not at hand when this was written, so these are the
 * holidays of ТК РФ ст. 112 with its own rule (a holiday on a weekend moves to the next working day, except the
 * New Year holidays 1–8 January, which only a decree transfers): 1 May (Saturday) → Monday 3 May, 9 May
 * (Sunday) → Monday 10 May, 12 June (Saturday) → Monday 14 June. Replace with the decree's days once published
 * (a draft spoke of 5 November off and Saturday 13 November working); the lists are data, nothing else changes.
 */
export const calendar2027: YearCalendar = {
  year: 2027,
  daysOff: [
    '2027-01-01',
    '2027-01-04',
    '2027-01-05',
    '2027-01-06',
    '2027-01-07',
    '2027-01-08',
    '2027-02-23',
    '2027-03-08',
    '2027-05-03',
    '2027-05-10',
    '2027-06-14',
    '2027-11-04',
  ],
  workingWeekends: [],
}
