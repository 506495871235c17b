import ExcelJS from 'exceljs'
import { beforeEach, describe, expect, test } from 'vitest'
import type { Db, User } from '#src/db/schema.ts'
import { importFile } from '#src/import/import-file.ts'
import { renderTicketNotice } from '#src/notify/notice-texts.ts'
import { setSetting } from '#src/settings/settings.ts'
import { actorFromUser, systemActor } from '#src/users/actor.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildGroup, buildUser } from '../../test/support/factories.ts'
import { buildTicket, ticketTrail } from '../../test/support/ticket-factory.ts'
import { acknowledgeEscalation } from './acknowledge-escalation.ts'
import { createShift } from './create-shift.ts'
import { deleteShift } from './delete-shift.ts'
import { addDemoDuty } from './demo-duty.ts'
import { mondayOf, shiftEnd, wallTimeToUtc } from './duty-rules.ts'
import { escalateTickets } from './escalate-tickets.ts'
import { dueSteps, type StepTaken } from './escalation-rules.ts'
import { listShifts } from './list-shifts.ts'
import { whoIsOnDuty } from './on-duty.ts'
import { updateShift } from './update-shift.ts'

const TZ = 'Europe/Moscow'
const web = (user: User) => actorFromUser(user, 'web')

interface World {
  db: Db
  curator: User
  otherCurator: User
  executor: User
  colleague: User
  outsider: User
  admin: User
  groupId: number
  categoryId: number
}

let w: World
beforeEach(async () => {
  setTestClock('2026-03-02T08:00:00.000Z')
  const { db } = await testDatabase()
  const curator = await buildUser(db, { role: 'curator', fullName: 'Куратор Ольга' })
  const otherCurator = await buildUser(db, { role: 'curator', fullName: 'Куратор Иван' })
  const executor = await buildUser(db, { role: 'executor', fullName: 'Петров Пётр' })
  const colleague = await buildUser(db, { role: 'executor', fullName: 'Сидоров Сидор' })
  const outsider = await buildUser(db, { role: 'executor', fullName: 'Чужой Исполнитель' })
  const admin = await buildUser(db, { role: 'admin', fullName: 'Админ Анна' })
  const group = await buildGroup(db, 'Оргтехника', [executor.id, colleague.id])
  const category = await buildCategory(db, { defaultGroupId: group.id })
  w = { db, curator, otherCurator, executor, colleague, outsider, admin, groupId: group.id, categoryId: category.id }
})

async function shift(user: User, startsAt: string, endsAt: string, kind = 'night') {
  return createShift(w.db, web(w.curator), { groupId: w.groupId, userId: user.id, startsAt, endsAt, kind })
}

