import { Readable } from 'node:stream'
import type { Context } from 'hono'
import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { MAX_FILES_PER_MESSAGE } from '#src/attachments/attach-files.ts'
import {
  isPreviewableImage,
  MAX_FILE_BYTES,
  openStoredFile,
  type StoredFile,
  safeFileName,
} from '#src/attachments/file-store.ts'
import { withStoredFiles } from '#src/attachments/held-files.ts'
import { DomainError } from '#src/errors.ts'
import { viewAttachment } from '#src/tickets/view-attachment.ts'
import type { WebEnv } from './env.ts'
import { t } from './i18n.ts'

/** A form with files: several of them, each at most 20 MB, and together at most this. */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024

/** The files of a submitted form (`files`, several allowed); an empty file input sends nothing. */
export async function formFiles(c: Context): Promise<File[]> {
  const body = await c.req.parseBody({ all: true })
  const value = body.files
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value]
  return values.filter((v): v is File => v instanceof File && (v.size > 0 || v.name !== ''))
}

/** What is wrong with the files, in Russian, before anything is stored; undefined when they may go. */
export function uploadProblem(files: readonly File[]): string | undefined {
  if (files.length > MAX_FILES_PER_MESSAGE) {
    return t('Не больше {n} файлов за один раз', { n: MAX_FILES_PER_MESSAGE })
  }
  const large = files.find((f) => f.size > MAX_FILE_BYTES)
  if (large) return t('Файл «{name}» больше 20 МБ — выберите файл поменьше', { name: shownName(large) })
  const empty = files.find((f) => f.size === 0)
  if (empty) return t('Файл «{name}» пустой — выберите файл с содержимым', { name: shownName(empty) })
  return undefined
}

/** A sender's file name as a refusal may repeat it: made safe as a stored one would be. */
function shownName(file: File): string {
  return safeFileName(file.name, '0'.repeat(64), file.type)
}

/**
 * Stores the files (content-addressed) and runs the use case that attaches them in its transaction; a
 * refusal or failure takes the files it stored back off the disk (attachments/held-files.ts).
 */
export async function withUploads<T>(
  c: Context<WebEnv>,
  files: readonly File[],
  use: (stored: StoredFile[]) => Promise<T>,
): Promise<T> {
  const { db, config } = c.get('deps')
  const incoming = await Promise.all(
    files.map(async (file) => ({
      bytes: new Uint8Array(await file.arrayBuffer()),
      fileName: file.name,
      mimeType: file.type,
    })),
  )
  return withStoredFiles(db, config.dataDir, incoming, use)
}

/** GET /tickets/:id/files/:fileId — a preview (images) or a download; visible as its ticket and message are. */
export function ticketFileRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.get('/:id/files/:fileId', async (c) => {
    const { db, config } = c.get('deps')
    const attachment = await viewAttachment(db, c.get('actor'), {
      ticketId: idParam(c),
      attachmentId: idParam(c, 'fileId'),
    })
    const stream = await openStoredFile(config.dataDir, attachment.sha256)
    if (!stream) throw new DomainError('not_found', 'Файл не найден')
    // Only an image we know is shown inline; anything else (HTML, SVG, PDF…) is a download, never rendered
    // from our origin with the sender's content type.
    const inline = isPreviewableImage(attachment.mime_type)
    c.header('content-type', inline ? attachment.mime_type : 'application/octet-stream')
    // Names stored before they were made safe on the way in are made safe on the way out.
    const name = safeFileName(attachment.file_name, attachment.sha256, attachment.mime_type)
    c.header('content-disposition', contentDisposition(inline ? 'inline' : 'attachment', name))
    c.header('content-length', String(attachment.size))
    c.header('x-content-type-options', 'nosniff')
    // The content behind this address never changes; kept in the browser's private cache only, and briefly,
    // because it may show personal data.
    c.header('cache-control', 'private, max-age=3600')
    return c.body(Readable.toWeb(stream) as ReadableStream<Uint8Array>)
  })
  return routes
}

/** `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266 with RFC 5987 for non-ASCII names). */
export function contentDisposition(type: 'inline' | 'attachment', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_')
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
