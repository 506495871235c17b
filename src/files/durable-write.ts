import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdirSync } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/**
 * Files that must survive a crash or a power cut whole or not at all (the journal's archives, backups): written
 * under a temporary name beside the target (0600, the folder 0700), synced, renamed over the target, and the
 * folder synced so that the rename itself is on disk. A failure leaves no half-written file behind.
 */

/** Writes what `source` yields to `target` durably; returns the bytes written. */
export async function writeDurably(target: string, source: Readable): Promise<number> {
  const dir = path.dirname(target)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const temporary = `${target}.${process.pid}-${randomBytes(4).toString('hex')}.part`
  let bytes = 0
  try {
    const out = createWriteStream(temporary, { mode: 0o600, flags: 'wx' })
    await pipeline(
      source,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          bytes += chunk.length
          yield chunk
        }
      },
      out,
    )
    await syncFile(temporary)
    await rename(temporary, target)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
  await syncFolder(dir)
  return bytes
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Makes a folder's entries (a file created or renamed in it) durable. */
export async function syncFolder(dir: string): Promise<void> {
  const folder = await open(dir, 'r')
  try {
    await folder.sync()
  } finally {
    await folder.close()
  }
}