describe('the roster', () => {
  test('times typed on the Moscow wall clock: a night shift ends the next morning', () => {
    expect(wallTimeToUtc('2026-03-02', '20:00', TZ)).toBe('2026-03-02T17:00:00.000Z')
    expect(shiftEnd('2026-03-02', '20:00', '08:00', TZ)).toBe('2026-03-03T05:00:00.000Z')
    expect(shiftEnd('2026-03-02', '08:00', '24:00', TZ)).toBe('2026-03-02T21:00:00.000Z')
    expect(wallTimeToUtc('2026-02-30', '20:00', TZ)).toBeUndefined()
    expect(wallTimeToUtc('2026-03-02', '25:00', TZ)).toBeUndefined()
    expect(mondayOf('2026-03-08')).toBe('2026-03-02')
    expect(mondayOf('2026-03-02')).toBe('2026-03-02')
  })

  test('a curator adds a shift of the group’s executor; it is journaled and listed', async () => {
    const created = await shift(w.executor, '2026-03-02T20:00:00+03:00', '2026-03-03T08:00:00+03:00')
    expect(created).toMatchObject({
      group_id: w.groupId,
      user_id: w.executor.id,
      starts_at: '2026-03-02T17:00:00.000Z',
      ends_at: '2026-03-03T05:00:00.000Z',
      kind: 'night',
      person_name: 'Петров Пётр',
    })
    const listed = await listShifts(w.db, web(w.executor), {
      from: '2026-03-02T00:00:00.000Z',
      to: '2026-03-09T00:00:00.000Z',
    })
    expect(listed.map((s) => s.id)).toEqual([created.id])
    const journal = await w.db.selectFrom('audit_log').selectAll().where('action', '=', 'duty.create').execute()
    expect(journal).toHaveLength(1)
  })

  test('who may be on duty, and what a shift may be', async () => {
    const requester = await buildUser(w.db)
    const refusals = [
      [w.outsider, '2026-03-02T20:00:00Z', '2026-03-03T08:00:00Z', 'validation'],
      [requester, '2026-03-02T20:00:00Z', '2026-03-03T08:00:00Z', 'validation'],
      [w.executor, '2026-03-03T08:00:00Z', '2026-03-02T20:00:00Z', 'validation'],
      [w.executor, '2026-03-02T08:00:00Z', '2026-03-04T08:00:01Z', 'validation'],
      [w.executor, 'завтра', '2026-03-04T08:00:00Z', 'validation'],
    ] as const
    for (const [user, from, to, code] of refusals) {
      await expect(shift(user, from, to)).rejects.toMatchObject({ code })
    }
    // A curator covers a group they are not a member of; the same person twice at once is refused.
    await shift(w.otherCurator, '2026-03-02T20:00:00Z', '2026-03-03T08:00:00Z')
    await expect(shift(w.otherCurator, '2026-03-03T07:00:00Z', '2026-03-03T10:00:00Z')).rejects.toMatchObject({
      code: 'conflict',
    })
    expect(await w.db.selectFrom('duty_shifts').selectAll().execute()).toHaveLength(1)
  })

  test('executors read the roster but cannot change it; the refusal is journaled', async () => {
    await expect(
      createShift(w.db, web(w.executor), {
        groupId: w.groupId,
        userId: w.executor.id,
        startsAt: '2026-03-02T20:00:00Z',
        endsAt: '2026-03-03T08:00:00Z',
        kind: 'night',
      }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    const requester = await buildUser(w.db)
    await expect(
      listShifts(w.db, web(requester), { from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    expect(await w.db.selectFrom('duty_shifts').selectAll().execute()).toHaveLength(0)
    const denied = await w.db.selectFrom('audit_log').selectAll().where('result', '=', 'denied').execute()
    expect(denied.map((d) => d.action)).toEqual(['duty.create', 'duty.list'])
  })

  test('a swap changes the person and journals both; a delete removes the shift', async () => {
    const created = await shift(w.executor, '2026-03-02T20:00:00Z', '2026-03-03T08:00:00Z')
    const swapped = await updateShift(w.db, web(w.curator), { id: created.id, userId: w.colleague.id })
    expect(swapped.user_id).toBe(w.colleague.id)
    const swap = await w.db.selectFrom('audit_log').selectAll().where('action', '=', 'duty.swap').executeTakeFirst()
    expect(JSON.parse(swap?.details ?? '{}')).toMatchObject({ userId: { from: w.executor.id, to: w.colleague.id } })
    await deleteShift(w.db, web(w.curator), { id: created.id })
    expect(await w.db.selectFrom('duty_shifts').selectAll().execute()).toHaveLength(0)
    await expect(deleteShift(w.db, web(w.curator), { id: created.id })).rejects.toMatchObject({ code: 'not_found' })
  })

  test('who is on duty now: shifts covering the instant, of active people', async () => {
    await shift(w.executor, '2026-03-02T07:00:00Z', '2026-03-02T19:00:00Z', 'day')
    await shift(w.colleague, '2026-03-02T19:00:00Z', '2026-03-03T07:00:00Z')
    await shift(w.otherCurator, '2026-03-02T06:00:00Z', '2026-03-02T09:00:00Z', 'other')
    await w.db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', w.otherCurator.id).execute()
    const now = await whoIsOnDuty(w.db)
    expect(now).toEqual([
      {
        groupId: w.groupId,
        groupName: 'Оргтехника',
        people: [
          {
            userId: w.executor.id,
            name: 'Петров Пётр',
            role: 'executor',
            kind: 'day',
            endsAt: '2026-03-02T19:00:00.000Z',
          },
        ],
      },
    ])
    expect((await whoIsOnDuty(w.db, '2026-03-02T20:00:00.000Z'))[0]?.people.map((p) => p.userId)).toEqual([
      w.colleague.id,
    ])
  })
})

/** The escalation notices of a ticket: [level, critical, recipient's user id]. */
async function notices(ticketId: number): Promise<Array<[number, boolean, number]>> {
  const trail = await ticketTrail(w.db, ticketId)
  return trail.outbox
    .filter((o) => o.kind === 'ticket_escalated')
    .map((o) => {
      const payload = JSON.parse(o.payload) as { level: number; critical: boolean; userId: number }
      return [payload.level, payload.critical, payload.userId]
    })
}

describe('escalation', () => {
  test('the levels of a deadline: assignee at 75 %, duty person at the breach, curator on duty, head of IT', async () => {
    await shift(w.executor, '2026-03-02T06:00:00Z', '2026-03-03T06:00:00Z')
    await createShift(w.db, web(w.curator), {
      groupId: w.groupId,
      userId: w.curator.id,
      startsAt: '2026-03-02T06:00:00Z',
      endsAt: '2026-03-03T06:00:00Z',
      kind: 'other',
    })
    await setSetting(w.db, systemActor(), 'escalation.head_of_it', w.admin.id)
    const ticket = await buildTicket(w.db, {
      categoryId: w.categoryId,
      priority: 'normal',
      assigneeId: w.colleague.id,
      status: 'in_progress',
      createdAt: '2026-03-02T08:00:00.000Z',
      resolutionDueAt: '2026-03-02T12:00:00.000Z',
    })
    const at = async (instant: string) => {
      setTestClock(instant)
      return escalateTickets(w.db)
    }
    expect(await at('2026-03-02T10:59:00.000Z')).toBe(0)
    expect(await at('2026-03-02T11:00:00.000Z')).toBe(1)
    expect(await at('2026-03-02T11:30:00.000Z')).toBe(0)
    expect(await at('2026-03-02T12:01:00.000Z')).toBe(1)
    // normal: the curator 4 h after the breach, the head of IT 8 h after it.
    expect(await at('2026-03-02T15:59:00.000Z')).toBe(0)
    expect(await at('2026-03-02T16:00:00.000Z')).toBe(1)
    expect(await at('2026-03-02T20:00:00.000Z')).toBe(1)
    expect(await at('2026-03-02T23:00:00.000Z')).toBe(0)

    expect(await notices(ticket.id)).toEqual([
      [1, false, w.colleague.id],
      [2, false, w.executor.id],
      [3, false, w.curator.id],
      [4, false, w.admin.id],
    ])
    const trail = await ticketTrail(w.db, ticket.id)
    const events = trail.events.filter((e) => e.kind === 'escalated')
    expect(events.map((e) => [e.to_value, e.from_value])).toEqual([
      ['1', 'deadline'],
      ['2', 'deadline'],
      ['3', 'deadline'],
      ['4', 'deadline'],
    ])
    expect(JSON.parse(events[1]?.details ?? '{}')).toMatchObject({ level: 2, userId: w.executor.id })
    expect(trail.audit.filter((a) => a.action === 'ticket.escalated')).toHaveLength(4)
  })

  test('nobody on duty: the group’s members at the breach, every curator after it, every admin last', async () => {
    const ticket = await buildTicket(w.db, {
      categoryId: w.categoryId,
      priority: 'high',
      createdAt: '2026-03-02T08:00:00.000Z',
      resolutionDueAt: '2026-03-02T09:00:00.000Z',
    })
    setTestClock('2026-03-02T14:00:00.000Z')
    // No assignee: no warning; the breach, +60 min and +4 h are all past (and fresh): three steps at once.
    expect(await escalateTickets(w.db)).toBe(3)
    const told = await notices(ticket.id)
    expect(
      told
        .filter(([level]) => level === 2)
        .map(([, , id]) => id)
        .sort(),
    ).toEqual([w.executor.id, w.colleague.id].sort())
    expect(
      told
        .filter(([level]) => level === 3)
        .map(([, , id]) => id)
        .sort(),
    ).toEqual([w.curator.id, w.otherCurator.id].sort())
    expect(told.filter(([level]) => level === 4).map(([, , id]) => id)).toEqual([w.admin.id])
  })

  test('two workers at once take each step once', async () => {
    const ticket = await buildTicket(w.db, {
      categoryId: w.categoryId,
      priority: 'normal',
      createdAt: '2026-03-02T08:00:00.000Z',
      resolutionDueAt: '2026-03-02T09:00:00.000Z',
    })
    setTestClock('2026-03-02T09:05:00.000Z')
    const [a, b] = await Promise.all([escalateTickets(w.db), escalateTickets(w.db)])
    expect(a + b).toBe(1)
    expect(await escalateTickets(w.db)).toBe(0)
    const rows = await w.db.selectFrom('ticket_escalations').selectAll().where('ticket_id', '=', ticket.id).execute()
    expect(rows.map((r) => r.level)).toEqual([2])
    expect((await notices(ticket.id)).length).toBe(2)
  })

  test('old breaches and finished tickets call nobody', async () => {
    await buildTicket(w.db, {
      categoryId: w.categoryId,
      createdAt: '2026-02-01T08:00:00.000Z',
      resolutionDueAt: '2026-02-02T08:00:00.000Z',
    })
    await buildTicket(w.db, {
      categoryId: w.categoryId,
      status: 'resolved',
      createdAt: '2026-03-02T07:00:00.000Z',
      resolutionDueAt: '2026-03-02T07:30:00.000Z',
    })
    expect(await escalateTickets(w.db)).toBe(0)
  })

  test('a critical ticket filed at night calls the duty person at once, then the curator on duty after 10 minutes', async () => {
    await shift(w.executor, '2026-03-02T17:00:00Z', '2026-03-03T05:00:00Z')
    await createShift(w.db, web(w.curator), {
      groupId: w.groupId,
      userId: w.otherCurator.id,
      startsAt: '2026-03-02T17:00:00Z',
      endsAt: '2026-03-03T05:00:00Z',
      kind: 'night',
    })
    // 23:00 in Moscow, a Monday: outside the working hours.
    const ticket = await buildTicket(w.db, {
      categoryId: w.categoryId,
      priority: 'critical',
      createdAt: '2026-03-02T20:00:00.000Z',
    })
    setTestClock('2026-03-02T20:00:30.000Z')
    expect(await escalateTickets(w.db)).toBe(1)
    expect(await notices(ticket.id)).toEqual([[2, true, w.executor.id]])
    setTestClock('2026-03-02T20:10:29.000Z')
    expect(await escalateTickets(w.db)).toBe(0)
    setTestClock('2026-03-02T20:10:30.000Z')
    expect(await escalateTickets(w.db)).toBe(1)
    expect((await notices(ticket.id)).at(-1)).toEqual([3, true, w.otherCurator.id])

    // The executor, called first, may still press «Принял»; someone not called changes nothing.
    expect(await acknowledgeEscalation(w.db, web(w.colleague), { ticketId: ticket.id })).toMatchObject({
      kind: 'not_called',
    })
    const requester = await buildUser(w.db)
    await expect(acknowledgeEscalation(w.db, web(requester), { ticketId: ticket.id })).rejects.toMatchObject({
      code: 'forbidden',
    })
    expect(await acknowledgeEscalation(w.db, web(w.otherCurator), { ticketId: ticket.id })).toEqual({
      kind: 'acknowledged',
      ticketId: ticket.id,
      level: 3,
    })
    expect(await acknowledgeEscalation(w.db, web(w.executor), { ticketId: ticket.id })).toEqual({
      kind: 'already',
      ticketId: ticket.id,
      byId: w.otherCurator.id,
    })
    setTestClock('2026-03-02T20:30:00.000Z')
    expect(await escalateTickets(w.db)).toBe(0)
    const trail = await ticketTrail(w.db, ticket.id)
    expect(trail.events.filter((e) => e.kind.startsWith('escalat')).map((e) => [e.kind, e.actor_id])).toEqual([
      ['escalated', null],
      ['escalated', null],
      ['escalation_acknowledged', w.otherCurator.id],
    ])
    expect(trail.audit.map((a) => a.action)).toContain('ticket.escalation_acknowledged')
  })

  test('a critical ticket filed in working hours waits for its deadline', async () => {
    const ticket = await buildTicket(w.db, {
      categoryId: w.categoryId,
      priority: 'critical',
      createdAt: '2026-03-02T08:00:00.000Z',
    })
    setTestClock('2026-03-02T08:30:00.000Z')
    expect(await escalateTickets(w.db)).toBe(0)
    expect(await notices(ticket.id)).toEqual([])
  })

  test('the rules alone: the earliest moment of a level wins, and a taken level is never due again', () => {
    const rule = { warnAtPercent: 75, curatorAfterMinutes: 15, headAfterMinutes: 60 }
    const facts = {
      priority: 'critical' as const,
      createdAt: '2026-03-02T20:00:00.000Z',
      resolutionDueAt: '2026-03-03T00:00:00.000Z',
      assigneeId: null,
      filedAtNight: true,
    }
    expect(dueSteps(facts, [], rule, '2026-03-02T20:00:00.000Z')).toEqual([
      { level: 2, chain: 'critical', dueAt: '2026-03-02T20:00:00.000Z' },
    ])
    const taken: StepTaken[] = [{ level: 2, chain: 'critical', at: '2026-03-02T20:00:00.000Z', acknowledged_at: null }]
    expect(dueSteps(facts, taken, rule, '2026-03-02T20:05:00.000Z')).toEqual([])
    expect(dueSteps(facts, taken, rule, '2026-03-02T20:10:00.000Z')).toEqual([
      { level: 3, chain: 'critical', dueAt: '2026-03-02T20:10:00.000Z' },
    ])
    const acknowledged: StepTaken[] = [
      { level: 2, chain: 'critical', at: '2026-03-02T20:00:00.000Z', acknowledged_at: '2026-03-02T20:03:00.000Z' },
    ]
    // Acknowledged: only the deadline's own levels remain (the curator 15 minutes after the breach).
    expect(dueSteps(facts, acknowledged, rule, '2026-03-02T23:00:00.000Z')).toEqual([])
    expect(dueSteps(facts, acknowledged, rule, '2026-03-03T00:15:00.000Z')).toEqual([
      { level: 3, chain: 'deadline', dueAt: '2026-03-03T00:15:00.000Z' },
    ])
  })
})

describe('the demo roster', () => {
  test('this week and the next: every group has someone on duty day and night; a second run adds nothing', async () => {
    const context = {
      groups: new Map([['Оргтехника', w.groupId]]),
      byGroup: new Map([
        [
          'Оргтехника',
          [
            { id: w.executor.id, role: 'executor' as const },
            { id: w.colleague.id, role: 'executor' as const },
          ],
        ],
      ]),
      curators: [{ id: w.curator.id, groups: ['Оргтехника'] }],
    }
    expect(await addDemoDuty(w.db, context, TZ)).toBe(14 * 3)
    expect(await addDemoDuty(w.db, context, TZ)).toBe(0)
    for (const instant of ['2026-03-02T06:00:00.000Z', '2026-03-04T19:00:00.000Z', '2026-03-15T20:59:00.000Z']) {
      const group = (await whoIsOnDuty(w.db, instant))[0]
      expect(group?.people.some((p) => p.role === 'executor')).toBe(true)
      expect(group?.people.some((p) => p.role === 'curator')).toBe(true)
    }
  })
})

describe('the roster from a spreadsheet', () => {
  const csv = (...rows: string[]) => ({
    fileName: 'график.csv',
    bytes: new TextEncoder().encode(['Группа;Дежурный;Дата;С;До;Смена;Примечание', ...rows].join('\r\n')),
  })

  test('a dry run shows the plan; the import adds the shifts; the same file again changes nothing', async () => {
    const file = csv(
      'Оргтехника;Петров Пётр;02.03.2026;20:00;08:00;ночная;',
      'оргтехника;сидоров сидор;2026-03-03;08:00;20:00;день;замена',
      'Оргтехника;Куратор Ольга;03.03.2026;08:00;08:00;сутки;',
    )
    const dry = await importFile(w.db, web(w.curator), { kind: 'duty', file, dryRun: true })
    expect(dry.counts).toEqual({ created: 3, updated: 0, unchanged: 0, bad: 0 })
    expect(await w.db.selectFrom('duty_shifts').selectAll().execute()).toEqual([])
    const done = await importFile(w.db, web(w.curator), { kind: 'duty', file, dryRun: false })
    expect(done.applied).toBe(true)
    const shifts = await w.db.selectFrom('duty_shifts').selectAll().orderBy('id').execute()
    expect(shifts.map((s) => [s.user_id, s.starts_at, s.ends_at, s.kind, s.note])).toEqual([
      [w.executor.id, '2026-03-02T17:00:00.000Z', '2026-03-03T05:00:00.000Z', 'night', null],
      [w.colleague.id, '2026-03-03T05:00:00.000Z', '2026-03-03T17:00:00.000Z', 'day', 'замена'],
      [w.curator.id, '2026-03-03T05:00:00.000Z', '2026-03-04T05:00:00.000Z', 'other', null],
    ])
    const again = await importFile(w.db, web(w.curator), { kind: 'duty', file, dryRun: false })
    expect(again.counts).toMatchObject({ created: 0, unchanged: 3, bad: 0 })
  })

  test('bad rows refuse the whole file, each with its line and reason', async () => {
    const file = csv(
      'Оргтехника;Петров Пётр;02.03.2026;20:00;08:00;ночная;',
      'Сеть;Петров Пётр;02.03.2026;20:00;08:00;;',
      'Оргтехника;Чужой Исполнитель;02.03.2026;20:00;08:00;;',
      'Оргтехника;Петров Пётр;03.03.2026;07:00;09:00;;',
      'Оргтехника;Сидоров Сидор;32.03.2026;20:00;08:00;;',
    )
    const result = await importFile(w.db, web(w.curator), { kind: 'duty', file, dryRun: false })
    expect(result.applied).toBe(false)
    expect(result.plan.bad.map((b) => b.line)).toEqual([3, 4, 5, 6])
    expect(result.plan.bad[2]?.reason).toContain('пересекается со сменой в строке 2')
    expect(await w.db.selectFrom('duty_shifts').selectAll().execute()).toEqual([])
    // An executor may not import the roster.
    await expect(importFile(w.db, web(w.executor), { kind: 'duty', file, dryRun: true })).rejects.toMatchObject({
      code: 'forbidden',
    })
  })

  test('an XLSX whose times are Excel time cells', async () => {
    const workbook = new ExcelJS.Workbook()
    const sheet = workbook.addWorksheet('График')
    sheet.addRow(['Группа', 'Дежурный', 'Дата', 'С', 'До'])
    sheet.addRow([
      'Оргтехника',
      'Петров Пётр',
      new Date(Date.UTC(2026, 2, 2)),
      new Date(Date.UTC(1899, 11, 30, 20, 0)),
      new Date(Date.UTC(1899, 11, 30, 8, 0)),
    ])
    const bytes = new Uint8Array(await workbook.xlsx.writeBuffer())
    const result = await importFile(w.db, web(w.curator), {
      kind: 'duty',
      file: { fileName: 'график.xlsx', bytes },
      dryRun: false,
    })
    expect(result.plan.bad).toEqual([])
    expect(await w.db.selectFrom('duty_shifts').select(['starts_at', 'ends_at']).execute()).toEqual([
      { starts_at: '2026-03-02T17:00:00.000Z', ends_at: '2026-03-03T05:00:00.000Z' },
    ])
  })
})

describe('the escalation notice', () => {
  const ticket = {
    id: 42,
    status: 'new' as const,
    title: 'МИС не открывается',
    priority: 'critical' as const,
    categoryName: 'МИС',
    departmentName: 'Реанимация',
    requesterId: 1,
    requesterName: 'Иванова Мария',
    assigneeId: null,
    assigneeName: null,
    resolution: null,
    cancelReason: null,
    rating: null,
  }
  const options = { baseUrl: 'https://helpdesk.example', privacy: false }

  test('a critical ticket at night: the loud first line and «Принял» while it is open', () => {
    const notice = renderTicketNotice(
      'ticket_escalated',
      { ticket, toRequester: false, escalation: { level: 2, critical: true } },
      options,
    )
    expect(notice.text.split('\n')[0]).toBe('🔴 Критическая заявка № 42 · Новая')
    expect(notice.text).toContain('«МИС не открывается»')
    expect(notice.buttons[0]?.map((b) => b.text)).toEqual(['Принял', 'Открыть'])
    const resolved = renderTicketNotice(
      'ticket_escalated',
      { ticket: { ...ticket, status: 'resolved' }, toRequester: false, escalation: { level: 3, critical: true } },
      options,
    )
    expect(resolved.buttons[0]?.map((b) => b.text)).toEqual(['Открыть'])
  })

  test('with «ПДн не передаются в Telegram» only the number, the status, the level and the link go', () => {
    const notice = renderTicketNotice(
      'ticket_escalated',
      { ticket, toRequester: false, escalation: { level: 4, critical: false } },
      { ...options, privacy: true },
    )
    expect(notice.text).toContain('Заявка № 42 · Новая')
    expect(notice.text).toContain('Эскалация руководителю ИТ')
    expect(notice.text).not.toContain('МИС не открывается')
    expect(notice.text).not.toContain('Реанимация')
  })
})
