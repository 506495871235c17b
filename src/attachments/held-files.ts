import type { Db } from '#src/db/schema.ts'
import { type PutFile, putFile, releaseFile, removeStoredFile, type StoredFile } from './file-store.ts'

/** A file as a request brought it, before it is stored. */
export interface IncomingFile {
  bytes: Uint8Array
  fileName?: string | null
  mimeType?: string | null
}

/**
 * Stores the files of one request, then runs the use case that attaches them. If storing or the use case
 * fails for any reason (validation, not found, forbidden, a closed ticket, a database or disk error), the
 * files this request wrote are removed again — unless something else refers to them by then: a row in
 * `attachments`, a bot dialogue waiting with them, or another request of this process in the same state.
 * Issue 8, item 5: a requester filled 160 MB with uploads refused as 404.
 */
export async function withStoredFiles<T>(
  db: Db,
  dataDir: string,
  incoming: readonly IncomingFile[],
  use: (files: StoredFile[]) => Promise<T>,
): Promise<T> {
  const stored: PutFile[] = []
  let held = true
  const release = () => {
    if (!held) return
    held = false
    for (const put of stored) releaseFile(put.file.sha256)
  }
  try {
    for (const file of incoming) stored.push(await putFile(dataDir, file.bytes, file, { hold: true }))
    return await use(stored.map((put) => put.file))
  } catch (error) {
    release()
    const written = stored.filter((put) => put.created).map((put) => put.file.sha256)
    // The refusal is what the caller must see; a file that cannot be removed now is left to the sweep.
    await discardFiles(db, dataDir, written).catch(() => undefined)
    throw error
  } finally {
    release()
  }
}

/** Removes stored files that nothing refers to (see withStoredFiles); how many went. */
export async function discardFiles(db: Db, dataDir: string, sha256s: readonly string[]): Promise<number> {
  let removed = 0
  for (const sha256 of new Set(sha256s)) {
    const gone = await removeStoredFile(dataDir, sha256, async () => (await referencedFiles(db, [sha256])).size > 0)
    if (gone) removed++
  }
  return removed
}

/**
 * Which of these files a row refers to: an attachment, a consent record's scan, an article's picture, or a bot
 * dialogue holding files until it is done.
 */
export async function referencedFiles(db: Db, sha256s: readonly string[]): Promise<Set<string>> {
  if (sha256s.length === 0) return new Set()
  const attached = await db.selectFrom('attachments').select('sha256').where('sha256', 'in', sha256s).execute()
  const found = new Set(attached.map((row) => row.sha256))
  // The scans of paper consents and withdrawals (issue 10) live in the same store.
  const scans = await db
    .selectFrom('consent_records')
    .select('evidence_file')
    .where('evidence_file', 'in', sha256s)
    .execute()
  for (const row of scans) if (row.evidence_file) found.add(row.evidence_file)
  // Pictures of the knowledge base's articles (issue 14) live there too.
  const pictures = await db.selectFrom('article_images').select('sha256').where('sha256', 'in', sha256s).execute()
  for (const row of pictures) found.add(row.sha256)
  const waiting = await db
    .selectFrom('bot_conversations')
    .select('state')
    .where((eb) => eb.or(sha256s.map((sha256) => eb('state', 'like', `%${sha256}%`))))
    .execute()
  for (const row of waiting) for (const sha256 of sha256s) if (row.state.includes(sha256)) found.add(sha256)
  return found
}
