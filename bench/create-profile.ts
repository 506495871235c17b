/**
 * Where a ticket create's SQLite time goes, statement by statement (in-process, on a copy of demo data):
 * `createTicket` called `--count` times, `--concurrent` at a time (they share group commits as the server's
 * requests do), every better-sqlite3 statement timed by its SQL.
 *
 *   npx tsx bench/create-profile.ts --data-dir /tmp/hd-bench [--count 2000] [--concurrent 2]
 * It adds tickets to that database (as the API bench's create scenario does).
 */
import { parseArgs } from 'node:util'
import { sqliteHandleOf } from '#src/db/database.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { measureCalls, openDemoDatabase } from './in-process.ts'

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    count: { type: 'string', default: '2000' },
    concurrent: { type: 'string', default: '2' },
    'wal-autocheckpoint': { type: 'string' },
  },
})
const dataDir = values['data-dir']
if (!dataDir) throw new Error('--data-dir is required')
const count = Number(values.count)
const concurrent = Number(values.concurrent)

const { db, admin, actor } = await openDemoDatabase(dataDir)
if (values['wal-autocheckpoint'] !== undefined) {
  sqliteHandleOf(db)?.pragma(`wal_autocheckpoint = ${Number(values['wal-autocheckpoint'])}`)
}
const category = await db
  .selectFrom('categories')
  .select('id')
  .where('parent_id', 'is not', null)
  .executeTakeFirstOrThrow()
const input = {
  title: 'Нагрузочный тест',
  description: 'Заявка нагрузочного теста: не работает принтер в каб. 3-112',
  categoryId: category.id,
  requesterId: admin.id,
}
await measureCalls(db, { noun: 'create', count, concurrent, warmUp: 50, once: () => createTicket(db, actor, input) })
