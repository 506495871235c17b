import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import type { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AppEnv } from '#src/api/env.ts'
import { MAX_FILES_PER_MESSAGE } from '#src/attachments/attach-files.ts'
import { MAX_FILE_BYTES, MAX_FILE_NAME } from '#src/attachments/file-store.ts'
import type { Attachment, Db } from '#src/db/schema.ts'
import { rowCount } from '../../test/support/database.ts'
import { buildCategory } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import {
  appWithDataFolder,
  multipartForm,
  PNG,
  postMultipart,
  removeDataFolders,
  type Upload,
} from '../../test/support/uploads.ts'
import { getPage, type WebUser, webUser } from '../../test/support/web.ts'

/**
 * B2 (TESTING.md): uploads through the real app on a real data folder. A refused upload leaves no file
 * under DATA_DIR/files and no row; an accepted one is served with nosniff, and only a real image of a
 * type we know is ever shown inline.
 */

let db: Db
let app: Hono<AppEnv>
let dataDir: string
let requester: WebUser
let stranger: WebUser
let executor: WebUser
let categoryId: number

beforeAll(async () => {
  const world = await appWithDataFolder('helpdesk-b2-')
  db = world.db
  app = world.app
  dataDir = world.dataDir
  requester = await webUser(db)
  stranger = await webUser(db)
  executor = await webUser(db, { role: 'executor' })
  categoryId = (await buildCategory(db)).id
})
afterAll(removeDataFolders)

const text = (s: string) => new TextEncoder().encode(s)
function post(url: string, who: WebUser, fields: Record<string, string>, files: Upload[], csrf = true) {
  return postMultipart(app, url, who, fields, files, { csrf })
}

/** What a refused upload must not change: every file under DATA_DIR/files (temporary ones too) and the rows. */
async function footprint() {
  let files: string[] = []
  try {
    files = readdirSync(path.join(dataDir, 'files'), { recursive: true, encoding: 'utf8' })
      .filter((name) => statSync(path.join(dataDir, 'files', name)).isFile())
      .sort()
  } catch {}
  const count = (table: 'attachments' | 'tickets' | 'ticket_messages') => rowCount(db, table)
  return {
    files,
    attachments: await count('attachments'),
    tickets: await count('tickets'),
    messages: await count('ticket_messages'),
  }
}

async function rowsOf(ticketId: number): Promise<Attachment[]> {
  return db.selectFrom('attachments').selectAll().where('ticket_id', '=', ticketId).orderBy('id').execute()
}

async function download(ticketId: number, fileId: number, who: WebUser) {
  const response = await app.request(`/tickets/${ticketId}/files/${fileId}`, { headers: { cookie: who.cookie } })
  await response.arrayBuffer()
  return response
}

let made = 0
/** Small text files, each with content no other upload here has (so none is already on disk). */
const some = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `лог-${i}.txt`, type: 'text/plain', bytes: text(`строка ${++made}`) }))

