/**
 * What the in-process benches share (`create-profile.ts`, `view-profile.ts`): a demo data folder opened in this
 * process, and a use case called many times with its CPU time and SQLite's statements reported.
 */
import { performance } from 'node:perf_hooks'
import { setAuditKey } from '#src/audit/journal.ts'
import { loadConfig } from '#src/config.ts'
import { openDatabase } from '#src/db/database.ts'
import type { Db } from '#src/db/schema.ts'
import { actorFromUser } from '#src/users/actor.ts'
// Times every SQLite statement of this process (the server's `--sql-timing`): imported before any database opens.
import { timings } from './sql-timing.mjs'

/** The folder's database as the server opens it (its configuration, the journal's key), its first admin the actor. */
export async function openDemoDatabase(dataDir: string) {
  // Its SQLite file, whatever DATABASE_URL says: the statements are timed on SQLite's connection.
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir, DATABASE_URL: undefined })
  setAuditKey(config.auditKey)
  const db = openDatabase(config.database)
  const admin = await db.selectFrom('users').selectAll().where('role', '=', 'admin').executeTakeFirstOrThrow()
  return { db, admin, actor: actorFromUser(admin, 'api') }
}

/**
 * Calls `once` `count` times, `concurrent` at a time (they share group commits as the server's requests do),
 * after `warmUp` calls; closes the database and prints the rate, the CPU and every statement's share.
 */
export async function measureCalls(
  db: Db,
  options: { noun: string; count: number; concurrent: number; warmUp: number; once: () => Promise<unknown> },
): Promise<void> {
  const { noun, count, concurrent, once } = options
  for (let i = 0; i < options.warmUp; i++) await once()
  timings.clear()
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  for (let done = 0; done < count; done += concurrent) await Promise.all(Array.from({ length: concurrent }, once))
  const wall = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  await db.destroy()
  const sqlMicros = [...timings.values()].reduce((sum, t) => sum + t.ms * 1000, 0)
  const per = (micros: number) => (micros / count / 1000).toFixed(3)
  process.stdout.write(
    `${count} ${noun}s, ${concurrent} at a time: ${(count / (wall / 1000)).toFixed(0)}/s; per ${noun} ` +
      `${per(wall * 1000)} ms wall, ${per(cpu.user + cpu.system)} ms CPU (user ${per(cpu.user)}), SQLite ${per(sqlMicros)} ms\n\n` +
      `| statement | calls per ${noun} | ms per ${noun} |\n|---|---|---|\n`,
  )
  for (const [sql, t] of [...timings].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) {
    process.stdout.write(`| ${sql.replace(/\|/g, '\\|')} | ${(t.calls / count).toFixed(2)} | ${per(t.ms * 1000)} |\n`)
  }
}
