import { readdirSync } from 'node:fs'
import path from 'node:path'
import type { Hono } from 'hono'
import { afterAll, describe, expect, test } from 'vitest'
import type { AppEnv } from '#src/api/env.ts'
import { MAX_FILE_BYTES } from '#src/attachments/file-store.ts'
import type { Db } from '#src/db/schema.ts'
import { buildCategory } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { appWithDataFolder, PNG, postMultipart, removeDataFolders } from '../../test/support/uploads.ts'
import { getPage, inlineProblems, type WebUser, webUser } from '../../test/support/web.ts'
import { contentDisposition } from './ticket-files.routes.tsx'

afterAll(removeDataFolders)

async function attachmentsOf(db: Db, ticketId: number) {
  return db.selectFrom('attachments').selectAll().where('ticket_id', '=', ticketId).orderBy('id').execute()
}

function storedFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'files')
  try {
    return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => /[0-9a-f]{64}$/.test(f))
  } catch {
    return []
  }
}

async function download(app: Hono<AppEnv>, url: string, who: WebUser) {
  const response = await app.request(url, { headers: { cookie: who.cookie } })
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) }
}

describe('files on the web', () => {
  test('a requester files a ticket with a photo and a document: both are stored, the page previews the photo', async () => {
    const { db, app, dataDir } = await appWithDataFolder()
    const who = await webUser(db)
    const category = await buildCategory(db, { name: 'Принтеры' })
    const pdf = new TextEncoder().encode('%PDF-1.4 тест')
    const created = await postMultipart(
      app,
      '/tickets/new',
      who,
      { description: 'Принтер мигает красным', category: String(category.id) },
      [
        { name: 'принтер.png', type: 'image/png', bytes: PNG },
        { name: 'акт.pdf', type: 'application/pdf', bytes: pdf },
      ],
    )
    expect(created.status).toBe(303)
    const ticketId = Number(created.location?.split('/').at(-1))
    const rows = await attachmentsOf(db, ticketId)
    expect(rows).toMatchObject([
      { message_id: null, file_name: 'принтер.png', mime_type: 'image/png', size: PNG.byteLength },
      { message_id: null, file_name: 'акт.pdf', mime_type: 'application/pdf', size: pdf.byteLength },
    ])
    expect(storedFiles(dataDir)).toHaveLength(2)

    const page = await getPage(app, `/tickets/${ticketId}`, who)
    expect(page.text).toContain(`<img src="/tickets/${ticketId}/files/${rows[0]?.id}"`)
    expect(page.text).toContain(`href="/tickets/${ticketId}/files/${rows[1]?.id}"`)
    expect(page.text).toContain('акт.pdf')
    expect(inlineProblems(page.text)).toEqual([])

    const image = await download(app, `/tickets/${ticketId}/files/${rows[0]?.id}`, who)
    expect(image.status).toBe(200)
    expect(image.headers.get('content-type')).toBe('image/png')
    expect(image.headers.get('content-disposition')).toMatch(/^inline; /)
    expect(image.headers.get('x-content-type-options')).toBe('nosniff')
    expect(Buffer.from(image.bytes).equals(Buffer.from(PNG))).toBe(true)

    const document = await download(app, `/tickets/${ticketId}/files/${rows[1]?.id}`, who)
    expect(document.headers.get('content-type')).toBe('application/octet-stream')
    expect(document.headers.get('content-disposition')).toBe(
      `attachment; filename="___.pdf"; filename*=UTF-8''${encodeURIComponent('акт.pdf')}`,
    )
    expect(new TextDecoder().decode(document.bytes)).toBe('%PDF-1.4 тест')

    const reads = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'ticket.file_view')
      .where('result', '=', 'success')
      .execute()
    expect(reads).toHaveLength(2)
    expect(reads[0]).toMatchObject({ actor_id: who.user.id, object_id: String(ticketId), pdn_related: 1 })
  })

  test('content that a browser would run is only ever a download, never shown with its own type', async () => {
    const { db, app } = await appWithDataFolder()
    const who = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: who.user.id })
    const html = new TextEncoder().encode('<script>alert(1)</script>')
    const sent = await postMultipart(app, `/tickets/${ticket.id}/messages`, who, { body: 'Вот', kind: 'external' }, [
      { name: 'page.html', type: 'text/html', bytes: html },
      { name: 'pic.svg', type: 'image/svg+xml', bytes: new TextEncoder().encode('<svg/>') },
    ])
    expect(sent.status).toBe(303)
    for (const row of await attachmentsOf(db, ticket.id)) {
      const file = await download(app, `/tickets/${ticket.id}/files/${row.id}`, who)
      expect(file.status).toBe(200)
      expect(file.headers.get('content-type')).toBe('application/octet-stream')
      expect(file.headers.get('content-disposition')).toMatch(/^attachment; /)
    }
  })

  test('a reply carries several files; files of an internal note reach staff only; other tickets 404', async () => {
    const { db, app } = await appWithDataFolder()
    const executor = await webUser(db, { role: 'executor' })
    const requester = await webUser(db)
    const stranger = await webUser(db)
    const ticket = await buildTicket(db, {
      requesterId: requester.user.id,
      assigneeId: executor.user.id,
      status: 'in_progress',
    })
    const other = await buildTicket(db, { requesterId: stranger.user.id })

    const reply = await postMultipart(
      app,
      `/tickets/${ticket.id}/messages`,
      executor,
      { body: 'Схема подключения', kind: 'external' },
      [
        { name: 'схема.png', type: 'image/png', bytes: PNG },
        { name: 'readme.txt', type: 'text/plain', bytes: new TextEncoder().encode('текст') },
      ],
    )
    expect(reply.status).toBe(303)
    const note = await postMultipart(app, `/tickets/${ticket.id}/messages`, executor, { body: '', kind: 'internal' }, [
      { name: 'пароли-роутера.txt', type: 'text/plain', bytes: new TextEncoder().encode('секрет') },
    ])
    expect(note.status).toBe(303)
    const [picture, text, secret] = await attachmentsOf(db, ticket.id)
    if (!picture || !text || !secret) throw new Error('expected three attachments')
    expect(picture.message_id).toBe(text.message_id)
    expect(secret.message_id).not.toBe(picture.message_id)

    const asRequester = await getPage(app, `/tickets/${ticket.id}`, requester)
    expect(asRequester.text).toContain('схема.png')
    expect(asRequester.text).toContain('readme.txt')
    expect(asRequester.text).not.toContain('пароли-роутера')
    const asStaff = await getPage(app, `/tickets/${ticket.id}`, executor)
    expect(asStaff.text).toContain('пароли-роутера.txt')

    const url = (id: number, ticketId = ticket.id) => `/tickets/${ticketId}/files/${id}`
    expect((await download(app, url(picture.id), requester)).status).toBe(200)
    expect((await download(app, url(secret.id), requester)).status).toBe(404)
    expect((await download(app, url(secret.id), executor)).status).toBe(200)
    expect((await download(app, url(picture.id), stranger)).status).toBe(404)
    // A file named through another ticket's address is not found, whoever asks.
    expect((await download(app, url(picture.id, other.id), stranger)).status).toBe(404)
    expect((await download(app, url(picture.id, other.id), executor)).status).toBe(404)
    expect((await download(app, '/tickets/abc/files/1', executor)).status).toBe(404)
    expect((await download(app, url(999_999), executor)).status).toBe(404)

    const denied = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'ticket.file_view')
      .where('result', '=', 'denied')
      .execute()
    expect(denied.map((row) => row.actor_id)).toEqual(expect.arrayContaining([requester.user.id, stranger.user.id]))
  })

  test('a file over 20 MB is refused in Russian with the draft kept, and nothing is stored', async () => {
    const { db, app, dataDir } = await appWithDataFolder()
    const who = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: who.user.id })
    const big = new Uint8Array(MAX_FILE_BYTES + 1)
    const refused = await postMultipart(
      app,
      `/tickets/${ticket.id}/messages`,
      who,
      { body: 'Фото экрана', kind: 'external' },
      [
        { name: 'экран.png', type: 'image/png', bytes: PNG },
        { name: 'видео.mp4', type: 'video/mp4', bytes: big },
      ],
    )
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Файл «видео.mp4» больше 20 МБ')
    expect(refused.text).toContain('Фото экрана')
    expect(await attachmentsOf(db, ticket.id)).toEqual([])
    expect(await db.selectFrom('ticket_messages').select('id').where('ticket_id', '=', ticket.id).execute()).toEqual([])
    expect(storedFiles(dataDir)).toEqual([])

    const category = await buildCategory(db)
    const newTicket = await postMultipart(
      app,
      '/tickets/new',
      who,
      { description: 'Большое видео', category: String(category.id) },
      [{ name: 'видео.mp4', type: 'video/mp4', bytes: big }],
    )
    expect(newTicket.status).toBe(422)
    expect(newTicket.text).toContain('больше 20 МБ')
    expect(await db.selectFrom('tickets').select('id').where('description', '=', 'Большое видео').execute()).toEqual([])
    expect(storedFiles(dataDir)).toEqual([])
  })

  test('an upload larger than the whole-form limit is cut off before it is read', async () => {
    const { db, app, dataDir } = await appWithDataFolder()
    const who = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: who.user.id })
    const part = new Uint8Array(18 * 1024 * 1024)
    const refused = await postMultipart(
      app,
      `/tickets/${ticket.id}/messages`,
      who,
      { body: 'Три видео', kind: 'external' },
      [
        { name: 'a.mp4', type: 'video/mp4', bytes: part },
        { name: 'b.mp4', type: 'video/mp4', bytes: part },
        { name: 'c.mp4', type: 'video/mp4', bytes: part },
      ],
    )
    expect(refused.status).toBe(413)
    expect(refused.text).toContain('Файлы слишком большие')
    expect(await db.selectFrom('ticket_messages').select('id').where('ticket_id', '=', ticket.id).execute()).toEqual([])
    expect(storedFiles(dataDir)).toEqual([])
  })

  test('a file of a missing ticket is 404; without a session the address leads to the login', async () => {
    const { db, app } = await appWithDataFolder()
    const requester = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    expect((await download(app, `/tickets/${ticket.id + 100}/files/1`, requester)).status).toBe(404)
    const anonymous = await app.request(`/tickets/${ticket.id}/files/1`)
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('location')).toContain('/login')
  })
})

