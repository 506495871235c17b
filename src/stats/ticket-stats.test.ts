import { describe, expect, test } from 'vitest'
import type { Db, TicketUpdate } from '#src/db/schema.ts'
import { addMinutes } from '#src/db/time.ts'
import { isDomainError } from '#src/errors.ts'
import { dayStartUtc, localDay } from '#src/format/zone-days.ts'
import { type Actor, actorFromUser } from '#src/users/actor.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildDepartment, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { mergeTicket } from '../tickets/merge-ticket.ts'
import { bucketsBetween, daysPeriod, MAX_BUCKETS, quarterStart, weekStart } from './period.ts'
import { durations, type StatsInput, ticketStats } from './ticket-stats.ts'

const TZ = 'Europe/Moscow'
/** March 2026 in Moscow: [2026-02-28T21:00Z, 2026-03-31T21:00Z). */
const MARCH = daysPeriod('2026-03-01', '2026-03-31', TZ)

/** The statistics of March in Moscow time, by the granularity and filters given. */
function marchStats(db: Db, actor: Actor, input: Omit<StatsInput, 'period' | 'tz'>) {
  return ticketStats(db, actor, { period: MARCH, tz: TZ, ...input })
}

/** A ticket with exactly these times (minutes after creation), straight in the table. */
async function ticketAt(
  db: Db,
  createdAt: string,
  fields: {
    categoryId: number
    requesterId: number
    assigneeId?: number | null
    status?: 'new' | 'in_progress' | 'resolved' | 'closed' | 'cancelled'
    response?: number
    resolved?: number
    responseDue?: number
    resolutionDue?: number
    responseBreached?: boolean
    resolutionBreached?: boolean
    rating?: number
  },
) {
  const ticket = await buildTicket(db, {
    categoryId: fields.categoryId,
    requesterId: fields.requesterId,
    createdAt,
    status: fields.status ?? 'new',
  })
  const after = (minutes: number | undefined) => (minutes === undefined ? null : addMinutes(createdAt, minutes))
  const change: TicketUpdate = {
    assignee_id: fields.assigneeId ?? null,
    first_response_at: after(fields.response),
    resolved_at: after(fields.resolved),
    response_due_at: after(fields.responseDue ?? 15),
    resolution_due_at: after(fields.resolutionDue ?? 240),
    response_breached_at: fields.responseBreached ? after(fields.responseDue ?? 15) : null,
    resolution_breached_at: fields.resolutionBreached ? after(fields.resolutionDue ?? 240) : null,
    rating: fields.rating ?? null,
  }
  await db.updateTable('tickets').set(change).where('id', '=', ticket.id).execute()
  return ticket
}

/**
 * Five tickets created in March (Moscow), one the day before, one the day after:
 * first responses 10, 30, 20 min; resolutions 60 and 300 min; ratings 5 and 3.
 */
async function march(db: Db) {
  setTestClock('2026-03-20T12:00:00.000Z')
  const x = await buildDepartment(db, 'Хирургия')
  const y = await buildDepartment(db, 'Кардиология')
  const inX = await buildUser(db, { departmentId: x.id })
  const inY = await buildUser(db, { departmentId: y.id })
  const printers = await buildCategory(db, { name: 'Принтеры' })
  const network = await buildCategory(db, { name: 'Сеть' })
  const mis = await buildCategory(db, { name: 'МИС' })
  const first = await buildUser(db, { role: 'executor', fullName: 'Первый Исполнитель' })
  const second = await buildUser(db, { role: 'executor', fullName: 'Второй Исполнитель' })
  const base = { categoryId: printers.id, requesterId: inX.id }
  // 00:00 on 1 March in Moscow: the first instant of the period.
  await ticketAt(db, '2026-02-28T21:00:00.000Z', { ...base, categoryId: mis.id, status: 'cancelled' })
  await ticketAt(db, '2026-03-02T08:00:00.000Z', {
    ...base,
    assigneeId: first.id,
    status: 'closed',
    response: 10,
    resolved: 60,
    resolutionDue: 120,
    rating: 5,
  })
  await ticketAt(db, '2026-03-03T08:00:00.000Z', {
    ...base,
    assigneeId: first.id,
    status: 'resolved',
    response: 30,
    responseBreached: true,
    resolved: 300,
    rating: 3,
  })
  await ticketAt(db, '2026-03-04T08:00:00.000Z', {
    categoryId: network.id,
    requesterId: inY.id,
    assigneeId: second.id,
    status: 'in_progress',
    response: 20,
    responseDue: 60,
    resolutionDue: 60 * 24 * 60,
  })
  await ticketAt(db, '2026-03-10T08:00:00.000Z', { ...base, categoryId: network.id })
  // Created in February, resolved in March: only the «resolved» trend counts it.
  await ticketAt(db, '2026-02-27T08:00:00.000Z', {
    ...base,
    assigneeId: second.id,
    status: 'resolved',
    response: 5,
    resolved: 60 * 24 * 4,
  })
  // 00:00 on 1 April in Moscow: outside.
  await ticketAt(db, '2026-03-31T21:00:00.000Z', { ...base, assigneeId: first.id })
  return { first, second, x, y, printers, network, mis }
}

