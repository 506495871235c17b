import { beforeEach, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { generateDemo } from '#src/demo/generate.ts'
import { parseCallback } from '#src/notify/callback-data.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { type Actor, systemActor } from '#src/users/actor.ts'
import { blankUser } from '#src/users/user-store.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildCategory, buildDepartment, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { declareOutage } from './declare-outage.ts'
import { joinOutage } from './join-outage.ts'
import { listOutages } from './list-outages.ts'
import { openOutageCovering } from './outage-store.ts'
import { resolveOutage } from './resolve-outage.ts'
import { setOutageNotices } from './set-outage-notices.ts'
import { viewOutage } from './view-outage.ts'

let db: Db
beforeEach(async () => {
  db = (await testDatabase()).db
})

interface Hospital {
  executor: Actor
  ward: number
  other: number
  mis: number
  misChild: number
  printers: number
  parent: number
}

/** An executor, the ward hit by the outage and another one, the МИС category with a child, and the parent ticket. */
async function hospital(): Promise<Hospital> {
  const { actor: executor, user } = await buildActor(db, { role: 'executor' })
  const ward = (await buildDepartment(db)).id
  const other = (await buildDepartment(db)).id
  const mis = (await buildCategory(db, { name: 'МИС' })).id
  const misChild = (await buildCategory(db, { name: 'МИС: вход', parentId: mis })).id
  const printers = (await buildCategory(db, { name: 'Принтеры' })).id
  const parent = await buildTicket(db, { categoryId: mis, status: 'in_progress', assigneeId: user.id })
  return { executor, ward, other, mis, misChild, printers, parent: parent.id }
}

async function declare(h: Hospital, extra: Partial<Parameters<typeof declareOutage>[2]> = {}) {
  return declareOutage(db, h.executor, {
    ticketId: h.parent,
    title: 'МИС не работает в корпусе 2',
    departmentIds: [h.ward],
    categoryIds: [h.mis],
    place: 'корпус 2',
    ...extra,
  })
}

async function nurse(departmentId: number, telegram = true) {
  return buildActor(db, { departmentId, telegramChatId: telegram ? undefined : null }, 'bot')
}

async function outboxOf(userId: number) {
  const rows = await db.selectFrom('outbox').selectAll().orderBy('id').execute()
  return rows.filter((r) => (JSON.parse(r.payload) as { userId?: number }).userId === userId)
}

describe('declaring an outage', () => {
  test('makes the outage, says so on the ticket and in the journal, and announces it to the ward', async () => {
    const h = await hospital()
    const inWard = await nurse(h.ward)
    const noTelegram = await nurse(h.ward, false)
    const elsewhere = await nurse(h.other)
    const gone = await buildUser(db, { departmentId: h.ward, status: 'deactivated' })

    const outage = await declare(h)

    expect(outage).toMatchObject({ ticket_id: h.parent, title: 'МИС не работает в корпусе 2', place: 'корпус 2' })
    expect(outage.resolved_at).toBeNull()
    expect(outage.recipients).toBe(1)
    const announced = await outboxOf(inWard.user.id)
    expect(announced).toHaveLength(1)
    const payload = JSON.parse(announced[0]?.payload ?? '{}')
    expect(announced[0]?.kind).toBe('bot_message')
    expect(payload.message.text).toContain('МИС не работает в корпусе 2')
    expect(parseCallback(payload.message.buttons[0][0].callbackData)?.kind).toBe('outageOptOut')
    for (const person of [noTelegram.user, elsewhere.user, gone]) expect(await outboxOf(person.id)).toHaveLength(0)

    const events = await db.selectFrom('ticket_events').selectAll().where('ticket_id', '=', h.parent).execute()
    expect(events.map((e) => e.kind)).toContain('outage_declared')
    const journal = await db.selectFrom('audit_log').selectAll().where('action', '=', 'outage.declare').execute()
    expect(journal).toHaveLength(1)
    expect(journal[0]?.object_id).toBe(String(h.parent))
  })

  test('a thousand people of the ward are a thousand outbox rows, queued in the declaration', async () => {
    const h = await hospital()
    const at = new Date().toISOString()
    const people = Array.from({ length: 1000 }, (_, i) => ({
      ...blankUser(at),
      role: 'requester' as const,
      status: 'active' as const,
      full_name: `Сотрудник ${i}`,
      position: 'Медсестра',
      department_id: h.ward,
      telegram_chat_id: String(500_000_000 + i),
      confirmed_at: at,
    }))
    for (let i = 0; i < people.length; i += 200) {
      await db
        .insertInto('users')
        .values(people.slice(i, i + 200))
        .execute()
    }
    const outage = await declare(h)
    expect(outage.recipients).toBe(1000)
    const queued = await db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('kind', '=', 'bot_message')
      .executeTakeFirstOrThrow()
    expect(Number(queued.n)).toBe(1000)
  })

  test('a person who opted out gets no announcement, and opting in again brings them back; both journaled', async () => {
    const h = await hospital()
    const quiet = await nurse(h.ward)
    expect(await setOutageNotices(db, quiet.actor, { on: false })).toBe(false)
    await declare(h)
    expect(await outboxOf(quiet.user.id)).toHaveLength(0)

    await setOutageNotices(db, quiet.actor, { on: true })
    const second = await buildTicket(db, { categoryId: h.printers, status: 'in_progress' })
    await declareOutage(db, h.executor, { ticketId: second.id, departmentIds: [h.ward], categoryIds: [h.printers] })
    expect(await outboxOf(quiet.user.id)).toHaveLength(1)
    const journal = await db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'outage.notices_%')
      .orderBy('id')
      .execute()
    expect(journal.map((r) => r.action)).toEqual(['outage.notices_off', 'outage.notices_on'])
  })

  test('a resolved ticket cannot become an outage, nor a ticket twice; nothing is written', async () => {
    const h = await hospital()
    const done = await buildTicket(db, { categoryId: h.mis, status: 'resolved' })
    await expect(
      declareOutage(db, h.executor, { ticketId: done.id, departmentIds: [h.ward], categoryIds: [h.mis] }),
    ).rejects.toMatchObject({ code: 'invalid_transition' })
    await declare(h)
    await expect(declare(h)).rejects.toMatchObject({ code: 'conflict' })
    expect(await db.selectFrom('outages').selectAll().execute()).toHaveLength(1)
  })

  test('bad input is refused before anything is written', async () => {
    const h = await hospital()
    await expect(declare(h, { departmentIds: [] })).rejects.toMatchObject({ code: 'validation' })
    await expect(declare(h, { categoryIds: [999_999] })).rejects.toMatchObject({ code: 'validation' })
    await expect(declare(h, { title: 'x'.repeat(201) })).rejects.toMatchObject({ code: 'validation' })
    expect(await db.selectFrom('outages').selectAll().execute()).toHaveLength(0)
    expect(await db.selectFrom('outbox').selectAll().execute()).toHaveLength(0)
  })

  test('a requester may not declare, see or end an outage (journaled)', async () => {
    const h = await hospital()
    const outage = await declare(h)
    const requester = (await nurse(h.ward)).actor
    await expect(declare(h, { ticketId: h.parent })).rejects.toMatchObject({ code: 'conflict' })
    await expect(
      declareOutage(db, requester, { ticketId: h.parent, departmentIds: [h.ward], categoryIds: [h.mis] }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    await expect(listOutages(db, requester)).rejects.toMatchObject({ code: 'forbidden' })
    await expect(viewOutage(db, requester, { id: outage.id })).rejects.toMatchObject({ code: 'forbidden' })
    await expect(resolveOutage(db, requester, { outageId: outage.id, resolution: 'x' })).rejects.toMatchObject({
      code: 'forbidden',
    })
    const denied = await db.selectFrom('audit_log').select('action').where('result', '=', 'denied').execute()
    expect(denied.map((r) => r.action).sort()).toEqual([
      'outage.declare',
      'outage.list',
      'outage.resolve',
      'outage.view',
    ])
  })
})

describe('«У меня тоже»', () => {
  test('an open outage covers its departments and its categories, children of a parent category included', async () => {
    const h = await hospital()
    const outage = await declare(h)
    expect((await openOutageCovering(db, { departmentId: h.ward, categoryId: h.mis }))?.id).toBe(outage.id)
    expect((await openOutageCovering(db, { departmentId: h.ward, categoryId: h.misChild }))?.id).toBe(outage.id)
    expect(await openOutageCovering(db, { departmentId: h.ward, categoryId: h.printers })).toBeUndefined()
    expect(await openOutageCovering(db, { departmentId: h.other, categoryId: h.mis })).toBeUndefined()
  })

  test('files a child ticket already in work, linked to the parent, with no deadlines and no notice to the group', async () => {
    const h = await hospital()
    const outage = await declare(h)
    const parent = await db.selectFrom('tickets').selectAll().where('id', '=', h.parent).executeTakeFirstOrThrow()
    const { actor, user } = await nurse(h.ward)
    const before = await db.selectFrom('outbox').selectAll().execute()

    const child = await joinOutage(db, actor, { outageId: outage.id, categoryId: h.misChild })

    expect(child).toMatchObject({
      status: 'in_progress',
      requester_id: user.id,
      assignee_id: parent.assignee_id,
      group_id: parent.group_id,
      category_id: h.misChild,
      title: 'МИС не работает в корпусе 2',
      response_due_at: null,
      resolution_due_at: null,
      department_id: h.ward,
    })
    const link = await db.selectFrom('ticket_links').selectAll().where('other_id', '=', child.id).executeTakeFirst()
    expect(link).toMatchObject({ ticket_id: h.parent, kind: 'parent', undone_at: null })
    expect(await db.selectFrom('outbox').selectAll().execute()).toHaveLength(before.length)
    expect((await viewOutage(db, h.executor, { id: outage.id })).children).toBe(1)
    const journal = await db.selectFrom('audit_log').selectAll().where('action', '=', 'outage.join').execute()
    expect(journal.map((r) => r.object_id)).toEqual([String(child.id)])
  })

  test('is refused twice for the same person, outside the departments, outside the categories, and once resolved', async () => {
    const h = await hospital()
    const outage = await declare(h)
    const { actor } = await nurse(h.ward)
    await joinOutage(db, actor, { outageId: outage.id, categoryId: h.mis })
    await expect(joinOutage(db, actor, { outageId: outage.id, categoryId: h.mis })).rejects.toMatchObject({
      code: 'conflict',
    })
    const stranger = (await nurse(h.other)).actor
    await expect(joinOutage(db, stranger, { outageId: outage.id, categoryId: h.mis })).rejects.toMatchObject({
      code: 'validation',
    })
    const late = (await nurse(h.ward)).actor
    await expect(joinOutage(db, late, { outageId: outage.id, categoryId: h.printers })).rejects.toMatchObject({
      code: 'validation',
    })
    await resolveOutage(db, h.executor, { outageId: outage.id, resolution: 'Сервер МИС перезапущен' })
    await expect(joinOutage(db, late, { outageId: outage.id, categoryId: h.mis })).rejects.toMatchObject({
      code: 'conflict',
    })
    expect((await viewOutage(db, h.executor, { id: outage.id })).children).toBe(1)
  })
})

describe('resolving', () => {
  test('the parent resolved resolves every open child with its result, one notice per requester', async () => {
    const h = await hospital()
    const outage = await declare(h)
    const nurses = [await nurse(h.ward), await nurse(h.ward)]
    const children = []
    for (const n of nurses) children.push(await joinOutage(db, n.actor, { outageId: outage.id, categoryId: h.mis }))
    await db.deleteFrom('outbox').execute()

    await changeStatus(db, h.executor, { ticketId: h.parent, status: 'resolved', resolution: 'Сервер МИС перезапущен' })

    for (const [i, child] of children.entries()) {
      const row = await db.selectFrom('tickets').selectAll().where('id', '=', child.id).executeTakeFirstOrThrow()
      expect(row).toMatchObject({ status: 'resolved', resolution: 'Сервер МИС перезапущен' })
      expect(row.resolved_at).not.toBeNull()
      const told = await outboxOf(nurses[i]?.user.id ?? 0)
      expect(told.map((r) => [r.kind, r.ticket_id])).toEqual([['ticket_resolved', child.id]])
    }
    const after = await viewOutage(db, h.executor, { id: outage.id })
    expect(after.resolved_at).not.toBeNull()
    expect(after.resolved_by).toBe(h.executor.id)
    const open = await listOutages(db, h.executor, { openOnly: true })
    expect(open).toHaveLength(0)
  })

  test('«Сбой устранён» on a new parent takes it into work and resolves it with the children', async () => {
    const h = await hospital()
    const fresh = await buildTicket(db, { categoryId: h.mis, status: 'new' })
    const outage = await declare(h, { ticketId: fresh.id })
    const { actor } = await nurse(h.ward)
    const child = await joinOutage(db, actor, { outageId: outage.id, categoryId: h.mis })

    const resolved = await resolveOutage(db, h.executor, { outageId: outage.id, resolution: 'Починили' })

    expect(resolved.ticket_status).toBe('resolved')
    expect(resolved.resolved_at).not.toBeNull()
    const row = await db.selectFrom('tickets').select('status').where('id', '=', child.id).executeTakeFirstOrThrow()
    expect(row.status).toBe('resolved')
    await expect(resolveOutage(db, h.executor, { outageId: outage.id, resolution: 'ещё раз' })).rejects.toMatchObject({
      code: 'conflict',
    })
  })

  test('«Сбой устранён» without a result changes nothing', async () => {
    const h = await hospital()
    const outage = await declare(h)
    await expect(resolveOutage(db, h.executor, { outageId: outage.id, resolution: '  ' })).rejects.toMatchObject({
      code: 'validation',
    })
    expect((await viewOutage(db, h.executor, { id: outage.id })).resolved_at).toBeNull()
  })

  test('the list shows open outages first', async () => {
    const h = await hospital()
    const first = await declare(h)
    const other = await buildTicket(db, { categoryId: h.printers, status: 'in_progress' })
    const second = await declareOutage(db, h.executor, {
      ticketId: other.id,
      departmentIds: [h.ward],
      categoryIds: [h.printers],
    })
    await resolveOutage(db, h.executor, { outageId: second.id, resolution: 'Готово' })
    const third = await declareOutage(db, h.executor, {
      ticketId: (await buildTicket(db, { categoryId: h.printers, status: 'in_progress' })).id,
      departmentIds: [h.other],
      categoryIds: [h.printers],
    })
    expect((await listOutages(db, h.executor)).map((o) => o.id)).toEqual([third.id, first.id, second.id])
  })
})

describe('the demo', () => {
  test('has one open outage with a few joined tickets, and a second run adds none', async () => {
    const demo = { tickets: 60, seed: 'outages', requesters: 60, staffPasswordHash: 'not-a-real-hash' }
    await generateDemo(db, systemActor('cli'), demo)
    const curator = (await buildActor(db, { role: 'curator' })).actor
    const outages = await listOutages(db, curator)
    expect(outages).toHaveLength(1)
    expect(outages[0]).toMatchObject({ title: 'МИС не работает в корпусе 2', resolved_at: null })
    expect(outages[0]?.children).toBeGreaterThan(0)
    await generateDemo(db, systemActor('cli'), { ...demo, tickets: 10, force: true })
    expect(await listOutages(db, curator)).toHaveLength(1)
  })
})
