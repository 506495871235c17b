/**
 * Where a ticket create's SQLite time goes, statement by statement (in-process, on a copy of demo data):
 * `createTicket` called `--count` times, `--concurrent` at a time (they share group commits as the server's
 * requests do), every better-sqlite3 statement timed by its SQL.
 *
 *   npx tsx bench/create-profile.ts --data-dir /tmp/hd-bench [--count 2000] [--concurrent 2]
 * It adds tickets to that database (as the API bench's create scenario does).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { setAuditKey } from '#src/audit/journal.ts'
import { openDatabase, sqliteHandleOf } from '#src/db/database.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { actorFromUser } from '#src/users/actor.ts'
// Times every SQLite statement of this process (the server's `--sql-timing`), before the database is opened.
import { timings } from './sql-timing.mjs'

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

const secrets = JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>
const auditKey = secrets.auditKey ?? secrets.audit_key ?? Object.values(secrets)[0]
if (!auditKey) throw new Error('no audit key in secrets.json')
setAuditKey(auditKey)
const db = openDatabase({ kind: 'sqlite', file: path.join(dataDir, 'helpdesk.sqlite') })
if (values['wal-autocheckpoint'] !== undefined) {
  sqliteHandleOf(db)?.pragma(`wal_autocheckpoint = ${Number(values['wal-autocheckpoint'])}`)
}
const admin = await db.selectFrom('users').selectAll().where('role', '=', 'admin').executeTakeFirstOrThrow()
const category = await db
  .selectFrom('categories')
  .select('id')
  .where('parent_id', 'is not', null)
  .executeTakeFirstOrThrow()
const actor = actorFromUser(admin, 'api')
const input = {
  title: 'Нагрузочный тест',
  description: 'Заявка нагрузочного теста: не работает принтер в каб. 3-112',
  categoryId: category.id,
  requesterId: admin.id,
}
// Warm-up: statements prepared, caches filled.
for (let i = 0; i < 50; i++) await createTicket(db, actor, input)
timings.clear()
const cpuBefore = process.cpuUsage()
const started = performance.now()
for (let done = 0; done < count; done += concurrent) {
  await Promise.all(Array.from({ length: concurrent }, () => createTicket(db, actor, input)))
}
const wall = performance.now() - started
const cpu = process.cpuUsage(cpuBefore)
await db.destroy()
const sqlMicros = [...timings.values()].reduce((sum, t) => sum + t.ms * 1000, 0)
const per = (micros: number) => (micros / count / 1000).toFixed(3)
process.stdout.write(
  `${count} creates, ${concurrent} at a time: ${(count / (wall / 1000)).toFixed(0)}/s; per create ` +
    `${per(wall * 1000)} ms wall, ${per(cpu.user + cpu.system)} ms CPU (user ${per(cpu.user)}), SQLite ${per(sqlMicros)} ms\n\n` +
    '| statement | calls per create | ms per create |\n|---|---|---|\n',
)
for (const [sql, t] of [...timings].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) {
  process.stdout.write(`| ${sql.replace(/\|/g, '\\|')} | ${(t.calls / count).toFixed(2)} | ${per(t.ms * 1000)} |\n`)
}