describe('B2: refused uploads leave no file and no row', () => {
  const own = () => buildTicket(db, { requesterId: requester.user.id, status: 'in_progress' })
  const cases: Array<{
    name: string
    send: () => Promise<{ status: number; text: string }>
    status: number
    says?: string
  }> = [
    {
      name: 'an empty file on a message',
      send: async () =>
        post(`/tickets/${(await own()).id}/messages`, requester, { body: 'Вот' }, [
          { name: 'пусто.txt', type: 'text/plain', bytes: new Uint8Array(0) },
        ]),
      status: 422,
      says: 'Файл «пусто.txt» пустой',
    },
    {
      name: 'an empty file with a good one on a new ticket',
      send: () =>
        post('/tickets/new', requester, { description: 'Не печатает', category: String(categoryId) }, [
          { name: 'фото.png', type: 'image/png', bytes: PNG },
          { name: 'пусто.pdf', type: 'application/pdf', bytes: new Uint8Array(0) },
        ]),
      status: 422,
      says: 'пустой',
    },
    {
      name: 'a file over 20 MB',
      send: async () =>
        post(`/tickets/${(await own()).id}/messages`, requester, { body: 'Видео' }, [
          { name: 'видео.mp4', type: 'video/mp4', bytes: new Uint8Array(MAX_FILE_BYTES + 1) },
        ]),
      status: 422,
      says: 'больше 20 МБ',
    },
    {
      name: 'more files than a message may carry',
      send: async () =>
        post(`/tickets/${(await own()).id}/messages`, requester, { body: 'Логи' }, some(MAX_FILES_PER_MESSAGE + 1)),
      status: 422,
      says: `Не больше ${MAX_FILES_PER_MESSAGE} файлов`,
    },
    {
      name: 'by a requester on someone else’s ticket',
      send: async () =>
        post(`/tickets/${(await own()).id}/messages`, stranger, { body: 'Чужая' }, [
          { name: 'a.png', type: 'image/png', bytes: PNG },
        ]),
      status: 404,
    },
    {
      name: 'on a ticket that does not exist',
      send: () => post('/tickets/999999/messages', executor, { body: 'Нет' }, some(2)),
      status: 404,
    },
    {
      name: 'by its requester on a closed ticket',
      send: async () =>
        post(
          `/tickets/${(await buildTicket(db, { requesterId: requester.user.id, status: 'closed' })).id}/messages`,
          requester,
          { body: 'Ещё' },
          some(1),
        ),
      status: 422,
      says: 'создайте новую заявку',
    },
    {
      name: 'an internal note by a requester',
      send: async () =>
        post(`/tickets/${(await own()).id}/messages`, requester, { body: 'Тайно', kind: 'internal' }, some(1)),
      status: 422,
    },
    {
      name: 'without the CSRF token',
      send: async () => post(`/tickets/${(await own()).id}/messages`, requester, { body: 'Вот' }, some(1), false),
      status: 403,
    },
    {
      name: 'a new ticket on behalf of someone else, by a requester',
      send: () =>
        post(
          '/tickets/new',
          requester,
          { description: 'За соседа', category: String(categoryId), requester: String(stranger.user.id) },
          some(1),
        ),
      status: 422,
    },
    {
      name: 'a new ticket refused after its files were stored (no description)',
      send: () => post('/tickets/new', requester, { description: ' ', category: String(categoryId) }, some(2)),
      status: 422,
      says: 'Заполните поле «Описание»',
    },
    {
      name: 'a new ticket refused after its files were stored (a disabled category)',
      send: async () => {
        const disabled = await buildCategory(db, { active: false })
        return post('/tickets/new', requester, { description: 'Вот', category: String(disabled.id) }, some(1))
      },
      status: 422,
    },
  ]

  test.each(cases)('$name', async ({ send, status, says }) => {
    // Tickets made for the case are not part of what the upload may change.
    const before = await footprint()
    const response = await send()
    const after = await footprint()
    expect(response.status).toBe(status)
    if (says) expect(response.text).toContain(says)
    expect({ ...after, tickets: 0 }).toEqual({ ...before, tickets: 0 })
  })

  test('a client that goes away mid-upload leaves nothing behind', async () => {
    const ticket = await own()
    const before = await footprint()
    const encoded = new Response(
      multipartForm(requester, { body: 'Вот' }, [{ name: 'a.bin', type: '', bytes: new Uint8Array(256 * 1024) }]),
    )
    const contentType = encoded.headers.get('content-type') ?? ''
    const whole = new Uint8Array(await encoded.arrayBuffer())
    let sent = false
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) {
          controller.error(new Error('client went away'))
          return
        }
        sent = true
        controller.enqueue(whole.subarray(0, 100 * 1024))
      },
    })
    const response = await app.request(`/tickets/${ticket.id}/messages`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { cookie: requester.cookie, 'content-type': contentType },
    } as RequestInit)
    // The body never arrived whole: refused as a bad request (the form cannot even be read for its CSRF token).
    expect(response.status).toBe(400)
    const after = await footprint()
    expect({ ...after, tickets: 0 }).toEqual({ ...before, tickets: 0 })
  })
})

/** What a Content-Disposition may hold: printable ASCII, the fallback quoted, the real name %-encoded. */
const SAFE_DISPOSITION =
  /^(inline|attachment); filename="[\x20\x21\x23-\x5b\x5d-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%._~!$&+^`|-]*$/

