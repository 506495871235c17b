import { readFile } from 'node:fs/promises'
import pino from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { MAX_FILE_BYTES, storedFilePath } from '#src/attachments/file-store.ts'
import type { UpdatePreparer } from '#src/bot/apply-update.ts'
import type { BotContext } from '#src/bot/context.ts'
import { type PreparedFiles, preparedFiles } from '#src/bot/download-files.ts'
import { fileSubjects } from '#src/bot/texts.ts'
import type { Db, UserStatus } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { type FakeMax, type FakeMaxPerson, type MaxSentUpdate, startFakeMax } from '../../test/support/fake-max.ts'
import { tempDirs } from '../../test/support/temp-dirs.ts'
import { MaxApi } from './max-api.ts'
import { createMaxFileDownloader, maxFilesOf } from './max-files.ts'
import type { MaxAttachment, MaxMessageCreatedUpdate, MaxUpdate } from './max-types.ts'

/**
 * The files of a MAX message, fetched before the update's transaction (issue 15), from the fake MAX server's
 * signed file URLs into a real data folder, for people found in a real database.
 */
const tempDir = tempDirs('helpdesk-max-files-')
let db: Db
let fake: FakeMax
let dataDir: string
let prepare: UpdatePreparer<MaxUpdate>

beforeAll(async () => {
  db = (await testDatabase()).db
  fake = await startFakeMax()
})
afterAll(async () => {
  await fake.close()
})
beforeEach(() => {
  dataDir = tempDir()
  prepare = downloader()
})

function downloader(options: { downloadLimit?: number } = {}): UpdatePreparer<MaxUpdate> {
  const api = new MaxApi({ token: fake.token, apiRoot: fake.apiRoot, timeoutMs: 5000, ...options })
  return createMaxFileDownloader({ api, dataDir, logger: pino({ level: 'silent' }), db })
}

let nextMaxId = 8_400_000

/** A person in MAX with a users row in this status (bound by their MAX user id). */
async function person(status: UserStatus = 'active'): Promise<FakeMaxPerson> {
  const maxId = ++nextMaxId
  const user = await buildUser(db, { telegramChatId: null, status })
  await db
    .updateTable('users')
    .set({ max_user_id: String(maxId) })
    .where('id', '=', user.id)
    .execute()
  return fake.user(maxId)
}

function messageOf(sent: MaxSentUpdate): MaxMessageCreatedUpdate {
  const update = fake.pendingUpdates().find((u) => u.seq === sent.seq)?.update
  if (update?.update_type !== 'message_created') throw new Error('a message expected')
  return update
}

/** One message carrying these attachments (MAX sends several photos as one message). */
function withAttachments(sent: MaxSentUpdate, attachments: MaxAttachment[]): MaxMessageCreatedUpdate {
  const update = structuredClone(messageOf(sent))
  update.message.body.attachments = attachments
  return update
}

function attachmentsOf(sent: MaxSentUpdate): MaxAttachment[] {
  return messageOf(sent).message.body.attachments ?? []
}

async function run(update: MaxUpdate, lastTry = false): Promise<PreparedFiles | undefined> {
  return (await prepare(update, { lastTry })) as PreparedFiles | undefined
}

async function storedBytes(sha256: string): Promise<Buffer> {
  return readFile(storedFilePath(dataDir, sha256))
}

