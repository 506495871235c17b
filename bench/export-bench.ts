/**
 * Export benchmark: the event loop's longest stall (perf_hooks.monitorEventLoopDelay, 10 ms resolution)
 * while one export request runs through the real app (`app.request`, a signed-in admin), on a SQLite file,
 * and what it does to the requests beside it: a probe opens a ticket page every 20 ms while the export is
 * read, its slowest answer set against the same probe run alone first (issue 13: no request in flight
 * slower by more than 50 ms while a 100 000-row export runs). Then the background export job (the file a
 * too-big export is made into) on the same tickets, CSV and XLSX, with the same measures.
 * Fills the journal up to --journal rows first (as `audit()` writes them: chained, in one transaction);
 * tickets come from `helpdesk demo --tickets N` run beforehand in the same data folder.
 *
 *   DATA_DIR=/tmp/hd-export-bench helpdesk demo --tickets 100000 --seed 42
 *   npx tsx bench/export-bench.ts --data-dir /tmp/hd-export-bench [--journal 100000] [--runs 3]
 *     [--reads threads|main] [--period quarter|year|…] [--stream-limit 1000000]
 *
 * --reads: the app's heavy reads on the read-only threads as `serve` has them (default), or on the main
 * connection as before them (issue 12); --period: the statistics' period; --stream-limit: the most rows a
 * ticket export streams in its request (above: a 303 to its background page), a million unless set so that
 * the 100 000 tickets stream.
 */
import { randomBytes } from 'node:crypto'
import { rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { createApp } from '#src/app.ts'
import { AUDIT_HEAD_KEY, type ChainedRow, chainHash, setAuditKey } from '#src/audit/journal.ts'
import { type Config, loadConfig } from '#src/config.ts'
import { openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import { closeReadOnlyDb, openReadOnlyDb } from '#src/db/read-only.ts'
import type { AuditRow, Channel, Db, Job } from '#src/db/schema.ts'
import { createLogger } from '#src/logger.ts'
import { createSession, SESSION_COOKIE } from '#src/users/sessions.ts'
import { exportsDirOf, TICKET_EXPORT_JOB, ticketExportJob } from '#src/web/ticket-export-job.ts'

const say = (line: string) => process.stdout.write(`${line}\n`)

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: '/tmp/hd-export-bench' },
    journal: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    reads: { type: 'string', default: 'threads' },
    period: { type: 'string', default: 'quarter' },
    'stream-limit': { type: 'string', default: '1000000' },
  },
})
if (values.reads !== 'threads' && values.reads !== 'main') throw new Error('--reads: threads or main')

// The bench's admin has a session without a second factor: AUTH_REQUIRE_2FA is not what is measured.
const config: Config = {
  ...loadConfig({
    ...process.env,
    DATA_DIR: values['data-dir'],
    LOG_LEVEL: 'silent',
    WORKER: 'off',
    AUTH_REQUIRE_2FA: 'none',
  }),
  exportStreamLimit: Number(values['stream-limit']),
}
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
const firstTicket = await db.selectFrom('tickets').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow()
const probePath = `/tickets/${firstTicket.id}`
const ms = (ns: number) => (ns / 1e6).toFixed(0)
const sleep = (msToWait: number) => new Promise((resolve) => setTimeout(resolve, msToWait))

/**
 * Asks for the probe page every 20 ms until `done` settles, each request on its own (as people's requests
 * come, none waiting for another); each answer's time in ms from when it was due, so that a stall of the
 * event loop that held the request back counts.
 */
async function probe(done: Promise<unknown>): Promise<number[]> {
  let over = false
  const stop = () => {
    over = true
  }
  done.then(stop, stop)
  const answers: Array<Promise<number>> = []
  const start = performance.now()
  for (let k = 0; !over; k++) {
    const due = start + k * 20
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    answers.push(
      (async () => {
        const response = await app.request(probePath, { headers: { cookie } })
        await response.arrayBuffer()
        return performance.now() - due
      })(),
    )
  }
  return Promise.all(answers)
}

/** The body as a socket takes it, chunk by chunk (`arrayBuffer()` would copy 40 MB in one turn at the end). */
async function bodyBytes(response: Response): Promise<number> {
  let bytes = 0
  const reader = response.body?.getReader()
  for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) bytes += chunk.value.length
  return bytes
}

function probeFigures(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  return `${times.length} | ${at(0.5).toFixed(0)} | ${(sorted.at(-1) ?? 0).toFixed(0)}`
}

/** Runs `work` with the event loop watched and the probe beside it; one line of the table. */
async function measure(label: string, work: () => Promise<{ status: number | string; bytes: number }>) {
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  // The histogram's first tick only starts its clock: a stall before it would go unseen.
  await sleep(50)
  const started = performance.now()
  const running = work()
  const [result, times] = await Promise.all([running, probe(running)])
  const elapsed = performance.now() - started
  // A stall is recorded when the timer finally fires: give it the chance before stopping.
  await sleep(50)
  histogram.disable()
  say(
    `| ${label} | ${result.status} | ${result.bytes} | ${elapsed.toFixed(0)} | ${ms(histogram.max)} | ${ms(histogram.percentile(99))} | ${probeFigures(times)} |`,
  )
}

say(`journal rows: ${journalRows?.n}; runs per export: ${values.runs}; reads: ${values.reads}; probe: GET ${probePath}`)
say('| request | status | bytes | time ms | max event-loop delay ms | p99 ms | probes | probe p50 ms | probe max ms |')
say('|---|---|---|---|---|---|---|---|---|')
// The probe alone, for what its answers cost without an export beside them.
await measure('(probe alone, 3 s)', async () => {
  await sleep(3000)
  return { status: '-', bytes: 0 }
})
for (const request of paths) {
  for (let run = 0; run < Number(values.runs); run++) {
    await measure(request, async () => {
      const response = await app.request(request, { headers: { cookie } })
      return { status: response.status, bytes: await bodyBytes(response) }
    })
  }
}

// The background job (an export past the limit) on the same tickets: the admin's whole list to a file.
if (values.only === undefined || values.only === 'job') {
  const handler = ticketExportJob(readDb)
  const logger = createLogger('silent')
  for (const format of ['csv', 'xlsx'] as const) {
    await measure(`background job, ${format}`, async () => {
      const token = randomBytes(16).toString('hex')
      const payload = { userId: adminId, token, format, query: '', rows: 0 }
      const at = new Date().toISOString()
      const job: Job = {
        id: 0,
        kind: TICKET_EXPORT_JOB,
        payload: JSON.stringify(payload),
        run_at: at,
        status: 'running',
        attempts: 1,
        last_error: null,
        locked_until: null,
        unique_key: null,
        created_at: at,
        finished_at: null,
      }
      await handler(payload, { db, config, logger, job })
      const file = path.join(exportsDirOf(config.dataDir), `${token}.${format}`)
      const bytes = (await stat(file)).size
      await rm(file)
      return { status: 'done', bytes }
    })
  }
}
await closeReadOnlyDb(readDb, db)
await db.destroy()
