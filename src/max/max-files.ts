import { MAX_FILE_BYTES } from '#src/attachments/file-store.ts'
import type { UpdatePreparer } from '#src/bot/apply-update.ts'
import { asPreparedFiles, collectFiles, keepFile, type PreparedFiles } from '#src/bot/download-files.ts'
import { fileSubjects } from '#src/bot/texts.ts'
import type { Db } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'
import { chatKeyOf } from '#src/notify/chat-key.ts'
import { findUserByChatId } from '#src/users/user-store.ts'
import { type MaxApi, MaxApiError } from './max-api.ts'
import type { MaxAttachment, MaxUpdate } from './max-types.ts'

/**
 * Downloads the files of a MAX message (photos, files, video, audio) before the update's transaction opens, as
 * src/bot/download-files.ts does for Telegram, and with its rules: only an active person's dialog; over 20 MB is
 * named in `tooLarge` unfetched; an empty file in `empty`; a file MAX refuses for good (4xx) counts in `failed`;
 * anything else throws so that the update is tried again, and on its last try what still fails is counted failed.
 * MAX sends a person's several photos as one message with several attachments: they all come here at once.
 */
export interface MaxFileDownloaderDeps {
  api: MaxApi
  dataDir: string
  logger: Logger
  db: Db
}

interface WantedMaxFile {
  url: string
  size: number | undefined
  fileName: string | undefined
  mimeType: string | undefined
  subject: string
}

export function createMaxFileDownloader(deps: MaxFileDownloaderDeps): UpdatePreparer<MaxUpdate> {
  const logger = deps.logger.child({ component: 'max-files' })

  const fetchOne = async (wanted: WantedMaxFile, result: PreparedFiles): Promise<void> => {
    if (wanted.size !== undefined && wanted.size > MAX_FILE_BYTES) {
      result.tooLarge.push(wanted.subject)
      return
    }
    let bytes: Buffer
    try {
      bytes = await deps.api.download(wanted.url)
    } catch (error) {
      if (!(error instanceof MaxApiError)) throw error
      if (error.code === 'file.too.large') {
        result.tooLarge.push(wanted.subject)
        return
      }
      if (error.code === 'bad.url' || (error.status >= 400 && error.status < 500 && error.status !== 429)) {
        result.failed++
        return
      }
      throw error
    }
    await keepFile(deps.dataDir, bytes, wanted, result)
  }

  return async (update, { lastTry }) => {
    if (update.update_type !== 'message_created') return undefined
    const message = update.message
    const sender = message.sender
    if (message.recipient.chat_type !== 'dialog' || !sender || sender.is_bot) return undefined
    const wanted = maxFilesOf(message.body.attachments ?? [])
    if (wanted.length === 0) return undefined
    const person = await findUserByChatId(deps.db, chatKeyOf('max', sender.user_id))
    if (person?.status !== 'active') return undefined
    const result = await collectFiles(wanted, fetchOne, lastTry, (error) =>
      logger.warn({ error: error instanceof MaxApiError ? error.code : 'unknown' }, 'file download given up'),
    )
    logger.debug(
      { stored: result.files.length, tooLarge: result.tooLarge.length, failed: result.failed },
      'message files prepared',
    )
    return asPreparedFiles(result)
  }
}

/** The files of a MAX message's attachments, in order; anything without a download URL is skipped. */
export function maxFilesOf(attachments: readonly MaxAttachment[]): WantedMaxFile[] {
  const files: WantedMaxFile[] = []
  for (const attachment of attachments) {
    const payload = (attachment as { payload?: { url?: unknown } }).payload
    const url = typeof payload?.url === 'string' ? payload.url : undefined
    if (url === undefined) continue
    switch (attachment.type) {
      case 'image':
        files.push({ url, size: undefined, fileName: undefined, mimeType: 'image/jpeg', subject: fileSubjects.photo })
        break
      case 'file': {
        const fileName = typeof attachment.filename === 'string' ? attachment.filename : undefined
        files.push({
          url,
          size: typeof attachment.size === 'number' ? attachment.size : undefined,
          fileName,
          mimeType: undefined,
          subject: fileName ? fileSubjects.named(fileName) : fileSubjects.file,
        })
        break
      }
      case 'video':
        files.push({ url, size: undefined, fileName: undefined, mimeType: 'video/mp4', subject: fileSubjects.video })
        break
      case 'audio':
        files.push({ url, size: undefined, fileName: undefined, mimeType: undefined, subject: fileSubjects.voice })
        break
    }
  }
  return files
}
