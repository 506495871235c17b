import type { Context } from 'hono'
import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'
import { readDbOf } from '#src/api/env.ts'
import { archiveDirOf } from '#src/audit/archive.ts'
import { checkJournal, type JournalCheck } from '#src/audit/check-journal.ts'
import { checkpointFileOf } from '#src/audit/checkpoints.ts'
import { auditDenied } from '#src/audit/denied.ts'
import { journalCsvStream } from '#src/audit/journal-csv.ts'
import { exportJournal, type JournalEntry, type JournalFilter, readJournal } from '#src/audit/read-journal.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { parseId } from '#src/format/ids.ts'
import { dayEndUtc, dayStartUtc, parseDay } from '#src/format/zone-days.ts'
import { undoableMerges } from '#src/tickets/ticket-links-store.ts'
import { shownName } from '#src/users/blocking.ts'
import { can } from '#src/users/permissions.ts'
import type { WebEnv } from './env.ts'
import { requireSession } from './session.ts'
import { AUDIT_PER_PAGE, AuditPage, type AuditQuery, IntegrityCheck } from './views/audit.tsx'

type WebContext = Context<WebEnv>

/** Deeper pages than this are what the CSV export is for. */
const MAX_PAGE = 200
/** The most rows one CSV export carries. */
const EXPORT_LIMIT = 100_000

/** The journal is the admin's alone (COMPLIANCE.md §4); anyone else finds no such page. */
const adminOnly = createMiddleware<WebEnv>(async (c, next) => {
  const actor = c.get('actor')
  if (!can(actor, 'audit.view')) {
    await auditDenied(c.get('deps').db, actor, {
      action: 'audit.read',
      objectType: 'audit_log',
      pdn: true,
      description: 'Отказ в доступе к журналу аудита',
    })
    throw new DomainError('not_found', 'Не найдено')
  }
  await next()
})

export interface AuditRoutesOptions {
  /** Journal rows per query of the CSV export (tests make it small to cross page boundaries). */
  exportPageSize?: number
}

/** /audit: the journal with the CLI's filters, its CSV export and the integrity check (admin). */
export function auditRoutes(options: AuditRoutesOptions = {}): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession, adminOnly)

  routes.get('/', async (c) => renderJournal(c))

  routes.post('/verify', async (c) => {
    const { db, config } = c.get('deps')
    // Held against the checkpoint file too: a cut or re-signed journal passes the chain alone.
    const check = await checkJournal(db, c.get('actor'), {
      checkpointFile: checkpointFileOf(config),
      timeZone: config.tzDisplay,
      archiveDir: archiveDirOf(config),
    })
    if (c.req.header('hx-request') === 'true') return c.html(<IntegrityCheck csrf={c.get('csrf')} check={check} />)
    return renderJournal(c, check)
  })

  routes.get('/export.csv', async (c) => {
    const { db, config } = c.get('deps')
    const { query, filter } = parseAuditQuery(new URL(c.req.url).searchParams, config.tzDisplay)
    if (!filter) return renderJournal(c)
    // Read (on the read-only handle's threads) and sent page by page: up to 100 000 rows formatted at once
    // would hold the event loop for seconds.
    const { pages } = await exportJournal(
      db,
      c.get('actor'),
      { ...filter, limit: EXPORT_LIMIT },
      { pageSize: options.exportPageSize, reads: readDbOf(c.get('deps')) },
    )
    c.header('content-type', 'text/csv; charset=utf-8')
    c.header('content-disposition', `attachment; filename="audit-${now().slice(0, 10)}${query.pdn ? '-pdn' : ''}.csv"`)
    c.header('cache-control', 'no-store')
    return c.body(journalCsvStream(pages, config.tzDisplay))
  })

  return routes
}

async function renderJournal(c: WebContext, check?: JournalCheck) {
  const { db, config } = c.get('deps')
  const { query, filter, problem } = parseAuditQuery(new URL(c.req.url).searchParams, config.tzDisplay)
  // One row more than the page shows tells whether a next page exists; the reading is journaled by readJournal.
  const rows = filter
    ? await readJournal(
        db,
        c.get('actor'),
        { ...filter, limit: query.page * AUDIT_PER_PAGE + 1 },
        { reads: readDbOf(c.get('deps')) },
      )
    : []
  const entries = rows.slice((query.page - 1) * AUDIT_PER_PAGE, query.page * AUDIT_PER_PAGE)
  return c.html(
    <AuditPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      query={query}
      entries={entries}
      more={rows.length > query.page * AUDIT_PER_PAGE}
      subjects={await subjectNames(c, entries)}
      undoMerges={await undoableMerges(db, entries)}
      check={check}
      problem={problem}
      tz={config.tzDisplay}
    />,
    problem ? 422 : 200,
  )
}

/** The journal holds ids only; the viewer shows the names of the people the rows concern. */
async function subjectNames(c: WebContext, entries: readonly JournalEntry[]): Promise<Map<number, string>> {
  const ids = [...new Set(entries.flatMap((e) => (e.subject_id === null ? [] : [e.subject_id])))]
  if (ids.length === 0) return new Map()
  const rows = await c
    .get('deps')
    .db.selectFrom('users')
    .select(['id', shownName('users').as('name')])
    .where('id', 'in', ids)
    .execute()
  return new Map(rows.map((r) => [r.id, r.name]))
}

/**
 * The URL's filters, read leniently for the form and strictly for the journal: a bad date or action
 * code is named to the person (422) rather than silently widening what they asked for.
 */
function parseAuditQuery(
  params: URLSearchParams,
  timeZone: string,
): { query: AuditQuery; filter?: JournalFilter; problem?: string } {
  const one = (key: string) => params.get(key)?.replaceAll('\u0000', '').trim() || undefined
  const page = one('page')
  const query: AuditQuery = {
    pdn: one('pdn') === '1',
    page: page && /^[1-9][0-9]{0,5}$/.test(page) ? Math.min(Number(page), MAX_PAGE) : 1,
  }
  const filter: JournalFilter = {}
  if (query.pdn) filter.pdnOnly = true
  const q = one('q')?.slice(0, 200)
  if (q) filter.search = query.q = q
  const problems: string[] = []
  for (const key of ['from', 'to'] as const) {
    const value = one(key)
    if (value === undefined) continue
    query[key] = value.slice(0, 10)
    if (!parseDay(value)) problems.push(`Неверная дата: ${value.slice(0, 20)}`)
    else if (key === 'from') filter.from = dayStartUtc(value, timeZone)
    else filter.to = dayEndUtc(value, timeZone)
  }
  if (filter.from && filter.to && filter.from >= filter.to) problems.push('Начало периода позже его конца')
  const actor = one('actor')
  if (actor === 'system') filter.actorId = query.actor = 'system'
  else if (parseId(actor) !== undefined) filter.actorId = query.actor = parseId(actor)
  else if (actor) problems.push('Кто действовал: номер пользователя или system')
  const action = one('action')?.slice(0, 100)
  if (action) {
    query.action = action
    if (/^[a-z0-9_.]+$/.test(action)) filter.action = action
    else problems.push('Код действия: латинские буквы, цифры, точка и _, например user.deactivate или auth.')
  }
  return problems.length > 0 ? { query, problem: problems.join('. ') } : { query, filter }
}
