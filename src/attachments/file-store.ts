import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'

/**
 * Files of tickets (photos, documents) on disk, named by the SHA-256 of their content under
 * `DATA_DIR/files/ab/abcdef…`: the same file stored twice is one file, and a row in `attachments` is the
 * truth (ARCHITECTURE.md) — a file written for an update or request that then rolled back is merely
 * unreferenced. A file is written to a temporary name, synced and renamed, so a crash never leaves
 * half a file under a real name.
 */

/** What a use case needs to attach a stored file to a ticket or a message. */
export interface StoredFile {
  sha256: string
  size: number
  fileName: string
  mimeType: string
}

/** Telegram's Bot API download limit, and ours for uploads through the web. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024

const SHA256 = /^[0-9a-f]{64}$/

function filesDir(dataDir: string): string {
  return path.join(dataDir, 'files')
}

/** Where the file with this hash lives (whether or not it exists). */
export function storedFilePath(dataDir: string, sha256: string): string {
  if (!SHA256.test(sha256)) throw new Error('not a sha256 hex digest')
  return path.join(filesDir(dataDir), sha256.slice(0, 2), sha256)
}

/** Writes the bytes (once per content) and returns their hash and size. */
export async function storeFile(
  dataDir: string,
  bytes: Uint8Array,
  meta: { fileName?: string | null; mimeType?: string | null },
): Promise<StoredFile> {
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  const target = storedFilePath(dataDir, sha256)
  const stored: StoredFile = {
    sha256,
    size: bytes.byteLength,
    fileName: safeFileName(meta.fileName, sha256, meta.mimeType),
    mimeType: safeMimeType(meta.mimeType),
  }
  if (await exists(target, bytes.byteLength)) return stored
  await mkdir(path.dirname(target), { recursive: true })
  const temporary = `${target}.${randomBytes(6).toString('hex')}.part`
  const handle = await open(temporary, 'w', 0o600)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(temporary, target)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
  return stored
}

/** A stream of a stored file, or undefined when it is missing on disk. */
export async function openStoredFile(dataDir: string, sha256: string): Promise<Readable | undefined> {
  const file = storedFilePath(dataDir, sha256)
  try {
    await stat(file)
  } catch {
    return undefined
  }
  return createReadStream(file)
}

async function exists(file: string, size: number): Promise<boolean> {
  try {
    return (await stat(file)).size === size
  } catch {
    return false
  }
}

/** MIME types we name ourselves when a sender gave none (a document without one is `application/octet-stream`). */
const extensions: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
}

/** A name for headers and disks: no path, no control characters, at most 200 characters, never empty. */
export function safeFileName(name: string | null | undefined, sha256: string, mimeType?: string | null): string {
  const base = (name ?? '')
    .replace(/[\\/]/g, '_')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f"]/g, '')
    .trim()
  const clipped = Array.from(base).slice(0, 200).join('')
  if (clipped !== '' && clipped !== '.' && clipped !== '..') return clipped
  const extension = extensions[safeMimeType(mimeType)] ?? 'bin'
  return `file-${sha256.slice(0, 12)}.${extension}`
}

export function safeMimeType(mimeType: string | null | undefined): string {
  const type = (mimeType ?? '').trim().toLowerCase()
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(type) && type.length <= 100
    ? type
    : 'application/octet-stream'
}

/** Whether the web may show it inline (an image preview) rather than only offer it for download. */
export function isPreviewableImage(mimeType: string): boolean {
  return mimeType === 'image/jpeg' || mimeType === 'image/png' || mimeType === 'image/webp' || mimeType === 'image/gif'
}
