import { describe, expect, test } from 'vitest'
import { type TicketStatus, ticketStatuses } from '#src/db/schema.ts'
import { settingDefaults } from '#src/settings/settings.ts'
import {
  canTransition,
  computeDeadlines,
  priorityLabels,
  sourceOfChannel,
  statusChangeAction,
  statusLabels,
  titleFromDescription,
} from './rules.ts'

/** PRODUCT.md §3, written out pair by pair: every pair not listed is refused. */
const allowed: ReadonlyArray<readonly [TicketStatus, TicketStatus]> = [
  // Issue 14: withdrawn (or cancelled by IT) while awaiting approval; approval → new only by approveTicket.
  ['approval', 'cancelled'],
  ['new', 'in_progress'],
  ['new', 'cancelled'],
  ['in_progress', 'waiting'],
  ['in_progress', 'resolved'],
  ['in_progress', 'new'],
  ['waiting', 'in_progress'],
  ['resolved', 'closed'],
  ['resolved', 'in_progress'],
  ['closed', 'in_progress'],
]

const pairs = ticketStatuses.flatMap((from) => ticketStatuses.map((to) => [from, to] as const))

describe('ticket status rules', () => {
  test.each(pairs)('%s → %s follows the table', (from, to) => {
    const expected = allowed.some(([f, t]) => f === from && t === to)
    expect(canTransition(from, to)).toBe(expected)
  })

  test.each([
    ['new', 'cancelled', 'ticket.cancel'],
    ['resolved', 'closed', 'ticket.confirm'],
    ['resolved', 'in_progress', 'ticket.reopen'],
    ['closed', 'in_progress', 'ticket.reopen_closed'],
    ['in_progress', 'resolved', 'ticket.set_status'],
    ['in_progress', 'waiting', 'ticket.set_status'],
    ['waiting', 'in_progress', 'ticket.set_status'],
    ['new', 'in_progress', 'ticket.set_status'],
  ] as const)('%s → %s needs %s', (from, to, action) => {
    expect(statusChangeAction(from, to)).toBe(action)
  })

  test('every status and priority has its Russian label', () => {
    expect(Object.values(statusLabels)).toEqual([
      'На согласовании',
      'Новая',
      'В работе',
      'Ожидает ответа',
      'Решена',
      'Закрыта',
      'Отменена',
    ])
    expect(Object.values(priorityLabels)).toEqual(['Низкий', 'Обычный', 'Высокий', 'Критический'])
  })
})

describe('deadlines', () => {
  const created = '2026-11-26T10:00:00.000Z'
  const settings = settingDefaults['tickets.deadlines']
  const hours = settingDefaults['tickets.working_hours']

  test.each([
    // Thursday 13:00 in Moscow: low and normal count 08:00–17:00 of working days only.
    ['low', '2026-11-27T10:00:00.000Z', '2026-12-03T10:00:00.000Z'],
    ['normal', '2026-11-26T14:00:00.000Z', '2026-11-30T10:00:00.000Z'],
    ['high', '2026-11-26T11:00:00.000Z', '2026-11-26T18:00:00.000Z'],
    ['critical', '2026-11-26T10:15:00.000Z', '2026-11-26T14:00:00.000Z'],
  ] as const)('a %s ticket is due by the default terms', (priority, response, resolution) => {
    expect(computeDeadlines(created, priority, null, settings, hours)).toEqual({
      responseDueAt: response,
      resolutionDueAt: resolution,
    })
  })

  test("a category's override wins over the priority's terms, each on its own", () => {
    expect(
      computeDeadlines(created, 'normal', { response_minutes: 30, resolution_minutes: null }, settings, hours),
    ).toEqual({
      responseDueAt: '2026-11-26T10:30:00.000Z',
      resolutionDueAt: '2026-11-30T10:00:00.000Z',
    })
  })
})

describe('small rules', () => {
  test('a missing title comes from the first non-empty line of the description, cut to 80', () => {
    expect(titleFromDescription('\n  Не печатает принтер  \nв 305 кабинете')).toBe('Не печатает принтер')
    expect(titleFromDescription('я'.repeat(100))).toBe('я'.repeat(80))
  })

  test.each([
    ['bot', 'telegram'],
    ['web', 'web'],
    ['api', 'api'],
    ['cli', 'cli'],
    ['system', 'api'],
  ] as const)('a ticket filed through %s has source %s', (channel, source) => {
    expect(sourceOfChannel(channel)).toBe(source)
  })
})