describe('content-disposition', () => {
  test('names a file in ASCII for old clients and in UTF-8 (RFC 5987) for the rest', () => {
    expect(contentDisposition('attachment', 'отчёт (итог).xlsx')).toBe(
      `attachment; filename="_____ (____).xlsx"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%20%28%D0%B8%D1%82%D0%BE%D0%B3%29.xlsx`,
    )
    expect(contentDisposition('inline', 'a"b\\c%.png')).toBe(
      `inline; filename="a_b_c_.png"; filename*=UTF-8''a%22b%5Cc%25.png`,
    )
  })
})

describe('the ticket pages in English', () => {
  test('the ticket page and the new ticket form speak the person’s language', async () => {
    const { db, app } = await appWithDataFolder()
    const who = await webUser(db)
    await db.updateTable('users').set({ language: 'en' }).where('id', '=', who.user.id).execute()
    const ticket = await buildTicket(db, { requesterId: who.user.id })
    const page = await getPage(app, `/tickets/${ticket.id}`, who)
    expect(page.text).toContain(`Ticket No. ${ticket.id}`)
    expect(page.text).toContain('Write to the IT department')
    expect(page.text).toContain('Files (photos, documents) — up to 20 MB each')
    expect(page.text).not.toContain('Написать в ИТ-отдел')
    const form = await getPage(app, '/tickets/new', who)
    expect(form.text).toContain('What happened, in short')
    expect(form.text).toContain('Send the ticket')
  })
})
