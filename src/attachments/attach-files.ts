import type { Tx } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { MAX_FILE_BYTES, type StoredFile } from './file-store.ts'

/** At most this many files on one message (an album holds up to 10). */
export const MAX_FILES_PER_MESSAGE = 20

/** Checks what is about to be attached, before anything is written. */
export function checkFiles(files: readonly StoredFile[] | undefined): void {
  if (!files) return
  if (files.length > MAX_FILES_PER_MESSAGE) {
    throw new DomainError('validation', `Не больше ${MAX_FILES_PER_MESSAGE} файлов в одном сообщении`)
  }
  for (const file of files) {
    // An empty file is nothing to look at: refused alike in the web, the API and the bot, never kept as a
    // row that opens as nothing.
    if (file.size === 0) throw new DomainError('validation', `Файл «${file.fileName}» пустой`)
    if (file.size > MAX_FILE_BYTES) {
      throw new DomainError('validation', `Файл «${file.fileName}» больше 20 МБ`)
    }
  }
}

/** Rows in `attachments` for files already stored on disk (file-store.ts), inside the caller's transaction. */
export async function insertAttachments(
  tx: Tx,
  target: { ticketId: number; messageId: number | null; uploaderId: number; at: string },
  files: readonly StoredFile[],
): Promise<number[]> {
  if (files.length === 0) return []
  const rows = await tx
    .insertInto('attachments')
    .values(
      files.map((file) => ({
        ticket_id: target.ticketId,
        message_id: target.messageId,
        uploader_id: target.uploaderId,
        file_name: file.fileName,
        mime_type: file.mimeType,
        size: file.size,
        sha256: file.sha256,
        created_at: target.at,
      })),
    )
    .returning('id')
    .execute()
  return rows.map((row) => row.id)
}
