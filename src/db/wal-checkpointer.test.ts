import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { tempDirs } from '../../test/support/temp-dirs.ts'
import { checkpointerOf, openDatabase, sqliteHandleOf } from './database.ts'
import type { Db } from './schema.ts'

const tempDir = tempDirs('helpdesk-checkpoint-')
const opened: Db[] = []

afterEach(async () => {
  for (const db of opened.splice(0)) await db.destroy()
})

function open(file: string, checkpointThread: boolean): Db {
  const db = openDatabase({ kind: 'sqlite', file }, { checkpointThread })
  opened.push(db)
  return db
}

const autocheckpoint = (db: Db) => sqliteHandleOf(db)?.pragma('wal_autocheckpoint', { simple: true })

/** Commits `count` transactions of a 2 KB row each: about a page and a half of WAL a commit. */
async function commitRows(db: Db, count: number): Promise<void> {
  await sql`create table if not exists filler (id integer primary key, body text not null)`.execute(db)
  for (let i = 0; i < count; i++) {
    await db.transaction().execute(async (tx) => {
      await sql`insert into filler (body) values (${'ы'.repeat(1000)})`.execute(tx)
    })
  }
}

async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error('not within the time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('WAL checkpoints of a serving process (issue 12)', () => {
  test('are made by their thread: the main connection never checkpoints in a COMMIT', async () => {
    const file = path.join(tempDir(), 'helpdesk.sqlite')
    const db = open(file, true)
    expect(autocheckpoint(db)).toBe(0)
    const before = statSync(file).size
    await commitRows(db, 1500)
    // Only a checkpoint moves pages from the WAL into the file; the main connection does not make any. The
    // thread tells its pages once its checkpoint is over, after the file has grown: its count is waited for too.
    await eventually(() => statSync(file).size > before + 2_000_000)
    await vi.waitFor(() => expect(checkpointerOf(db)?.pages).toBeGreaterThan(500), { timeout: 5000 })
    const rows = await sql<{ n: number }>`select count(*) as n from filler`.execute(db)
    expect(rows.rows[0]?.n).toBe(1500)
    // Stopped first, the thread leaves the main connection to close last: the rest checkpointed, the WAL gone.
    opened.splice(0)
    await db.destroy()
    expect(existsSync(`${file}-wal`)).toBe(false)
    const reopened = open(file, false)
    expect((await sql<{ n: number }>`select count(*) as n from filler`.execute(reopened)).rows[0]?.n).toBe(1500)
  })

  test('fall back to SQLite checkpointing in COMMIT when the thread ends', async () => {
    const db = open(path.join(tempDir(), 'helpdesk.sqlite'), true)
    const checkpointer = checkpointerOf(db)
    expect(checkpointer).toBeDefined()
    await checkpointer?.worker.terminate()
    await eventually(() => autocheckpoint(db) === 1000)
    await commitRows(db, 10)
  })

  test('are SQLite’s own (in COMMIT) for a connection that does not serve', async () => {
    const db = open(path.join(tempDir(), 'helpdesk.sqlite'), false)
    expect(checkpointerOf(db)).toBeUndefined()
    expect(autocheckpoint(db)).toBe(1000)
  })
})
