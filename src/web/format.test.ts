import { describe, expect, test } from 'vitest'
import { plural } from '#src/format/plural.ts'
import { count, dateTime, deadlineLeft, relative, span, ticketForms } from './format.ts'
import { inLanguage } from './i18n.ts'

describe('Russian formats', () => {
  test.each([
    [1, 'заявка'],
    [2, 'заявки'],
    [4, 'заявки'],
    [5, 'заявок'],
    [11, 'заявок'],
    [21, 'заявка'],
    [22, 'заявки'],
    [25, 'заявок'],
    [111, 'заявок'],
  ])('%i %s', (n, form) => {
    expect(plural(n, ticketForms)).toBe(form)
  })

  test('counts with a thin grouping and the right form', () => {
    expect(count(5, ticketForms)).toBe('5 заявок')
  })

  test('dates and times are Moscow time in Russian order', () => {
    expect(dateTime('2026-11-26T11:03:00.000Z', 'Europe/Moscow')).toBe('26.11.2026 14:03')
    expect(dateTime('2026-11-26T23:30:00.000Z', 'Europe/Moscow')).toBe('27.11.2026 02:30')
  })

  test('relative times', () => {
    const now = '2026-11-26T12:00:00.000Z'
    expect(relative('2026-11-26T11:59:40.000Z', now, 'Europe/Moscow')).toBe('только что')
    expect(relative('2026-11-26T11:55:00.000Z', now, 'Europe/Moscow')).toBe('5 мин назад')
    expect(relative('2026-11-26T09:00:00.000Z', now, 'Europe/Moscow')).toBe('3 ч назад')
    expect(relative('2026-11-24T12:00:00.000Z', now, 'Europe/Moscow')).toBe('2 дня назад')
    expect(relative('2026-11-21T12:00:00.000Z', now, 'Europe/Moscow')).toBe('5 дней назад')
    expect(relative('2026-11-01T12:00:00.000Z', now, 'Europe/Moscow')).toBe('01.11.2026')
  })

  test('deadlines: time left or how late', () => {
    const now = '2026-11-26T12:00:00.000Z'
    expect(deadlineLeft('2026-11-26T10:00:00.000Z', now)).toEqual({ overdue: true, text: 'просрочена на 2 ч' })
    expect(deadlineLeft('2026-11-26T14:30:00.000Z', now)).toEqual({ overdue: false, text: 'осталось 2 ч 30 мин' })
    expect(deadlineLeft('2026-11-26T14:30:00.000Z', now, true).text).toBe('осталось 2 ч')
    expect(span(3 * 86_400_000)).toBe('3 дня')
  })

  test('in an English request, times and deadlines read in English', () => {
    const now = '2026-11-26T12:00:00.000Z'
    const english = inLanguage('en', () => [
      relative('2026-11-26T11:55:00.000Z', now, 'Europe/Moscow'),
      relative('2026-11-24T12:00:00.000Z', now, 'Europe/Moscow'),
      deadlineLeft('2026-11-26T10:00:00.000Z', now).text,
      deadlineLeft('2026-11-26T14:30:00.000Z', now).text,
    ])
    expect(english).toEqual(['5 min ago', '2 days ago', 'overdue by 2 h', '2 h 30 min left'])
  })
})
