import { sql } from 'kysely'
import { beforeAll, describe, expect, test } from 'vitest'
import { dialectOf } from '#src/db/database.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildDepartment, buildUser } from '../../test/support/factories.ts'
import { buildTicket, deniedAudit, ticketTrail } from '../../test/support/ticket-factory.ts'
import { addMessage } from './add-message.ts'
import { assignTicket } from './assign-ticket.ts'
import { viewTicket } from './view-ticket.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

async function ticketWithTimeline() {
  const department = await buildDepartment(db)
  const requester = await buildActor(db, { departmentId: department.id })
  const executor = await buildActor(db, { role: 'executor' })
  const ticket = await buildTicket(db, {
    requesterId: requester.user.id,
    assigneeId: executor.user.id,
    status: 'in_progress',
  })
  const external = await addMessage(db, executor.actor, {
    ticketId: ticket.id,
    body: 'Какой кабинет?',
    internal: false,
  })
  const note = await addMessage(db, executor.actor, { ticketId: ticket.id, body: 'Проверить свитч', internal: true })
  for (const messageId of [external.id, note.id]) {
    await db
      .insertInto('attachments')
      .values({
        ticket_id: ticket.id,
        message_id: messageId,
        uploader_id: executor.user.id,
        file_name: `${messageId}.png`,
        mime_type: 'image/png',
        size: 10,
        sha256: String(messageId).padStart(64, '0'),
        created_at: now(),
      })
      .execute()
  }
  return { department, requester, executor, ticket, external, note }
}

describe('viewTicket', () => {
  test('staff see the whole timeline, and the read is journaled as a ПДн read', async () => {
    const { department, requester, executor, ticket, external, note } = await ticketWithTimeline()
    const detail = await viewTicket(db, executor.actor, { ticketId: ticket.id })
    expect(detail.ticket.id).toBe(ticket.id)
    expect(detail.requester).toEqual({
      id: requester.user.id,
      full_name: requester.user.full_name,
      department_name: department.name,
      phone: requester.user.phone,
      room: requester.user.room,
      position: requester.user.position,
      blocked: false,
      telegram: requester.user.telegram_chat_id !== null,
      messenger: requester.user.telegram_chat_id !== null ? 'telegram' : null,
    })
    expect(detail.assignee).toEqual({ id: executor.user.id, full_name: executor.user.full_name })
    expect(detail.category?.id).toBe(ticket.category_id)
    expect(detail.messages.map((m) => [m.id, m.author_name])).toEqual([
      [external.id, executor.user.full_name],
      [note.id, executor.user.full_name],
    ])
    expect(detail.events.map((e) => e.kind)).toEqual(['message', 'note'])
    expect(detail.attachments).toHaveLength(2)
    const audit = (await ticketTrail(db, ticket.id)).audit.at(-1)
    expect(audit).toMatchObject({ action: 'ticket.view', actor_id: executor.user.id, subject_id: requester.user.id })
    expect(Number(audit?.pdn_related)).toBe(1)
  })

  test('the requester sees their ticket without internal notes, their events or files', async () => {
    const { requester, ticket, external } = await ticketWithTimeline()
    const detail = await viewTicket(db, requester.actor, { ticketId: ticket.id })
    expect(detail.messages.map((m) => m.id)).toEqual([external.id])
    expect(detail.events.map((e) => e.kind)).toEqual(['message'])
    expect(detail.attachments.map((a) => a.message_id)).toEqual([external.id])
  })

  test("another requester gets not_found for someone else's ticket, and the probe is journaled", async () => {
    const { ticket } = await ticketWithTimeline()
    const stranger = await buildActor(db)
    await expect(viewTicket(db, stranger.actor, { ticketId: ticket.id })).rejects.toMatchObject({ code: 'not_found' })
    expect(await deniedAudit(db, ticket.id)).toMatchObject([{ action: 'ticket.view', actor_id: stranger.user.id }])
  })

  test('a view whose journal row cannot be written answers nothing (fail closed)', async () => {
    const { executor, ticket } = await ticketWithTimeline()
    // A real refusal by the database (a trigger), not a stand-in: on PostgreSQL the row is a statement of its own.
    const postgres = dialectOf(db) === 'postgres'
    const refuse = postgres
      ? [
          sql`create function refuse_journal() returns trigger language plpgsql as $$ begin raise exception 'журнал недоступен'; end $$`,
          sql`create trigger refuse_journal before insert on audit_log for each row execute function refuse_journal()`,
        ]
      : [
          sql`create trigger refuse_journal before insert on audit_log begin select raise(abort, 'журнал недоступен'); end`,
        ]
    for (const statement of refuse) await statement.execute(db)
    try {
      const journaled = (await ticketTrail(db, ticket.id)).audit.length
      await expect(viewTicket(db, executor.actor, { ticketId: ticket.id })).rejects.toThrow('журнал недоступен')
      expect((await ticketTrail(db, ticket.id)).audit).toHaveLength(journaled)
    } finally {
      await sql`drop trigger refuse_journal${postgres ? sql` on audit_log` : sql``}`.execute(db)
      if (postgres) await sql`drop function refuse_journal()`.execute(db)
    }
    expect((await viewTicket(db, executor.actor, { ticketId: ticket.id })).ticket.id).toBe(ticket.id)
  })

  test('a missing ticket is not found', async () => {
    const executor = await buildUser(db, { role: 'executor' })
    const actor = { id: executor.id, role: executor.role, status: executor.status, channel: 'web' as const, ip: null }
    await expect(viewTicket(db, actor, { ticketId: 31_337 })).rejects.toMatchObject({ code: 'not_found' })
  })

  test('the requester sees whom each assignment named, the earlier assignee and an unassignment too', async () => {
    const requester = await buildActor(db)
    const curator = await buildActor(db, { role: 'curator' })
    const first = await buildActor(db, { role: 'executor', fullName: 'Первый Исполнитель' })
    const second = await buildActor(db, { role: 'executor', fullName: 'Второй Исполнитель' })
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    for (const assigneeId of [first.user.id, second.user.id, null, second.user.id]) {
      await assignTicket(db, curator.actor, { ticketId: ticket.id, assigneeId })
    }
    const detail = await viewTicket(db, requester.actor, { ticketId: ticket.id })
    const assignments = detail.events.filter((e) => e.kind === 'assigned').map((e) => e.target_name)
    expect(assignments).toEqual(['Первый Исполнитель', 'Второй Исполнитель', null, 'Второй Исполнитель'])
  })
})
