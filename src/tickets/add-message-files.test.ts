import { beforeAll, describe, expect, test } from 'vitest'
import type { StoredFile } from '#src/attachments/file-store.ts'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor } from '../../test/support/factories.ts'
import { buildTicket, deniedAudit } from '../../test/support/ticket-factory.ts'
import { addMessage } from './add-message.ts'
import { addMessageFiles } from './add-message-files.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

function photo(n: number): StoredFile {
  return {
    sha256: n.toString(16).padStart(64, '0'),
    size: 1000 + n,
    fileName: `photo-${n}.jpg`,
    mimeType: 'image/jpeg',
  }
}

async function filesOf(messageId: number) {
  return db
    .selectFrom('attachments')
    .select(['file_name', 'ticket_id', 'uploader_id'])
    .where('message_id', '=', messageId)
    .orderBy('id')
    .execute()
}

describe('addMessageFiles', () => {
  test('the later photos of an album join the message the first became', async () => {
    const { user, actor } = await buildActor(db, {}, 'bot')
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'in_progress' })
    const message = await addMessage(db, actor, {
      ticketId: ticket.id,
      body: 'Вот',
      internal: false,
      attachments: [photo(1)],
    })
    await addMessageFiles(db, actor, { messageId: message.id, attachments: [photo(2), photo(3)] })
    expect(await filesOf(message.id)).toEqual(
      [1, 2, 3].map((n) => ({ file_name: `photo-${n}.jpg`, ticket_id: ticket.id, uploader_id: user.id })),
    )
    const journal = await db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('object_id', '=', String(ticket.id))
      .orderBy('id')
      .execute()
    expect(journal.at(-1)).toMatchObject({ action: 'ticket.message' })
    expect(JSON.parse(journal.at(-1)?.details ?? '{}')).toEqual({ messageId: message.id, attachments: 2 })
  })

  test('only one’s own message, on a ticket still open to the requester, up to 20 files', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'in_progress' })
    const message = await addMessage(db, actor, { ticketId: ticket.id, body: 'Текст', internal: false })

    const { actor: executor } = await buildActor(db, { role: 'executor' })
    await expect(
      addMessageFiles(db, executor, { messageId: message.id, attachments: [photo(4)] }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    })
    const { actor: stranger } = await buildActor(db)
    await expect(
      addMessageFiles(db, stranger, { messageId: message.id, attachments: [photo(4)] }),
    ).rejects.toMatchObject({
      code: 'not_found',
    })
    expect(await deniedAudit(db, ticket.id)).toHaveLength(2)
    const many = Array.from({ length: 21 }, (_, i) => photo(100 + i))
    await expect(addMessageFiles(db, actor, { messageId: message.id, attachments: many })).rejects.toMatchObject({
      code: 'validation',
    })
    await db.updateTable('tickets').set({ status: 'closed' }).where('id', '=', ticket.id).execute()
    await expect(addMessageFiles(db, actor, { messageId: message.id, attachments: [photo(5)] })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
    await expect(addMessageFiles(db, actor, { messageId: 999_999, attachments: [photo(6)] })).rejects.toMatchObject({
      code: 'not_found',
    })
    expect(await filesOf(message.id)).toEqual([])
  })
})