describe('MAX files: what is fetched', () => {
  test('a photo and a named file of an active person are stored, in order, and reach the dialogues', async () => {
    const p = await person()
    const photoBytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)])
    const fileBytes = Buffer.from('%PDF-1.4 акт о неисправности')
    const photo = p.sendPhoto({ content: photoBytes })
    const file = p.sendFile({ fileName: 'акт.pdf', content: fileBytes })
    const update = withAttachments(photo, [...attachmentsOf(photo), ...attachmentsOf(file)])
    const result = await run(update)
    expect(result).toMatchObject({ tooLarge: [], failed: 0, empty: [] })
    expect(result?.files.map((f) => [f.size, f.fileName])).toEqual([
      [photoBytes.length, expect.any(String)],
      [fileBytes.length, 'акт.pdf'],
    ])
    expect(await storedBytes(result?.files[0]?.sha256 ?? '')).toEqual(photoBytes)
    expect(await storedBytes(result?.files[1]?.sha256 ?? '')).toEqual(fileBytes)
    expect(
      fake
        .callsOf('download')
        .slice(-2)
        .map((c) => c.status),
    ).toEqual([200, 200])
    // The dialogues find them as the message's files (the same tag Telegram's preparer puts on its result).
    const ctx = { scope: { prepared: result } } as unknown as BotContext
    expect(preparedFiles(ctx)).toBe(result)
  })

  test('video and audio are fetched like the rest', async () => {
    const p = await person()
    const sent = p.sendFile({ content: Buffer.from('RIFF-видео') })
    const url = (attachmentsOf(sent)[0] as { payload: { url: string; token: string } }).payload
    const result = await run(
      withAttachments(sent, [
        { type: 'video', payload: url },
        { type: 'audio', payload: url },
      ]),
    )
    expect(result?.files).toHaveLength(2)
    expect(result?.files[0]?.size).toBe(Buffer.byteLength('RIFF-видео'))
  })

  test('nothing is fetched for someone not active, for a group chat, a bot, or an update without files', async () => {
    const before = fake.callsOf('download').length
    for (const status of ['pending', 'deactivated'] as const) {
      const p = await person(status)
      expect(await run(messageOf(p.sendPhoto()))).toBeUndefined()
    }
    const stranger = fake.user(8_499_999)
    expect(await run(messageOf(stranger.sendPhoto()))).toBeUndefined()

    const p = await person()
    const photo = messageOf(p.sendPhoto())
    const inChat = structuredClone(photo)
    inChat.message.recipient.chat_type = 'chat'
    expect(await run(inChat)).toBeUndefined()
    const byBot = structuredClone(photo)
    if (byBot.message.sender) byBot.message.sender.is_bot = true
    expect(await run(byBot)).toBeUndefined()
    expect(await run(messageOf(p.send('Просто текст')))).toBeUndefined()
    expect(await run(messageOf(p.shareContact({ phone: '+79001112233' })))).toBeUndefined()
    expect(await run(structuredClone({ ...photo, update_type: 'message_edited' }) as MaxUpdate)).toBeUndefined()
    expect(fake.callsOf('download')).toHaveLength(before)
    // The same photo of an active person in their dialog is fetched.
    expect((await run(photo))?.files).toHaveLength(1)
  })

  test('maxFilesOf: attachments without a download URL (stickers, keyboards, contacts) are skipped', () => {
    const files = maxFilesOf([
      { type: 'image', payload: { photo_id: 1, url: 'https://i.example/1', token: 't' } },
      { type: 'sticker', payload: { url: 'https://s.example/1', code: 'x' } },
      { type: 'inline_keyboard', payload: { buttons: [] } },
      { type: 'contact', payload: { vcf_info: 'BEGIN:VCARD' } },
      { type: 'file', payload: { url: 'https://f.example/2', token: 't' }, filename: '', size: 10 },
      { type: 'audio', payload: {} as { url: string; token: string } },
    ])
    expect(files.map((f) => [f.url, f.subject])).toEqual([
      ['https://i.example/1', fileSubjects.photo],
      ['https://f.example/2', fileSubjects.file],
    ])
  })
})

describe('MAX files: what goes wrong', () => {
  test('a file declared over 20 MB is named in tooLarge and never fetched', async () => {
    const p = await person()
    const sent = p.sendFile({ fileName: 'снимок.dcm', content: Buffer.from('small') })
    const [attachment] = attachmentsOf(sent)
    const declared = { ...(attachment as MaxAttachment & { size: number }), size: MAX_FILE_BYTES + 1 }
    const before = fake.callsOf('download').length
    const result = await run(withAttachments(sent, [declared as MaxAttachment]))
    expect(result).toMatchObject({ files: [], tooLarge: [fileSubjects.named('снимок.dcm')], failed: 0 })
    expect(fake.callsOf('download')).toHaveLength(before)
  })

  test('a file that turns out larger than the limit while downloading is too large as well', async () => {
    prepare = downloader({ downloadLimit: 1000 })
    const p = await person()
    const result = await run(messageOf(p.sendPhoto({ size: 5000 })))
    expect(result).toMatchObject({ files: [], tooLarge: [fileSubjects.photo], failed: 0 })
  })

  test('an empty file is named in empty, not stored', async () => {
    const p = await person()
    const result = await run(messageOf(p.sendFile({ fileName: 'пусто.txt', content: Buffer.alloc(0) })))
    expect(result).toMatchObject({ files: [], empty: [fileSubjects.named('пусто.txt')], failed: 0 })
  })

  test('a file MAX refuses for good (4xx) counts failed, and the others of the message still come', async () => {
    const p = await person()
    const first = p.sendPhoto()
    const second = p.sendPhoto()
    fake.inject('download', { status: 403, code: 'access.denied' })
    const result = await run(withAttachments(first, [...attachmentsOf(first), ...attachmentsOf(second)]))
    expect(result).toMatchObject({ failed: 1, tooLarge: [] })
    expect(result?.files).toHaveLength(1)
  })

  test('a URL that is not http(s) counts failed without a request', async () => {
    const p = await person()
    const sent = p.sendPhoto()
    const before = fake.callsOf('download').length
    const forged: MaxAttachment = { type: 'image', payload: { photo_id: 1, url: 'file:///etc/passwd', token: 't' } }
    const result = await run(withAttachments(sent, [forged]))
    expect(result).toMatchObject({ files: [], failed: 1 })
    expect(fake.callsOf('download')).toHaveLength(before)
  })

  test('5xx or 429 throws, so the update is tried again; on its last try the file counts failed', async () => {
    const p = await person()
    const update = messageOf(p.sendPhoto())
    fake.inject('download', { status: 502 })
    await expect(run(update)).rejects.toMatchObject({ status: 502 })
    fake.inject('download', { status: 429, retryAfter: 1 })
    await expect(run(update)).rejects.toMatchObject({ status: 429 })
    fake.inject('download', { status: 503 })
    expect(await run(update, true)).toMatchObject({ files: [], failed: 1 })
    // Once MAX answers again, the same update brings the file.
    expect((await run(update))?.files).toHaveLength(1)
  })
})
