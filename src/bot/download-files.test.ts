import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Api } from 'grammy'
import type { Update } from 'grammy/types'
import pino from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { MAX_FILE_BYTES, storedFilePath } from '#src/attachments/file-store.ts'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { type FakeTelegram, startFakeTelegram } from '../../test/support/fake-telegram.ts'
import type { UpdatePreparer } from './apply-update.ts'
import { createFileDownloader, DownloadError, type PreparedFiles } from './download-files.ts'

let db: Db
let fake: FakeTelegram
let dataDir: string
let prepare: UpdatePreparer

beforeAll(async () => {
  db = (await testDatabase()).db
  fake = await startFakeTelegram()
  dataDir = await mkdtemp(path.join(tmpdir(), 'helpdesk-files-'))
  prepare = createFileDownloader({
    api: new Api(fake.token, { apiRoot: fake.apiRoot }),
    token: fake.token,
    apiRoot: fake.apiRoot,
    dataDir,
    logger: pino({ level: 'silent' }),
    db,
  })
  await buildUser(db, { status: 'active', telegramChatId: '9101' })
  await buildUser(db, { status: 'pending', telegramChatId: '9102' })
})
afterAll(async () => {
  await fake.close()
  await rm(dataDir, { recursive: true, force: true })
})
beforeEach(() => {
  fake.calls.length = 0
})

/** The update the fake queued last, as grammY types it. */
function lastUpdate(): Update {
  const update = fake.pendingUpdates().at(-1)
  if (!update) throw new Error('no update queued')
  return structuredClone(update) as unknown as Update
}

const notLast = { lastTry: false }

async function prepared(update: Update, attempt = notLast): Promise<PreparedFiles> {
  const result = (await prepare(update, attempt)) as PreparedFiles | undefined
  if (!result) throw new Error('nothing prepared')
  return result
}

function downloads(): number {
  return fake.calls.filter((c) => c.method === 'download').length
}

describe('downloading the files of a message before its transaction', () => {
  test('a photo: its largest size is stored on disk under its SHA-256', async () => {
    fake.user(9101).sendPhoto({ size: 150_000, caption: 'Принтер не печатает' })
    const result = await prepared(lastUpdate())

    expect(result.tooLarge).toEqual([])
    expect(result.failed).toBe(0)
    expect(result.files).toHaveLength(1)
    const [file] = result.files
    if (!file) throw new Error('no file')
    expect(file).toMatchObject({
      size: 150_000,
      mimeType: 'image/jpeg',
      fileName: `file-${file.sha256.slice(0, 12)}.jpg`,
    })
    const bytes = await readFile(storedFilePath(dataDir, file.sha256))
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256)
    expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff])
    expect(downloads()).toBe(1)
  })

  test('a document without a MIME type or a name gets safe defaults', async () => {
    fake.user(9101).sendDocument({ size: 3_000 })
    const [file] = (await prepared(lastUpdate())).files
    expect(file).toMatchObject({ size: 3_000, mimeType: 'application/octet-stream' })
    expect(file?.fileName).toMatch(/^file-[0-9a-f]{12}\.bin$/)
  })

  test('a named document keeps its name and type', async () => {
    fake.user(9101).sendDocument({ fileName: 'акт.pdf', mimeType: 'application/pdf', size: 4_000 })
    const [file] = (await prepared(lastUpdate())).files
    expect(file).toMatchObject({ fileName: 'акт.pdf', mimeType: 'application/pdf', size: 4_000 })
    const bytes = await readFile(storedFilePath(dataDir, file?.sha256 ?? ''), 'latin1')
    expect(bytes.startsWith('%PDF')).toBe(true)
  })

  test('a file over 20 MB is not downloaded, only named', async () => {
    const person = fake.user(9101)
    person.sendDocument({ fileName: 'запись.mp4', mimeType: 'video/mp4', size: MAX_FILE_BYTES + 1 })
    expect(await prepared(lastUpdate())).toEqual({ files: [], tooLarge: ['Файл «запись.mp4»'], failed: 0, empty: [] })
    person.sendPhoto({ size: MAX_FILE_BYTES + 10 })
    expect((await prepared(lastUpdate())).tooLarge).toEqual(['Фото'])
    expect(fake.callsOf('getFile')).toHaveLength(0)
    expect(downloads()).toBe(0)
  })

  test('an empty file (0 bytes) is not stored but named, as the web refuses one', async () => {
    fake.user(9101).sendDocument({ fileName: 'пусто.txt', mimeType: 'text/plain', size: 0 })
    expect(await prepared(lastUpdate())).toEqual({ files: [], tooLarge: [], failed: 0, empty: ['Файл «пусто.txt»'] })
  })

  test('a failed download throws (the update is tried again) and a retry stores the file', async () => {
    fake.user(9101).sendDocument({ fileName: 'log.txt', mimeType: 'text/plain', size: 1_000 })
    const update = lastUpdate()
    fake.failNext('download', { status: 502 })
    await expect(prepare(update, notLast)).rejects.toBeInstanceOf(DownloadError)
    fake.failNext('getFile', { status: 500 })
    await expect(prepare(update, notLast)).rejects.toMatchObject({ error_code: 500 })
    expect((await prepared(update)).files).toHaveLength(1)
  })

  test('a download that keeps failing is given up on the last try, so the chat is not held back', async () => {
    fake.user(9101).sendDocument({ fileName: 'отчёт.xlsx', size: 1_000 })
    const update = lastUpdate()
    fake.failNext('download', { status: 500 }, 3)
    await expect(prepare(update, notLast)).rejects.toBeInstanceOf(DownloadError)
    await expect(prepare(update, notLast)).rejects.toBeInstanceOf(DownloadError)
    expect(await prepared(update, { lastTry: true })).toEqual({ files: [], tooLarge: [], failed: 1, empty: [] })
  })

  test('a file Telegram refuses for good is counted, not retried', async () => {
    fake.user(9101).sendDocument({ size: 1_000 })
    const update = lastUpdate()
    if (!update.message?.document) throw new Error('no document')
    update.message.document.file_id = 'no-such-file'
    expect(await prepared(update)).toEqual({ files: [], tooLarge: [], failed: 1, empty: [] })
  })

  test('messages of people who are not active, strangers and text are not looked at', async () => {
    fake.user(9102).sendPhoto()
    expect(await prepare(lastUpdate(), notLast)).toBeUndefined()
    fake.user(9103).sendDocument()
    expect(await prepare(lastUpdate(), notLast)).toBeUndefined()
    fake.user(9101).send('просто текст')
    expect(await prepare(lastUpdate(), notLast)).toBeUndefined()
    expect(fake.callsOf('getFile')).toHaveLength(0)
  })
})
