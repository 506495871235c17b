// The child side of `requestInIsolation` (isolated-app.ts): the real app on a fresh in-memory SQLite
// database, one signed-in person, the given GET requests; the statuses and times printed as one JSON line.
import { setAuditKey } from '#src/audit/journal.ts'
import { openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import type { Role } from '#src/db/schema.ts'
import { testApp } from './api.ts'
import { webUser } from './web.ts'

const { role, paths } = JSON.parse(process.argv[2] ?? '{}') as { role: Role; paths: string[] }
setAuditKey('test-audit-key-0123456789abcdef0123456789abcdef')
const db = openDatabase({ kind: 'sqlite', file: ':memory:' })
await migrateToLatest(db)
const { app } = testApp(db)
const who = await webUser(db, { role })
// The parent's deadline for the requests starts now: loading the app takes seconds on a busy machine.
process.stdout.write('ready\n')
const answers: Array<{ path: string; status: number; ms: number }> = []
for (const path of paths) {
  const started = performance.now()
  const response = await app.request(path, { headers: { cookie: who.cookie } })
  await response.arrayBuffer()
  answers.push({ path, status: response.status, ms: Math.round(performance.now() - started) })
}
await db.destroy()
process.stdout.write(`${JSON.stringify(answers)}\n`)
