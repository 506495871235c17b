import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { enqueueBotMessage } from '#src/notify/outbox.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { clockAt } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildCategory } from '../../test/support/factories.ts'
import {
  deleteOldFormSubmissions,
  deleteOldIdempotencyKeys,
  deleteReadNotifications,
  SCRUBBED_PAYLOAD,
  scrubFinishedJobs,
  scrubFinishedNotices,
} from './retention.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

const DAY = 24 * 60 * 60_000

describe('retention of the core rows', () => {
  test('a finished job loses its payload a week after it finished; a pending one, or a fresh one, keeps it', async () => {
    clockAt(0)
    const payload = JSON.stringify({ query: 'q=Емельянова' })
    const job = (status: 'pending' | 'done' | 'failed', finished: boolean, key: string) => ({
      kind: 'scrub-test',
      payload,
      run_at: now(),
      status,
      last_error: null,
      locked_until: null,
      unique_key: key,
      created_at: now(),
      finished_at: finished ? now() : null,
    })
    await db
      .insertInto('jobs')
      .values([job('done', true, 'a'), job('failed', true, 'b'), job('pending', false, 'c')])
      .execute()
    clockAt(6 * DAY)
    await db
      .insertInto('jobs')
      .values(job('done', true, 'd'))
      .execute()
    clockAt(7 * DAY + 1)
    expect(await scrubFinishedJobs(db)).toBe(2)
    expect(await scrubFinishedJobs(db)).toBe(0)
    const rows = await db
      .selectFrom('jobs')
      .select(['unique_key', 'payload'])
      .where('kind', '=', 'scrub-test')
      .execute()
    const scrubbed = Object.fromEntries(rows.map((r) => [r.unique_key, r.payload === SCRUBBED_PAYLOAD]))
    expect(scrubbed).toEqual({ a: true, b: true, c: false, d: false })
  })

  test('a finished notice loses its payload after a week; a pending one, or a fresh one, keeps it', async () => {
    clockAt(0)
    const text = { text: 'Ссылка для входа: http://helpdesk/login/telegram/секрет' }
    await transact(db, async (tx) => {
      for (const chat of ['1', '2', '3']) await enqueueBotMessage(tx, chat, text)
    })
    const [sentOld, failedOld] = await db.selectFrom('outbox').select('id').orderBy('id').execute()
    await db
      .updateTable('outbox')
      .set({ status: 'sent' })
      .where('id', '=', sentOld?.id ?? 0)
      .execute()
    await db
      .updateTable('outbox')
      .set({ status: 'failed' })
      .where('id', '=', failedOld?.id ?? 0)
      .execute()
    clockAt(6 * DAY)
    await transact(db, (tx) => enqueueBotMessage(tx, '4', text))
    await db.updateTable('outbox').set({ status: 'sent' }).where('recipient', '=', '4').execute()

    clockAt(7 * DAY + 1)
    expect(await scrubFinishedNotices(db)).toBe(2)
    expect(await scrubFinishedNotices(db)).toBe(0)

    const rows = await db.selectFrom('outbox').select(['id', 'recipient', 'payload', 'status']).orderBy('id').execute()
    expect(rows.map((r) => [r.recipient, r.status, r.payload === SCRUBBED_PAYLOAD])).toEqual([
      ['1', 'sent', true],
      ['2', 'failed', true],
      ['3', 'pending', false],
      ['4', 'sent', false],
    ])
  })

  test('a web form’s once-token goes after a day', async () => {
    const { user } = await buildActor(db, { role: 'requester' })
    clockAt(0)
    await db
      .insertInto('form_submissions')
      .values({ user_id: user.id, token: 'old', location: '/x', created_at: now() })
      .execute()
    clockAt(DAY - 60_000)
    await db
      .insertInto('form_submissions')
      .values({ user_id: user.id, token: 'new', location: null, created_at: now() })
      .execute()
    clockAt(DAY + 1)
    expect(await deleteOldFormSubmissions(db)).toBe(1)
    const tokens = await db.selectFrom('form_submissions').select('token').where('user_id', '=', user.id).execute()
    expect(tokens).toEqual([{ token: 'new' }])
  })

  test('a read notification of the bell goes three months after its reading; an unread one stays', async () => {
    const { user } = await buildActor(db, { role: 'executor' })
    const notice = (readAt: string | null) => ({
      user_id: user.id,
      ticket_id: null,
      kind: 'watch' as const,
      event_id: null,
      created_at: now(),
      read_at: readAt,
    })
    clockAt(0)
    await db
      .insertInto('web_notifications')
      .values([notice(now()), notice(null)])
      .execute()
    clockAt(60 * DAY)
    await db.insertInto('web_notifications').values(notice(now())).execute()
    clockAt(90 * DAY + 1)
    expect(await deleteReadNotifications(db)).toBe(1)
    const left = await db
      .selectFrom('web_notifications')
      .select(['read_at'])
      .where('user_id', '=', user.id)
      .orderBy('id')
      .execute()
    expect(left.map((row) => row.read_at === null)).toEqual([true, false])
  })

  test('idempotency keys go after a month; the tickets stay', async () => {
    const { actor } = await buildActor(db, { role: 'requester' })
    const category = await buildCategory(db)
    clockAt(0)
    const old = await createTicket(db, actor, { description: 'Старая', categoryId: category.id, idempotencyKey: 'a' })
    clockAt(20 * DAY)
    await createTicket(db, actor, { description: 'Свежая', categoryId: category.id, idempotencyKey: 'b' })

    clockAt(30 * DAY + 1)
    expect(await deleteOldIdempotencyKeys(db)).toBe(1)
    const keys = await db
      .selectFrom('idempotency_keys')
      .select('key')
      .where('user_id', '=', actor.id ?? 0)
      .execute()
    expect(keys.map((k) => k.key)).toEqual(['b'])
    expect(await db.selectFrom('tickets').select('id').where('id', '=', old.id).executeTakeFirst()).toBeDefined()
  })
})
