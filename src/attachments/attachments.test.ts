import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildCategory, buildUser } from '../../test/support/factories.ts'
import { buildTicket, ticketTrail } from '../../test/support/ticket-factory.ts'
import { MAX_FILE_BYTES, openStoredFile, safeFileName, safeMimeType, storedFilePath, storeFile } from './file-store.ts'

let db: Db
let dataDir: string
beforeAll(async () => {
  db = (await testDatabase()).db
  dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-files-'))
})
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

describe('the file store', () => {
  test('stores a file once under its hash and reads it back', async () => {
    const bytes = new TextEncoder().encode('снимок экрана')
    const first = await storeFile(dataDir, bytes, { fileName: 'экран.txt', mimeType: 'text/plain' })
    const second = await storeFile(dataDir, bytes, { fileName: 'другое имя.txt', mimeType: 'text/plain' })

    expect(first).toEqual({
      sha256: sha256(bytes),
      size: bytes.byteLength,
      fileName: 'экран.txt',
      mimeType: 'text/plain',
    })
    expect(second.sha256).toBe(first.sha256)
    const folder = path.dirname(storedFilePath(dataDir, first.sha256))
    // One file, no temporary leftovers.
    expect(readdirSync(folder)).toEqual([first.sha256])
    expect(readFileSync(storedFilePath(dataDir, first.sha256))).toEqual(Buffer.from(bytes))
    const stream = await openStoredFile(dataDir, first.sha256)
    const chunks: Buffer[] = []
    for await (const chunk of stream ?? []) chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).toString()).toBe('снимок экрана')
  })

  test('a missing file is undefined, and a path never comes from anything but a hex digest', async () => {
    expect(await openStoredFile(dataDir, 'a'.repeat(64))).toBeUndefined()
    expect(() => storedFilePath(dataDir, '../../etc/passwd')).toThrow()
  })

  test('names and types from senders are made safe, and a file without them gets defaults', () => {
    const hash = 'ab'.repeat(32)
    expect(safeFileName('../../secret.txt', hash)).toBe('.._.._secret.txt')
    expect(safeFileName('a\u0000b"c\n.pdf', hash)).toBe('abc.pdf')
    expect(safeFileName(undefined, hash, 'image/jpeg')).toBe(`file-${hash.slice(0, 12)}.jpg`)
    expect(safeFileName('', hash, null)).toBe(`file-${hash.slice(0, 12)}.bin`)
    expect(Array.from(safeFileName('я'.repeat(500), hash))).toHaveLength(200)
    expect(safeMimeType(undefined)).toBe('application/octet-stream')
    expect(safeMimeType('text/html; charset=utf-8')).toBe('application/octet-stream')
    expect(safeMimeType('Image/PNG')).toBe('image/png')
  })
})

describe('attachments on tickets and messages', () => {
  test('a ticket filed with files keeps them on the ticket, journaled with their count', async () => {
    const { user, actor } = await buildActor(db, { role: 'requester' }, 'bot')
    const category = await buildCategory(db)
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0])
    const photo = await storeFile(dataDir, jpeg, { fileName: 'a.jpg', mimeType: 'image/jpeg' })
    const doc = await storeFile(dataDir, new Uint8Array([4, 5]), { fileName: null, mimeType: null })

    const ticket = await createTicket(db, actor, {
      description: 'Не печатает принтер',
      categoryId: category.id,
      attachments: [photo, doc],
    })

    const rows = await db
      .selectFrom('attachments')
      .selectAll()
      .where('ticket_id', '=', ticket.id)
      .orderBy('id')
      .execute()
    expect(rows).toMatchObject([
      {
        message_id: null,
        uploader_id: user.id,
        file_name: 'a.jpg',
        mime_type: 'image/jpeg',
        size: jpeg.byteLength,
        sha256: photo.sha256,
      },
      { message_id: null, uploader_id: user.id, mime_type: 'application/octet-stream', size: 2, sha256: doc.sha256 },
    ])
    const trail = await ticketTrail(db, ticket.id)
    expect(JSON.parse(trail.audit[0]?.details ?? '{}')).toMatchObject({ attachments: 2 })
  })

  test('a message may be files alone; its attachments point at it', async () => {
    const requester = await buildUser(db)
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { requesterId: requester.id })
    const file = await storeFile(dataDir, new Uint8Array([9]), { fileName: 'log.txt', mimeType: 'text/plain' })

    const message = await addMessage(db, actor, {
      ticketId: ticket.id,
      body: '  ',
      internal: false,
      attachments: [file],
    })

    expect(message.body).toBe('')
    const rows = await db.selectFrom('attachments').selectAll().where('ticket_id', '=', ticket.id).execute()
    expect(rows).toMatchObject([{ message_id: message.id, file_name: 'log.txt' }])
  })

  test('an empty message without files, or a file over 20 MB, is refused and nothing is written', async () => {
    const requester = await buildUser(db)
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { requesterId: requester.id })
    const huge = { sha256: 'c'.repeat(64), size: MAX_FILE_BYTES + 1, fileName: 'видео.mp4', mimeType: 'video/mp4' }

    await expect(addMessage(db, actor, { ticketId: ticket.id, body: ' ', internal: false })).rejects.toThrow(
      'Заполните поле «Сообщение»',
    )
    await expect(
      addMessage(db, actor, { ticketId: ticket.id, body: 'вот видео', internal: false, attachments: [huge] }),
    ).rejects.toThrow('Файл «видео.mp4» больше 20 МБ')
    const messages = await db.selectFrom('ticket_messages').select('id').where('ticket_id', '=', ticket.id).execute()
    const files = await db.selectFrom('attachments').select('id').where('ticket_id', '=', ticket.id).execute()
    expect([messages, files]).toEqual([[], []])
  })
})
