import { readdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Db } from '#src/db/schema.ts'
import { PART_SUFFIX, removeStoredFile } from './file-store.ts'

/** Files untouched this long and referred to by nothing go; storing a file touches it (file-store.ts). */
export const SWEEP_AFTER_MS = 60 * 60_000

const ATTACHMENT_PAGE = 5_000
const SHA256 = /^[0-9a-f]{64}$/
const FOLDER = /^[0-9a-f]{2}$/

/**
 * The daily sweep of `DATA_DIR/files`: temporary files of a write that never finished (a crash), and
 * stored files that no row refers to — left by a request or a bot update that stored them and was then
 * refused or rolled back, when the immediate removal did not happen (the bot downloads before its
 * transaction and never removes: this sweep is its cleanup; a crash between storing and the commit). Only
 * files untouched for `olderThanMs` are looked at, so a file stored for a transaction still open stays.
 * Returns how many files went.
 */
export async function sweepFiles(db: Db, dataDir: string, olderThanMs = SWEEP_AFTER_MS): Promise<number> {
  const root = path.join(dataDir, 'files')
  const cutoff = Date.now() - olderThanMs
  const old = async (file: string) => {
    try {
      return (await stat(file)).mtimeMs < cutoff
    } catch {
      return false
    }
  }
  let removed = 0
  const candidates = new Set<string>()
  for (const folder of await listNames(root)) {
    if (!FOLDER.test(folder)) continue
    for (const name of await listNames(path.join(root, folder))) {
      const file = path.join(root, folder, name)
      if (name.endsWith(PART_SUFFIX)) {
        if (await old(file)) {
          await rm(file, { force: true })
          removed++
        }
      } else if (SHA256.test(name) && name.startsWith(folder) && (await old(file))) {
        candidates.add(name)
      }
    }
  }
  if (candidates.size === 0) return removed

  // Dialogues first, then attachments: a bot transaction that moves files from its dialogue onto a
  // ticket between the two reads is seen in the second.
  const dialogues = await db.selectFrom('bot_conversations').select('state').execute()
  for (const row of dialogues) for (const sha256 of row.state.match(/[0-9a-f]{64}/g) ?? []) candidates.delete(sha256)
  // Scans of paper consents and withdrawals (issue 10): few, read whole.
  const scans = await db
    .selectFrom('consent_records')
    .select('evidence_file')
    .where('evidence_file', 'is not', null)
    .execute()
  for (const row of scans) if (row.evidence_file) candidates.delete(row.evidence_file)
  // Pictures of the knowledge base's articles (issue 14): hundreds at most, read whole.
  const pictures = await db.selectFrom('article_images').select('sha256').execute()
  for (const row of pictures) candidates.delete(row.sha256)
  for (let after = 0; candidates.size > 0; ) {
    const page = await db
      .selectFrom('attachments')
      .select(['id', 'sha256'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(ATTACHMENT_PAGE)
      .execute()
    for (const row of page) candidates.delete(row.sha256)
    const last = page.at(-1)
    if (!last || page.length < ATTACHMENT_PAGE) break
    after = last.id
  }
  for (const sha256 of candidates) {
    // Stored again since the listing (its time refreshed), or held by a request: it stays.
    const gone = await removeStoredFile(
      dataDir,
      sha256,
      async () => !(await old(path.join(root, sha256.slice(0, 2), sha256))),
    )
    if (gone) removed++
  }
  return removed
}

async function listNames(folder: string): Promise<string[]> {
  try {
    return await readdir(folder)
  } catch {
    return []
  }
}
