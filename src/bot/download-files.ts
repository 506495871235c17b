import { readFile } from 'node:fs/promises'
import type { Agent } from 'node:http'
import { get as httpGet } from 'node:http'
import { get as httpsGet } from 'node:https'
import path from 'node:path'
import { type Api, GrammyError } from 'grammy'
import type { Message } from 'grammy/types'
import { MAX_FILE_BYTES, type StoredFile, storeFile } from '#src/attachments/file-store.ts'
import type { Db } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'
import { findUserByChatId } from '#src/users/user-store.ts'
import type { UpdatePreparer } from './apply-update.ts'
import type { BotContext } from './context.ts'
import { fileSubjects, newTicketTexts } from './texts.ts'

/**
 * Downloads the files of a message (photo, document, video, voice, audio) from the Bot API before the
 * update's transaction opens (apply-update.ts, `prepare`), and stores them by content hash
 * (attachments/file-store.ts). Only messages of active people in private chats are downloaded: nobody
 * else may attach anything, and a stranger must not be able to fill the disk.
 *
 * A file Telegram would not give (over 20 MB) is not fetched: its subject («Файл «скан.pdf»», «Фото»)
 * is listed in `tooLarge`, so that the person is told at once. A file Telegram refuses for good (a bad
 * file id) is counted in `failed`; an empty one (0 bytes) is not stored, and named in `empty`. Any other
 * failure (network, 5xx) throws: the update is tried again, and on its last try (apply-update.ts counts
 * the tries) the files that still fail are counted in `failed` and the rest goes on.
 *
 * The files are stored before the transaction, which may then refuse them (a closed ticket) or roll back:
 * they are left unreferenced, and the daily sweep (attachments/sweep-files.ts) takes them an hour later.
 */

export interface PreparedFiles {
  files: StoredFile[]
  /** Subjects of the files not downloaded because they exceed 20 MB, for «… больше 20 МБ». */
  tooLarge: string[]
  /** Files Telegram refused to hand over (not worth retrying). */
  failed: number
  /** Subjects of empty files (0 bytes): refused like the web refuses them, with a word why. */
  empty: string[]
}

export interface FileDownloaderDeps {
  api: Api
  token: string
  /** A local Bot API server or the fake one; default Telegram's. */
  apiRoot?: string
  dataDir: string
  logger: Logger
  db: Db
  /** The proxy agent (TELEGRAM_PROXY), used for the downloads too. */
  agent?: Agent
}

const TELEGRAM_API_ROOT = 'https://api.telegram.org'

/** A file a message carries, before it is downloaded. */
interface WantedFile {
  fileId: string
  size: number | undefined
  fileName: string | undefined
  mimeType: string | undefined
  subject: string
}

const tagged = new WeakSet<object>()

export function createFileDownloader(deps: FileDownloaderDeps): UpdatePreparer {
  const logger = deps.logger.child({ component: 'bot-files' })
  const root = (deps.apiRoot ?? TELEGRAM_API_ROOT).replace(/\/+$/, '')

  const fetchOne = async (wanted: WantedFile, result: PreparedFiles): Promise<void> => {
    if (wanted.size !== undefined && wanted.size > MAX_FILE_BYTES) {
      result.tooLarge.push(wanted.subject)
      return
    }
    let filePath: string | undefined
    try {
      const file = await deps.api.getFile(wanted.fileId)
      if (file.file_size !== undefined && file.file_size > MAX_FILE_BYTES) {
        result.tooLarge.push(wanted.subject)
        return
      }
      filePath = file.file_path
    } catch (error) {
      if (!(error instanceof GrammyError) || error.error_code !== 400) throw error
      if (/too big/i.test(error.description)) result.tooLarge.push(wanted.subject)
      else result.failed++
      return
    }
    if (!filePath) {
      result.failed++
      return
    }
    const bytes = path.isAbsolute(filePath)
      ? // A local Bot API server (--local) answers with a path on its own disk.
        await readFile(filePath)
      : await download(`${root}/file/bot${deps.token}/${encodePath(filePath)}`, deps.agent)
    if (bytes === 'too large' || bytes.byteLength > MAX_FILE_BYTES) {
      result.tooLarge.push(wanted.subject)
      return
    }
    await keepFile(deps.dataDir, bytes, wanted, result)
  }

  return async (update, { lastTry }) => {
    const message = update.message
    // Odd updates (TESTING.md B3) come here unchecked: a message without a chat, or with files of the
    // wrong shape, has nothing to fetch — a throw would have the poller retry it forever.
    if (message?.chat?.type !== 'private' || message.from?.id !== message.chat.id) return undefined
    let wanted: WantedFile[]
    try {
      wanted = filesOf(message)
    } catch {
      return undefined
    }
    if (wanted.length === 0) return undefined
    const person = await findUserByChatId(deps.db, String(message.chat.id))
    if (person?.status !== 'active') return undefined
    const result = await collectFiles(wanted, fetchOne, lastTry, (error) =>
      logger.warn({ updateId: update.update_id, error: errorName(error) }, 'file download given up'),
    )
    logger.debug(
      {
        updateId: update.update_id,
        stored: result.files.length,
        tooLarge: result.tooLarge.length,
        failed: result.failed,
      },
      'message files prepared',
    )
    tagged.add(result)
    return result
  }
}

