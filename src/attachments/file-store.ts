import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rename, rm, stat, utimes } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { fileTypeFromBuffer } from 'file-type'

/**
 * Files of tickets (photos, documents) on disk, named by the SHA-256 of their content under
 * `DATA_DIR/files/ab/abcdef…`: the same file stored twice is one file, and a row in `attachments` is the
 * truth (ARCHITECTURE.md) — a file written for an update or request that then rolled back is merely
 * unreferenced, and goes: at once when the request that stored it is refused (held-files.ts), or with
 * the daily sweep (sweep-files.ts). A file is written to a temporary name, synced and renamed, so a crash
 * never leaves half a file under a real name; the temporary file goes on any failure, and a crash's is swept.
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
  return (await putFile(dataDir, bytes, meta)).file
}

/** A stored file, and whether this call wrote it (false: the same content was there already). */
export interface PutFile {
  file: StoredFile
  created: boolean
}

/**
 * Requests of this process between storing a file and the end of the transaction that attaches it, by
 * hash: a file held here is never removed (the same content may be stored by two requests at once, and
 * the refusal of one must not take the other's file).
 */
const holds = new Map<string, number>()

/** Removals in progress, by hash: storing the same content waits for the removal's decision. */
const removals = new Map<string, Promise<boolean>>()

/** Ends one hold taken by `putFile(…, { hold: true })`. */
export function releaseFile(sha256: string): void {
  const count = (holds.get(sha256) ?? 0) - 1
  if (count > 0) holds.set(sha256, count)
  else holds.delete(sha256)
}

/**
 * Stores the bytes like storeFile; with `hold`, the file is held (never removed by this process) from
 * before its first write until `releaseFile`. Storing content already there refreshes its time, so the
 * sweep (which takes only files untouched for an hour) never takes a file a request is about to attach.
 */
export async function putFile(
  dataDir: string,
  bytes: Uint8Array,
  meta: { fileName?: string | null; mimeType?: string | null },
  options: { hold?: boolean } = {},
): Promise<PutFile> {
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  if (options.hold) holds.set(sha256, (holds.get(sha256) ?? 0) + 1)
  try {
    const mimeType = await contentMimeType(bytes, safeMimeType(meta.mimeType))
    const file: StoredFile = {
      sha256,
      size: bytes.byteLength,
      fileName: safeFileName(meta.fileName, sha256, mimeType),
      mimeType,
    }
    for (let removal = removals.get(sha256); removal; removal = removals.get(sha256)) await removal
    const target = storedFilePath(dataDir, sha256)
    if (await refresh(target, bytes.byteLength)) return { file, created: false }
    await writeAtomically(target, bytes)
    return { file, created: true }
  } catch (error) {
    if (options.hold) releaseFile(sha256)
    throw error
  }
}

/**
 * Removes a stored file unless this process holds it or `stillWanted` says otherwise (asked after any
 * removal of the same content in progress, and with storing of it waiting): true when it was removed.
 */
export async function removeStoredFile(
  dataDir: string,
  sha256: string,
  stillWanted: () => Promise<boolean>,
): Promise<boolean> {
  const target = storedFilePath(dataDir, sha256)
  for (let removal = removals.get(sha256); removal; removal = removals.get(sha256)) await removal
  if (holds.has(sha256)) return false
  const removal = (async () => {
    if (await stillWanted()) return false
    if (holds.has(sha256)) return false
    await rm(target, { force: true })
    return true
  })().finally(() => removals.delete(sha256))
  removals.set(sha256, removal)
  return removal
}

async function writeAtomically(target: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true })
  const temporary = `${target}.${randomBytes(6).toString('hex')}${PART_SUFFIX}`
  try {
    const handle = await open(temporary, 'w', 0o600)
    try {
      await handle.writeFile(bytes)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, target)
  } catch (error) {
    // A full disk or a failed sync must not leave the half-written file behind.
    await rm(temporary, { force: true })
    throw error
  }
}

/** The suffix of a file being written (swept when a crash left it). */
export const PART_SUFFIX = '.part'

/** True when the file is there whole; its time is then set to now (see putFile). */
async function refresh(file: string, size: number): Promise<boolean> {
  try {
    if ((await stat(file)).size !== size) return false
    const at = new Date()
    await utimes(file, at, at)
    return true
  } catch {
    return false
  }
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

/** MIME types we name ourselves when a sender gave none (a document without one is `application/octet-stream`). */
const extensions: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
}

/** The longest name kept, in characters (an extension of up to 16 is kept when a name is cut). */
export const MAX_FILE_NAME = 200

/**
 * Characters that make a name lie about itself or break headers and disks: controls (NUL, CR, LF…), format
 * characters (bidi overrides such as U+202E that show «gpj.exe» as «exe.jpg», zero-width spaces and
 * joiners, the BOM), line and paragraph separators, lone surrogates, private-use characters.
 */
const UNSAFE_IN_NAME = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}"]/gu

/**
 * A name for headers, pages and disks: no path, none of the characters above, at most MAX_FILE_NAME
 * characters with the extension kept, never empty.
 */
export function safeFileName(name: string | null | undefined, sha256: string, mimeType?: string | null): string {
  const base = (name ?? '').normalize('NFC').replace(UNSAFE_IN_NAME, '').replace(/[\\/]/g, '_').trim()
  const clipped = clip(base)
  if (clipped !== '' && !/^\.+$/.test(clipped)) return clipped
  const extension = extensions[safeMimeType(mimeType)] ?? 'bin'
  return `file-${sha256.slice(0, 12)}.${extension}`
}

function clip(name: string): string {
  const characters = Array.from(name)
  if (characters.length <= MAX_FILE_NAME) return name
  const dot = name.lastIndexOf('.')
  const extension = dot > 0 ? Array.from(name.slice(dot)) : []
  const kept = extension.length > 1 && extension.length <= 16 ? extension : []
  return [...characters.slice(0, MAX_FILE_NAME - kept.length), ...kept].join('').trim()
}

export function safeMimeType(mimeType: string | null | undefined): string {
  const type = (mimeType ?? '').trim().toLowerCase()
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(type) && type.length <= 100
    ? type
    : 'application/octet-stream'
}

/**
 * The type a file is kept with: an image type only when its bytes are that image (a «.jpg» that is HTML
 * or a program is kept as `application/octet-stream`, never previewed); a PNG sent as «.jpg» is a PNG.
 */
async function contentMimeType(bytes: Uint8Array, claimed: string): Promise<string> {
  if (!isPreviewableImage(claimed)) return claimed
  const found = (await fileTypeFromBuffer(bytes))?.mime
  return found !== undefined && isPreviewableImage(found) ? found : 'application/octet-stream'
}

/** Whether the web may show it inline (an image preview) rather than only offer it for download. */
export function isPreviewableImage(mimeType: string): boolean {
  return mimeType === 'image/jpeg' || mimeType === 'image/png' || mimeType === 'image/webp' || mimeType === 'image/gif'
}
