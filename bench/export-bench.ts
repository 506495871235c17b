/**
 * Export benchmark: the event loop's longest stall (perf_hooks.monitorEventLoopDelay, 10 ms resolution)
 * while one export request runs through the real app (`app.request`, a signed-in admin), on a SQLite file.
 * Fills the journal up to --journal rows first (as `audit()` writes them: chained, in one transaction);
 * tickets come from `helpdesk demo --tickets N` run beforehand in the same data folder.
 *
 *   DATA_DIR=/tmp/hd-export-bench helpdesk demo --tickets 100000 --seed 42
 *   npx tsx bench/export-bench.ts --data-dir /tmp/hd-export-bench [--journal 100000] [--runs 3]
 *     [--reads threads|main] [--period quarter|year|…]
 *
 * --reads: the app's heavy reads on the read-only threads as `serve` has them (default), or on the main
 * connection as before them (issue 12); --period: the statistics' period.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { createApp } from '#src/app.ts'
import { AUDIT_HEAD_KEY, type ChainedRow, chainHash, setAuditKey } from '#src/audit/journal.ts'
import { loadConfig } from '#src/config.ts'
import { openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import { closeReadOnlyDb, openReadOnlyDb } from '#src/db/read-only.ts'
import type { AuditRow, Channel, Db } from '#src/db/schema.ts'
import { createSession, SESSION_COOKIE } from '#src/users/sessions.ts'

const say = (line: string) => process.stdout.write(`${line}\n`)

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: '/tmp/hd-export-bench' },
    journal: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    reads: { type: 'string', default: 'threads' },
    period: { type: 'string', default: 'quarter' },
  },
})
if (values.reads !== 'threads' && values.reads !== 'main') throw new Error('--reads: threads or main')

// The bench's admin has a session without a second factor: AUTH_REQUIRE_2FA is not what is measured.
const config = loadConfig({
  ...process.env,
  DATA_DIR: values['data-dir'],
  LOG_LEVEL: 'silent',
  WORKER: 'off',
  AUTH_REQUIRE_2FA: 'none',
})
setAuditKey(config.auditKey)
const db = openDatabase(config.database)
await migrateToLatest(db)

/** Journal rows shaped like the app's own: list and ticket reads, logins, user changes, system jobs. */
async function fillJournal(db: Db, wanted: number): Promise<void> {
  const { n } = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  const missing = wanted - Number(n)
  if (missing <= 0) return
  const users = (await db.selectFrom('users').select('id').execute()).map((u) => u.id)
  const started = performance.now()
  await db.transaction().execute(async (tx) => {
    const headRow = await tx
      .selectFrom('settings')
      .select('value')
      .where('key', '=', AUDIT_HEAD_KEY)
      .executeTakeFirstOrThrow()
    let head = JSON.parse(headRow.value) as { id: number; hash: string }
    const channels: Channel[] = ['web', 'web', 'web', 'api', 'bot', 'system']
    const day = Date.parse('2026-01-01T00:00:00Z')
    let batch: AuditRow[] = []
    for (let i = 0; i < missing; i++) {
      const channel = channels[i % channels.length] as Channel
      const actor = channel === 'system' ? null : (users[(i * 7919) % users.length] as number)
      const ticket = (i % 100_000) + 1
      const kind = i % 5
      const row: ChainedRow = {
        id: head.id + 1,
        at: new Date(day + i * 60_000).toISOString(),
        actor_id: actor,
        channel,
        ip: channel === 'web' || channel === 'api' ? `10.0.${i % 250}.${(i * 13) % 250}` : null,
        action: ['ticket.view', 'ticket.list', 'auth.login', 'ticket.status', 'user.update'][kind] as string,
        object_type: kind === 2 ? null : kind === 4 ? 'user' : 'ticket',
        object_id: kind === 2 ? null : String(kind === 4 ? actor : ticket),
        subject_id: kind === 4 ? actor : null,
        pdn_related: kind === 0 || kind === 1 || kind === 4 ? 1 : 0,
        result: i % 50 === 0 ? 'denied' : 'success',
        description: [
          `Просмотр заявки № ${ticket}`,
          'Просмотр списка заявок: 50 из 100000',
          'Вход в веб-интерфейс',
          `Заявка № ${ticket}: статус «в работе»`,
          `Изменены данные пользователя № ${actor}`,
        ][kind] as string,
        details:
          kind === 1
            ? JSON.stringify({ ids: Array.from({ length: 50 }, (_, k) => ticket + k), page: 1 })
            : kind === 3
              ? JSON.stringify({ from: 'new', to: 'in_progress' })
              : null,
        prev_hash: head.hash,
      }
      const full = { ...row, hash: chainHash(row) }
      head = { id: full.id, hash: full.hash }
      batch.push(full)
      if (batch.length === 500) {
        await tx.insertInto('audit_log').values(batch).execute()
        batch = []
      }
    }
    if (batch.length > 0) await tx.insertInto('audit_log').values(batch).execute()
    await tx
      .updateTable('settings')
      .set({ value: JSON.stringify(head) })
      .where('key', '=', AUDIT_HEAD_KEY)
      .execute()
  })
  say(`journal: +${missing} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

await fillJournal(db, Number(values.journal))

const readDb = values.reads === 'threads' ? openReadOnlyDb(config.database, db) : db
const app = createApp({ db, readDb, config, logger: pino({ level: 'silent' }) })
const admin = await db.selectFrom('users').select('id').where('role', '=', 'admin').executeTakeFirst()
const adminId =
  admin?.id ??
  (
    await db
      .insertInto('users')
      .values({
        role: 'admin',
        status: 'active',
        full_name: 'Бенчмарков Админ',
        login: 'bench.admin',
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      } as never)
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id
const session = await createSession(db, adminId, { ip: null, userAgent: 'bench' })
const cookie = `${SESSION_COOKIE}=${session.token}`

const paths = [
  '/audit/export.csv',
  '/audit/export.csv?pdn=1&q=заявки',
  '/tickets/export.csv',
  '/tickets/export.xlsx',
  `/stats/export.csv?period=${values.period}`,
  `/stats/export.xlsx?period=${values.period}`,
  `/stats?period=${values.period}`,
  '/audit?page=200',
].filter((p) => values.only === undefined || p.includes(values.only))

const journalRows = (
  await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .execute()
)[0]
say(`journal rows: ${journalRows?.n}; runs per export: ${values.runs}; reads: ${values.reads}`)
say('| request | status | bytes | time ms | max event-loop delay ms | p99 ms |')
say('|---|---|---|---|---|---|')
for (const path of paths) {
  for (let run = 0; run < Number(values.runs); run++) {
    const histogram = monitorEventLoopDelay({ resolution: 10 })
    histogram.enable()
    // The histogram's first tick only starts its clock: a stall before it would go unseen.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const started = performance.now()
    const response = await app.request(path, { headers: { cookie } })
    const body = new Uint8Array(await response.arrayBuffer())
    const elapsed = performance.now() - started
    // A stall is recorded when the timer finally fires: give it the chance before stopping.
    await new Promise((resolve) => setTimeout(resolve, 50))
    histogram.disable()
    const ms = (ns: number) => (ns / 1e6).toFixed(0)
    say(
      `| ${path} | ${response.status} | ${body.length} | ${elapsed.toFixed(0)} | ${ms(histogram.max)} | ${ms(histogram.percentile(99))} |`,
    )
  }
}
await closeReadOnlyDb(readDb, db)
await db.destroy()