/**
 * Fetches a message's files one by one into one result (every messenger's preparer). A file that fails throws, so
 * that the update is tried again, until its last try: then the file is given up (`givenUp`) and counted as failed.
 */
export async function collectFiles<W>(
  wanted: readonly W[],
  fetchOne: (file: W, result: PreparedFiles) => Promise<void>,
  lastTry: boolean,
  givenUp: (error: unknown) => void,
): Promise<PreparedFiles> {
  const result: PreparedFiles = { files: [], tooLarge: [], failed: 0, empty: [] }
  for (const file of wanted) {
    try {
      await fetchOne(file, result)
    } catch (error) {
      if (!lastTry) throw error
      givenUp(error)
      result.failed++
    }
  }
  return result
}

/** Stores a downloaded file in the result, or notes it as empty (a file of 0 bytes is nothing to keep). */
export async function keepFile(
  dataDir: string,
  bytes: Buffer,
  wanted: { subject: string; fileName?: string | null; mimeType?: string | null },
  result: PreparedFiles,
): Promise<void> {
  if (bytes.byteLength === 0) {
    result.empty.push(wanted.subject)
    return
  }
  result.files.push(
    await storeFile(dataDir, bytes, { fileName: wanted.fileName ?? null, mimeType: wanted.mimeType ?? null }),
  )
}

/** Marks a preparer's result as the message's files (another messenger's preparer: src/max/max-files.ts). */
export function asPreparedFiles(result: PreparedFiles): PreparedFiles {
  tagged.add(result)
  return result
}

/** The files the message's update brought (downloaded before its transaction); empty when none. */
export function preparedFiles(ctx: BotContext): PreparedFiles {
  const prepared = ctx.scope.prepared
  if (typeof prepared === 'object' && prepared !== null && tagged.has(prepared)) return prepared as PreparedFiles
  return { files: [], tooLarge: [], failed: 0, empty: [] }
}

/** Tells about the message's files that could not be taken (over 20 MB, empty, refused by Telegram); true when any. */
export async function reportFileProblems(ctx: BotContext): Promise<boolean> {
  const { tooLarge, failed, empty } = preparedFiles(ctx)
  for (const subject of tooLarge) await ctx.say({ text: newTicketTexts.tooLarge(subject, ctx.scope.messenger) })
  for (const subject of empty) await ctx.say({ text: newTicketTexts.emptyFile(subject) })
  if (failed > 0) await ctx.say({ text: newTicketTexts.filesFailed(failed, ctx.scope.messenger) })
  return tooLarge.length > 0 || failed > 0 || empty.length > 0
}

/** The files of a message: the largest size of a photo, a document, a video, a voice note, audio. */
export function filesOf(message: Message): WantedFile[] {
  const files: WantedFile[] = []
  const photo = message.photo?.reduce((a, b) => (area(b) >= area(a) ? b : a))
  if (photo) {
    files.push({
      fileId: photo.file_id,
      size: photo.file_size,
      fileName: undefined,
      mimeType: 'image/jpeg',
      subject: fileSubjects.photo,
    })
  }
  const document = message.document ?? message.video ?? message.audio
  if (document) {
    files.push({
      fileId: document.file_id,
      size: document.file_size,
      fileName: document.file_name,
      mimeType: document.mime_type,
      subject: document.file_name
        ? fileSubjects.named(document.file_name)
        : message.video
          ? fileSubjects.video
          : fileSubjects.file,
    })
  }
  const voice = message.voice
  if (voice) {
    files.push({
      fileId: voice.file_id,
      size: voice.file_size,
      fileName: undefined,
      mimeType: voice.mime_type,
      subject: fileSubjects.voice,
    })
  }
  return files
}

function area(size: { width: number; height: number; file_size?: number }): number {
  return size.file_size ?? size.width * size.height
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown'
}

function encodePath(filePath: string): string {
  return filePath.split('/').map(encodeURIComponent).join('/')
}

/** GETs the bytes (through the proxy agent, if any), giving up past 20 MB. Never logs the URL: it holds the token. */
function download(url: string, agent: Agent | undefined): Promise<Buffer | 'too large'> {
  const get = url.startsWith('https:') ? httpsGet : httpGet
  return new Promise((resolve, reject) => {
    const request = get(url, { ...(agent ? { agent } : {}), timeout: 60_000 }, (response) => {
      if (response.statusCode !== 200) {
        response.resume()
        reject(new DownloadError(response.statusCode ?? 0))
        return
      }
      const chunks: Buffer[] = []
      let size = 0
      response.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_FILE_BYTES) {
          request.destroy()
          resolve('too large')
          return
        }
        chunks.push(chunk)
      })
      response.on('end', () => resolve(Buffer.concat(chunks)))
      response.on('error', reject)
    })
    request.on('timeout', () => request.destroy(new DownloadError(0)))
    request.on('error', reject)
  })
}

/** A download that did not succeed; the message names the status only, never the URL. */
export class DownloadError extends Error {
  readonly code: number
  constructor(status: number) {
    super(status === 0 ? 'file download timed out' : `file download answered ${status}`)
    this.name = 'DownloadError'
    this.code = status
  }
}