/** Characters no shown or stored name may keep: controls, bidi controls, zero-width, path separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff/\\]/

describe('B2: accepted uploads are served safely', () => {
  test('content that is not what its name says is only ever a download, with nosniff', async () => {
    const ticket = await buildTicket(db, { requesterId: requester.user.id, status: 'in_progress' })
    const uploads: Upload[] = [
      { name: 'фото.jpg', type: 'image/jpeg', bytes: text('<html><script>alert(document.cookie)</script></html>') },
      { name: 'скан.jpg', type: 'image/jpeg', bytes: Uint8Array.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0]) },
      {
        name: 'схема.png',
        type: 'image/png',
        bytes: text('<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'),
      },
      {
        name: 'logo.svg',
        type: 'image/svg+xml',
        bytes: text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'),
      },
      { name: 'page.html', type: 'text/html', bytes: text('<script>alert(3)</script>') },
      { name: 'real.gif.png', type: 'image/png', bytes: PNG },
    ]
    const sent = await post(`/tickets/${ticket.id}/messages`, requester, { body: 'Файлы' }, uploads)
    expect(sent.status).toBe(303)
    const rows = await rowsOf(ticket.id)
    expect(rows.map((r) => r.mime_type)).toEqual([
      'application/octet-stream',
      'application/octet-stream',
      'application/octet-stream',
      'image/svg+xml',
      'text/html',
      'image/png',
    ])
    const page = await getPage(app, `/tickets/${ticket.id}`, requester)
    for (const row of rows) {
      const served = await download(ticket.id, row.id, requester)
      expect(served.status).toBe(200)
      expect(served.headers.get('x-content-type-options')).toBe('nosniff')
      expect(served.headers.get('content-disposition')).toMatch(SAFE_DISPOSITION)
      const image = row.file_name === 'real.gif.png'
      expect(served.headers.get('content-type')).toBe(image ? 'image/png' : 'application/octet-stream')
      expect(served.headers.get('content-disposition')?.split(';')[0]).toBe(image ? 'inline' : 'attachment')
      // Only the real image is previewed on the page.
      expect(page.text.includes(`<img src="/tickets/${ticket.id}/files/${row.id}"`)).toBe(image)
    }
  })

  test('names with a path, NUL, bidi overrides, zero-width characters or 300 characters are made safe', async () => {
    const ticket = await buildTicket(db, { requesterId: requester.user.id, status: 'in_progress' })
    const names = [
      '../../etc/passwd',
      '..\\..\\boot.ini',
      'отчёт\u0000.pdf',
      'photo\u202Egpj.exe',
      'invoice\u2066\u2069\u200B\u200D\uFEFF.txt',
      'tab\there.txt',
      `${'я'.repeat(300)}.docx`,
    ]
    const uploads = names.map((name, i) => ({ name, type: 'text/plain', bytes: text(`файл ${i}`) }))
    const sent = await post(`/tickets/${ticket.id}/messages`, requester, { body: 'Имена' }, uploads)
    expect(sent.status).toBe(303)
    const rows = await rowsOf(ticket.id)
    expect(rows).toHaveLength(names.length)
    for (const row of rows) {
      expect(row.file_name).not.toMatch(UNSAFE)
      expect(Array.from(row.file_name).length).toBeLessThanOrEqual(MAX_FILE_NAME)
      const disposition = (await download(ticket.id, row.id, requester)).headers.get('content-disposition') ?? ''
      expect(disposition).toMatch(SAFE_DISPOSITION)
      expect(decodeURIComponent(disposition.split("UTF-8''")[1] ?? '')).toBe(row.file_name)
    }
    expect(rows.map((r) => r.file_name)).toEqual(
      expect.arrayContaining(['.._.._etc_passwd', 'photogpj.exe', 'invoice.txt', `${'я'.repeat(195)}.docx`]),
    )
    const page = await getPage(app, `/tickets/${ticket.id}`, requester)
    expect(page.text).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200b\ufeff]/)
  })

  test('a name kept before names were made safe is served and shown safe', async () => {
    const ticket = await buildTicket(db, { requesterId: requester.user.id, status: 'in_progress' })
    await post(`/tickets/${ticket.id}/messages`, requester, { body: 'Старое' }, some(1))
    const [row] = await rowsOf(ticket.id)
    if (!row) throw new Error('no attachment')
    await db.updateTable('attachments').set({ file_name: 'счёт\u202Efdp.exe\r\n' }).where('id', '=', row.id).execute()
    const disposition = (await download(ticket.id, row.id, requester)).headers.get('content-disposition')
    expect(disposition).toMatch(SAFE_DISPOSITION)
    expect(disposition).toContain(encodeURIComponent('счётfdp.exe'))
    expect((await getPage(app, `/tickets/${ticket.id}`, requester)).text).not.toContain('\u202E')
  })

  test('as many files as a message may carry are all kept', async () => {
    const ticket = await buildTicket(db, { requesterId: requester.user.id, status: 'in_progress' })
    const sent = await post(`/tickets/${ticket.id}/messages`, executor, { body: 'Много' }, some(MAX_FILES_PER_MESSAGE))
    expect(sent.status).toBe(303)
    expect(await rowsOf(ticket.id)).toHaveLength(MAX_FILES_PER_MESSAGE)
  })
})
