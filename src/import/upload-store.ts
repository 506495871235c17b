import { createHash, randomBytes } from 'node:crypto'
import type { Tx } from '#src/db/schema.ts'
import { addMinutes, now } from '#src/db/time.ts'
import type { ImportKind } from './columns.ts'
import type { ImportFile } from './read-table.ts'

/**
 * The file of a web import between its preview and «Импортировать» (migration 0018): the page carries a
 * random key, the table holds only its hash, for the person who uploaded it, for UPLOAD_MINUTES. So the rows
 * imported are exactly the rows previewed, on whichever instance the confirmation lands, and a staff list
 * does not stay in the database: it goes when imported, and any left are swept at the next upload.
 */

const UPLOAD_MINUTES = 30

function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

/** Keeps the file; returns the key the preview page carries. */
export async function keepUpload(db: Tx, userId: number, kind: ImportKind, file: ImportFile): Promise<string> {
  const at = now()
  await db.deleteFrom('import_uploads').where('expires_at', '<', at).execute()
  const key = randomBytes(32).toString('base64url')
  await db
    .insertInto('import_uploads')
    .values({
      id: keyHash(key),
      user_id: userId,
      kind,
      file_name: file.fileName.slice(0, 255),
      content: Buffer.from(file.bytes).toString('base64'),
      created_at: at,
      expires_at: addMinutes(at, UPLOAD_MINUTES),
    })
    .execute()
  return key
}

/** The kept file for this person and key, once: it is removed as it is taken. Undefined when gone or expired. */
export async function takeUpload(
  db: Tx,
  userId: number,
  key: string,
): Promise<{ kind: ImportKind; file: ImportFile } | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(key)) return undefined
  const row = await db
    .deleteFrom('import_uploads')
    .where('id', '=', keyHash(key))
    .where('user_id', '=', userId)
    .where('expires_at', '>', now())
    .returningAll()
    .executeTakeFirst()
  if (!row) return undefined
  return {
    kind: row.kind,
    file: { fileName: row.file_name, bytes: new Uint8Array(Buffer.from(row.content, 'base64')) },
  }
}