describe('the ticket report', () => {
  test('counts, medians and 90th percentiles, deadlines, rating and a weekly trend of a month', async () => {
    const { db } = await testDatabase()
    const data = await march(db)
    const curator = actorFromUser(await buildUser(db, { role: 'curator' }), 'web')
    const stats = await ticketStats(db, curator, { period: MARCH, granularity: 'week', tz: TZ })

    expect(stats.total).toBe(5)
    expect(stats.ownOnly).toBe(false)
    expect(stats.byStatus).toEqual({
      approval: 0,
      new: 1,
      in_progress: 1,
      waiting: 0,
      resolved: 1,
      closed: 1,
      cancelled: 1,
    })
    expect(stats.byCategory).toEqual([
      { id: data.printers.id, name: 'Принтеры', count: 2 },
      { id: data.network.id, name: 'Сеть', count: 2 },
      { id: data.mis.id, name: 'МИС', count: 1 },
    ])
    expect(stats.byDepartment).toEqual([
      { id: data.x.id, name: 'Хирургия', count: 4 },
      { id: data.y.id, name: 'Кардиология', count: 1 },
    ])
    expect(stats.byExecutor).toEqual([
      { id: data.first.id, name: 'Первый Исполнитель', count: 2, resolved: 2, averageRating: 4 },
      { id: null, name: null, count: 2, resolved: 0, averageRating: null },
      { id: data.second.id, name: 'Второй Исполнитель', count: 1, resolved: 0, averageRating: null },
    ])
    // Responses 10, 20, 30: median 20, p90 = 20 + 0.8 × 10. Resolutions 60, 300: 180 and 60 + 0.9 × 240.
    expect(stats.firstResponse).toEqual({ count: 3, median: 20, p90: 28 })
    expect(stats.resolution).toEqual({ count: 2, median: 180, p90: 276 })
    // Response: met 10 ≤ 15 and 20 ≤ 60; missed the breached one and the unanswered one past its deadline.
    expect(stats.responseDeadline).toEqual({ met: 2, missed: 2, share: 0.5 })
    // Resolution: met 60 ≤ 120; missed 300 > 240 and the new one past its deadline; the rest still in time.
    expect(stats.resolutionDeadline).toEqual({ met: 1, missed: 2, share: 0.3333 })
    expect(stats.rating).toEqual({ average: 4, count: 2 })
    expect(stats.trend).toEqual([
      { start: '2026-02-23', created: 1, resolved: 0 },
      { start: '2026-03-02', created: 3, resolved: 3 },
      { start: '2026-03-09', created: 1, resolved: 0 },
      { start: '2026-03-16', created: 0, resolved: 0 },
      { start: '2026-03-23', created: 0, resolved: 0 },
      { start: '2026-03-30', created: 0, resolved: 0 },
    ])
  })

  test('an executor gets only the tickets assigned to them', async () => {
    const { db } = await testDatabase()
    const data = await march(db)
    const stats = await marchStats(db, actorFromUser(data.first, 'web'), { granularity: 'month' })
    expect(stats.ownOnly).toBe(true)
    expect(stats.total).toBe(2)
    expect(stats.byExecutor.map((e) => e.id)).toEqual([data.first.id])
    expect(stats.resolution).toEqual({ count: 2, median: 180, p90: 276 })
    expect(stats.trend).toEqual([{ start: '2026-03-01', created: 2, resolved: 2 }])
  })

  test('filters by department and category (a parent takes its subcategories); a daily trend has every day', async () => {
    const { db } = await testDatabase()
    const data = await march(db)
    const admin = actorFromUser(await buildUser(db, { role: 'admin' }), 'web')
    const cardiology = await marchStats(db, admin, { granularity: 'day', departmentId: data.y.id })
    expect(cardiology.total).toBe(1)
    expect(cardiology.byCategory).toEqual([{ id: data.network.id, name: 'Сеть', count: 1 }])
    expect(cardiology.trend).toHaveLength(31)
    expect(cardiology.trend.find((p) => p.created > 0)).toEqual({ start: '2026-03-04', created: 1, resolved: 0 })

    const wifi = await buildCategory(db, { name: 'Wi-Fi', parentId: data.network.id })
    await ticketAt(db, '2026-03-05T08:00:00.000Z', { categoryId: wifi.id, requesterId: data.first.id })
    const network = await marchStats(db, admin, { granularity: 'month', categoryId: data.network.id })
    expect(network.total).toBe(3)
  })

  test('a requester has no reports; a period must be forward and bounded', async () => {
    const { db } = await testDatabase()
    const requester = actorFromUser(await buildUser(db), 'web')
    const curator = actorFromUser(await buildUser(db, { role: 'curator' }), 'web')
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => 'allowed',
        (error: unknown) => (isDomainError(error) ? error.code : 'crash'),
      )
    expect(await refusal(ticketStats(db, requester, { period: MARCH, granularity: 'day', tz: TZ }))).toBe('not_found')
    const backwards = { from: MARCH.to, to: MARCH.from }
    expect(await refusal(ticketStats(db, curator, { period: backwards, granularity: 'day', tz: TZ }))).toBe(
      'validation',
    )
    const decade = daysPeriod('2016-01-01', '2026-01-01', TZ)
    expect(await refusal(ticketStats(db, curator, { period: decade, granularity: 'month', tz: TZ }))).toBe('validation')
    // Outside the years a date may name, and bounds that are not instants at all.
    for (const period of [
      daysPeriod('1999-12-01', '1999-12-31', TZ),
      { from: '2101-01-01T00:00:00.000Z', to: '2101-01-02T00:00:00.000Z' },
      { from: 'вчера', to: MARCH.to },
    ]) {
      expect(await refusal(ticketStats(db, curator, { period, granularity: 'day', tz: TZ })), period.from).toBe(
        'validation',
      )
    }
  })

  test('a duplicate merged into another ticket misses no deadline, as a cancelled one', async () => {
    const { db } = await testDatabase()
    const data = await march(db)
    const curator = actorFromUser(await buildUser(db, { role: 'curator' }), 'web')
    const before = await marchStats(db, curator, { granularity: 'month' })
    // Both past their deadlines of 15 and 240 minutes, neither answered: the duplicate is closed by the merge.
    const requester = await buildUser(db, { departmentId: data.x.id })
    const fields = { categoryId: data.printers.id, requesterId: requester.id, status: 'in_progress' as const }
    const survivor = await ticketAt(db, '2026-03-05T08:00:00.000Z', fields)
    const duplicate = await ticketAt(db, '2026-03-05T09:00:00.000Z', fields)
    await mergeTicket(db, actorFromUser(data.first, 'web'), { ticketId: duplicate.id, intoId: survivor.id })

    const stats = await marchStats(db, curator, { granularity: 'month' })
    expect(stats.total).toBe(before.total + 2)
    // Only the ticket that stays counts: its answer is still owed.
    expect(stats.responseDeadline).toMatchObject({
      met: before.responseDeadline.met,
      missed: before.responseDeadline.missed + 1,
    })
    expect(stats.resolutionDeadline).toMatchObject({
      met: before.resolutionDeadline.met,
      missed: before.resolutionDeadline.missed + 1,
    })
  })

  test('an empty period has zero counts, no medians and no shares', async () => {
    const { db } = await testDatabase()
    const curator = actorFromUser(await buildUser(db, { role: 'curator' }), 'web')
    const stats = await ticketStats(db, curator, { period: MARCH, granularity: 'month', tz: TZ })
    expect(stats.total).toBe(0)
    expect(stats.firstResponse).toEqual({ count: 0, median: null, p90: null })
    expect(stats.resolutionDeadline).toEqual({ met: 0, missed: 0, share: null })
    expect(stats.rating).toEqual({ average: null, count: 0 })
    expect(stats.trend).toEqual([{ start: '2026-03-01', created: 0, resolved: 0 }])
  })
})

