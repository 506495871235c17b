import { createReadStream, existsSync } from 'node:fs'
import { open } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { Decrypter, Encrypter } from 'age-encryption'
import { create as createTar, extract as extractTar } from 'tar'
import { DomainError } from '#src/errors.ts'
import { writeDurably } from '#src/files/durable-write.ts'
import { DEFAULT_LOG_N, NativeScryptIdentity, NativeScryptRecipient } from './age-scrypt.ts'

/**
 * The backup's one file: a tar of a staging folder (manifest, database, secrets, attachments, journal
 * archives), encrypted with age (passphrase, scrypt) when a passphrase is set. Everything streams: an
 * attachments folder of many gigabytes never sits in memory. `age -d helpdesk-….tar.age > x.tar` with the
 * passphrase opens one by hand; `tar -xf` then shows the parts.
 */

export type BundleKind = 'age' | 'tar' | 'sqlite' | 'unknown'

const AGE_MAGIC = Buffer.from('age-encryption.org/v1\n')
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0')

/** What a file is, by its first bytes: an age file, a tar, a bare SQLite database (a backup before issue 11). */
export async function sniffBundle(file: string): Promise<BundleKind> {
  const handle = await open(file, 'r')
  try {
    const head = Buffer.alloc(512)
    const { bytesRead } = await handle.read(head, 0, 512, 0)
    const bytes = head.subarray(0, bytesRead)
    if (bytes.subarray(0, AGE_MAGIC.length).equals(AGE_MAGIC)) return 'age'
    if (bytes.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) return 'sqlite'
    if (bytesRead >= 262 && bytes.subarray(257, 262).toString('latin1') === 'ustar') return 'tar'
    return 'unknown'
  } finally {
    await handle.close()
  }
}

export interface WriteBundleOptions {
  passphrase?: string | undefined
  /** scrypt's work factor (2^logN); age's 18 unless a test asks for less. */
  scryptLogN?: number
}

/**
 * Writes `entries` (paths relative to `staging`; symbolic links followed) as one tar, encrypted when a
 * passphrase is given, to `target` durably (files/durable-write.ts: a temporary name, synced, renamed), so a
 * crash or a full disk never leaves a file that looks like a backup. Returns its size.
 */
export async function writeBundle(
  staging: string,
  entries: readonly string[],
  target: string,
  options: WriteBundleOptions = {},
): Promise<number> {
  const tar = createTar({ cwd: staging, follow: true, portable: true, strict: true }, [...entries])
  let source: Readable = Readable.from(tar)
  if (options.passphrase !== undefined) {
    const encrypter = new Encrypter()
    encrypter.addRecipient(new NativeScryptRecipient(options.passphrase, options.scryptLogN ?? DEFAULT_LOG_N))
    const web = Readable.toWeb(source) as unknown as ReadableStream<Uint8Array>
    const encrypted = await encrypter.encrypt(web)
    source = Readable.fromWeb(encrypted as unknown as WebReadableStream<Uint8Array>)
  }
  return writeDurably(target, source)
}

/** A refusal to read a bundle, as one Russian line (the CLI prints it and exits non-zero). */
export function damaged(file: string, why: string): DomainError {
  return new DomainError('validation', `Резервная копия ${path.basename(file)} не читается: ${why}`)
}

/**
 * Extracts a bundle into `dest` (an empty scratch folder): decrypts an age file with the passphrase on the
 * way. A wrong passphrase, a truncated or altered file: a DomainError with one line; `dest` may then hold
 * part of it, and the caller removes it.
 */
export async function extractBundle(file: string, dest: string, passphrase: string | undefined): Promise<BundleKind> {
  if (!existsSync(file)) throw new DomainError('not_found', `Файл ${file} не найден`)
  const kind = await sniffBundle(file)
  if (kind === 'unknown' || kind === 'sqlite') return kind
  let source: Readable = createReadStream(file)
  if (kind === 'age') {
    if (passphrase === undefined) {
      throw new DomainError(
        'validation',
        `Резервная копия ${path.basename(file)} зашифрована: задайте BACKUP_PASSPHRASE или BACKUP_KEY_FILE`,
      )
    }
    const decrypter = new Decrypter()
    decrypter.addIdentity(new NativeScryptIdentity(passphrase))
    let decrypted: ReadableStream<Uint8Array>
    try {
      decrypted = await decrypter.decrypt(Readable.toWeb(source) as unknown as ReadableStream<Uint8Array>)
    } catch (error) {
      source.destroy()
      const message = error instanceof Error ? error.message : String(error)
      if (/no identity matched/.test(message)) {
        throw new DomainError('validation', `Неверная парольная фраза для резервной копии ${path.basename(file)}`)
      }
      throw damaged(file, 'заголовок шифрования повреждён')
    }
    source = Readable.fromWeb(decrypted as unknown as WebReadableStream<Uint8Array>)
  }
  try {
    await pipeline(source, extractTar({ cwd: dest, strict: true, preservePaths: false, umask: 0o077 }))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw damaged(
      file,
      kind === 'age'
        ? `файл обрезан или изменён (${shortReason(message)})`
        : `архив обрезан или повреждён (${shortReason(message)})`,
    )
  }
  return kind
}

function shortReason(message: string): string {
  return message.split('\n')[0]?.slice(0, 120) ?? ''
}