describe('periods in Moscow time', () => {
  test('local midnights, days, weeks and quarters', () => {
    expect(dayStartUtc('2026-03-01', TZ)).toBe('2026-02-28T21:00:00.000Z')
    expect(localDay('2026-02-28T21:00:00.000Z', TZ)).toBe('2026-03-01')
    expect(localDay('2026-02-28T20:59:59.999Z', TZ)).toBe('2026-02-28')
    expect(weekStart('2026-03-01')).toBe('2026-02-23')
    expect(weekStart('2026-03-02')).toBe('2026-03-02')
    expect(quarterStart('2026-11-26')).toBe('2026-10-01')
    expect(bucketsBetween('2026-01-15', '2026-03-02', 'month')).toEqual(['2026-01-01', '2026-02-01', '2026-03-01'])
    expect(bucketsBetween('2025-12-31', '2026-01-12', 'week')).toEqual(['2025-12-29', '2026-01-05', '2026-01-12'])
    expect(bucketsBetween('2024-02-28', '2024-03-01', 'day')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01'])
    expect(bucketsBetween('2026-03-02', '2026-03-01', 'day')).toEqual([])
    expect(dayStartUtc('2026-07-01', 'Europe/Berlin')).toBe('2026-06-30T22:00:00.000Z')
  })

  test('a trend is counted before it is built: more than MAX_BUCKETS is refused, not looped over', () => {
    expect(bucketsBetween('2026-01-01', '2027-12-31', 'month')).toHaveLength(24)
    expect(bucketsBetween('2026-01-01', '2028-03-10', 'day')).toHaveLength(MAX_BUCKETS)
    expect(() => bucketsBetween('2026-01-01', '2028-03-11', 'day')).toThrow(RangeError)
    expect(() => bucketsBetween('2000-01-01', '2100-12-31', 'month')).toThrow(RangeError)
  })

  test('percentiles interpolate between ranks; one value is its own median', () => {
    expect(durations([5])).toEqual({ count: 1, median: 5, p90: 5 })
    expect(durations([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, null])).toEqual({ count: 10, median: 5.5, p90: 9.1 })
  })
})
