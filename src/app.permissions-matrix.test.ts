import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { generate } from 'otplib'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { insertAttachments } from '#src/attachments/attach-files.ts'
import { type StoredFile, storeFile } from '#src/attachments/file-store.ts'
import type { Category, Db, Role, Ticket, TicketStatus, User, UserStatus } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { type Actor, actorFromUser } from '#src/users/actor.ts'
import { createApiToken } from '#src/users/api-tokens.ts'
import { beginTotp } from '#src/users/begin-totp.ts'
import { confirmTotp } from '#src/users/confirm-totp.ts'
import { currentConsentText } from '#src/users/consent.ts'
import { hashPassword } from '#src/users/passwords.ts'
import { type Action, can } from '#src/users/permissions.ts'
import { createSession, SESSION_COOKIE } from '#src/users/sessions.ts'
import { csrfToken } from '#src/web/csrf.ts'
import { queueTicketExport } from '#src/web/ticket-export-job.ts'
import { testApp, testConfig } from '../test/support/api.ts'
import { testDatabase } from '../test/support/database.ts'
import { buildCategory, buildConsent, buildDepartment, buildGroup, buildUser } from '../test/support/factories.ts'
import { buildTicket } from '../test/support/ticket-factory.ts'

/**
 * TESTING.md B4: every route of the real app × every kind of principal × own / foreign / missing ticket,
 * the expected answer derived from one table: each route names the permission of PRODUCT.md §1 it needs
 * (the very `can()` rules), and how it refuses. A route missing from the table fails the test, so a new
 * route must be classified. Allowed → 2xx/3xx; refused → the table's status, and a signed-in principal's
 * refusal leaves a `denied` row in the journal. One database for the whole matrix (the budget).
 */

/** Who asks. Pending, rejected and deactivated accounts hold a session and a token made while active. */
const principalNames = [
  'anonymous',
  'requester',
  'executor in the group',
  'executor outside the group',
  'curator',
  'admin',
  'pending',
  'rejected',
  'deactivated',
  'revoked session',
  'revoked token',
] as const
type PrincipalName = (typeof principalNames)[number]

interface Principal {
  name: PrincipalName
  user: User | undefined
  /** The role and status the app must go by (now), for `can()`. */
  actor: Actor | undefined
  cookie: string | undefined
  csrf: string | undefined
  bearer: string | undefined
}

type Need = Action | 'signed-in' | 'public'
type TicketObject = 'own' | 'foreign' | 'missing'

interface Fixtures {
  db: Db
  category: Category
  executor: User
  file: StoredFile
  /** Someone else's ticket, for principals turned away before any ticket is read. */
  foreign: Ticket
  /** Catalogue rows the curator pages edit (never the tickets' own category). */
  catalogue: { category: number; department: number; group: number }
}

interface Call {
  path: string
  form?: Record<string, string>
  json?: unknown
  /** Files to send with the form: it then goes as multipart/form-data. */
  files?: Record<string, File>
}

interface Route {
  need: Need
  /** `:id` is a ticket: checked against `ticket.view` first (hidden → 404), in this status. */
  ticket?: TicketStatus
  /** A signed-in principal's refusal: 404 (the page or ticket is hidden), 403, or 422 beside the form. */
  refusal?: 403 | 404 | 422
  /** A refusal that writes no journal row, and why (listed in the report). */
  unjournaled?: string
  /** The request to send; `who` is the principal (a fresh one for routes that end its session). */
  call?: (f: Fixtures, who: Principal, ticket: Ticket | undefined) => Promise<Call>
  /** The route ends or changes the principal's own account or session: an allowed cell gets a fresh one. */
  self?: true
}

const text = { body: 'Матрица прав' }
/** The first bytes of a stored answer document. */
const MATRIX_PDF = '%PDF-1.4\n%%EOF\n'
/** A PDF as its first bytes say (a paper consent's scan). */
const MATRIX_SCAN = '%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n'

async function freshUser(f: Fixtures, status: UserStatus = 'active', role: Role = 'requester'): Promise<number> {
  return (await buildUser(f.db, { status, role })).id
}

/** A background export of the principal's list, queued (issue 13); a token of none for the anonymous. */
async function ownExport(f: Fixtures, who: Principal): Promise<string> {
  if (!who.user) return '0'.repeat(32)
  return queueTicketExport(f.db, actorFromUser(who.user, 'web'), { format: 'csv', query: '', rows: 0 })
}

/** An unread notification of the principal's own (issue 13), straight into its table; a number of none for the anonymous. */
async function ownNotification(f: Fixtures, who: Principal): Promise<number> {
  if (!who.user) return MISSING
  const row = await f.db
    .insertInto('web_notifications')
    .values({
      user_id: who.user.id,
      ticket_id: f.foreign.id,
      kind: 'watch',
      event_id: null,
      created_at: now(),
      read_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

/** A new access request about a fresh person (issue 10), straight into its table. */
async function freshRequest(f: Fixtures): Promise<number> {
  const at = new Date().toISOString()
  const row = await f.db
    .insertInto('subject_requests')
    .values({
      kind: 'access',
      channel: 'letter',
      subject_id: await freshUser(f),
      received_on: '2026-01-12',
      comment: null,
      status: 'new',
      due_on: '2026-01-26',
      extended_reason: null,
      answer: null,
      answered_on: null,
      reminded_at: null,
      created_by: null,
      created_at: at,
      updated_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

/** A fresh personal macro of the principal (of an executor for the anonymous), straight into its table (issue 13). */
async function ownMacro(f: Fixtures, who: Principal): Promise<number> {
  const at = new Date().toISOString()
  const row = await f.db
    .insertInto('macros')
    .values({
      title: unique('Шаблон'),
      body: 'Здравствуйте, {{заявитель.имя}}!',
      owner_id: who.user?.id ?? f.executor.id,
      group_id: null,
      set_status: null,
      set_priority: null,
      created_by: who.user?.id ?? f.executor.id,
      created_at: at,
      updated_at: at,
      archived_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}
const macroForm = () => ({ title: unique('Шаблон'), body: 'Текст', scope: 'personal', kind: 'external' })

/** A fresh device of «Оборудование» (issue 14), straight into its table: each cell writes off or edits its own. */
async function freshDevice(f: Fixtures): Promise<number> {
  const at = now()
  const inventory = `МТР-${unique('').replace(/\D/g, '')}`
  const row = await f.db
    .insertInto('equipment')
    .values({
      inventory_number: inventory,
      kind: 'Принтер',
      model: null,
      serial: null,
      department_id: null,
      room: null,
      responsible_id: null,
      status: 'in_service',
      search_text: inventory.toLowerCase(),
      created_by: null,
      created_at: at,
      updated_at: at,
      written_off_at: null,
      written_off_by: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}
const equipmentCsv = () => `Инвентарный номер;Тип\nМТР-${unique('').replace(/\D/g, '')};Принтер\n`

/** A fresh public article («База знаний», issue 14) with one picture (the matrix's stored file), straight into its tables. */
async function freshArticle(f: Fixtures): Promise<{ id: number; imageId: number }> {
  const at = new Date().toISOString()
  const article = await f.db
    .insertInto('articles')
    .values({
      title: unique('Статья'),
      body: 'Текст статьи',
      category_id: null,
      visibility: 'public',
      author_id: f.executor.id,
      updated_by: f.executor.id,
      created_at: at,
      updated_at: at,
      archived_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const image = await f.db
    .insertInto('article_images')
    .values({
      article_id: article.id,
      sha256: f.file.sha256,
      file_name: f.file.fileName,
      mime_type: f.file.mimeType,
      size: f.file.size,
      created_by: f.executor.id,
      created_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { id: article.id, imageId: image.id }
}
const articleForm = () => ({ title: unique('Статья'), body: 'Текст', category: '', visibility: 'public' })

/** A fresh plan («Плановые работы», issue 14) on the tickets' own category and a fresh group, straight into its table. */
async function freshPlan(f: Fixtures): Promise<number> {
  const at = new Date().toISOString()
  const group = await buildGroup(f.db)
  const row = await f.db
    .insertInto('plans')
    .values({
      title: unique('План'),
      description: 'Плановая проверка',
      category_id: f.category.id,
      group_id: group.id,
      priority: 'normal',
      schedule: '0 9 1 * *',
      active: 1,
      requester_id: f.executor.id,
      next_run_at: '2099-01-01T06:00:00.000Z',
      last_run_at: null,
      last_ticket_id: null,
      created_by: null,
      created_at: at,
      updated_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}
/** A fresh duty shift («Дежурства», issue 14) of a fresh curator in a fresh group, straight into its table. */
async function freshShift(f: Fixtures): Promise<number> {
  const at = new Date().toISOString()
  const group = await buildGroup(f.db)
  const person = await buildUser(f.db, { role: 'curator' })
  const row = await f.db
    .insertInto('duty_shifts')
    .values({
      group_id: group.id,
      user_id: person.id,
      starts_at: '2099-01-01T17:00:00.000Z',
      ends_at: '2099-01-02T05:00:00.000Z',
      kind: 'night',
      note: null,
      created_by: null,
      created_at: at,
      updated_by: null,
      updated_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}
/** A shift's form: a fresh curator in a fresh group (so that no two calls overlap). */
async function shiftFields(f: Fixtures): Promise<Record<string, string>> {
  const group = await buildGroup(f.db)
  const person = await buildUser(f.db, { role: 'curator' })
  return {
    group_id: String(group.id),
    user_id: String(person.id),
    day: '2099-01-01',
    from: '20:00',
    to: '08:00',
    kind: 'night',
    note: '',
  }
}
async function shiftJson(f: Fixtures) {
  const group = await buildGroup(f.db)
  const person = await buildUser(f.db, { role: 'curator' })
  return {
    group_id: group.id,
    user_id: person.id,
    starts_at: '2099-01-01T20:00:00+03:00',
    ends_at: '2099-01-02T08:00:00+03:00',
    kind: 'night',
  }
}
/** A roster file of one shift of a fresh curator in a fresh group (so that no two calls overlap). */
async function dutyCsv(f: Fixtures): Promise<string> {
  const group = await buildGroup(f.db)
  const person = await buildUser(f.db, { role: 'curator' })
  return `Группа;Дежурный;Дата;С;До\r\n${group.name};${person.full_name};01.01.2099;20:00;08:00\r\n`
}
async function planFields(f: Fixtures): Promise<Record<string, string>> {
  const group = await buildGroup(f.db)
  return {
    title: unique('План'),
    description: 'Плановая проверка',
    category_id: String(f.category.id),
    group_id: String(group.id),
    priority: 'normal',
    kind: 'monthly',
    time: '09:00',
    weekday: '1',
    day: '1',
  }
}
async function planJson(f: Fixtures) {
  const group = await buildGroup(f.db)
  return {
    title: unique('План'),
    description: 'Плановая проверка',
    category_id: f.category.id,
    group_id: group.id,
    priority: 'normal',
    schedule: '0 9 1 * *',
  }
}

/** A fresh open outage («Массовый сбой», issue 14) on a fresh ticket in work, straight into its tables. */
async function freshOutage(f: Fixtures): Promise<number> {
  const ticket = await buildTicket(f.db, { categoryId: f.category.id, status: 'in_progress' })
  const row = await f.db
    .insertInto('outages')
    .values({
      ticket_id: ticket.id,
      title: unique('Сбой'),
      place: null,
      announcement: 'Сбой',
      declared_by: null,
      declared_at: new Date().toISOString(),
      resolved_at: null,
      resolved_by: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await f.db
    .insertInto('outage_departments')
    .values({ outage_id: row.id, department_id: f.catalogue.department })
    .execute()
  await f.db.insertInto('outage_categories').values({ outage_id: row.id, category_id: f.category.id }).execute()
  return row.id
}

const STATS_UNJOURNALED = 'the statistics pages refuse with 404 before any journaling (src/web/stats.routes.tsx)'
const OLD_PASSWORD = 'Матрица-старый-пароль-7341'
let oldPasswordHash: Promise<string> | undefined
const NEW_PASSWORD = 'Матрица-новый-пароль-9128'

/** A pending TOTP enrolment of the principal, whatever an earlier cell left on its account. */
async function freshTotp(db: Db, actor: Actor) {
  await db
    .updateTable('users')
    .set({ totp_enabled: 0, totp_secret: null, totp_last_step: null })
    .where('id', '=', actor.id ?? 0)
    .execute()
  return beginTotp(db, actor, testConfig().secretKey)
}

/** A ticket number that does not exist. */
const MISSING = 9_999_999

let counter = 0
function unique(prefix: string): string {
  counter += 1
  return `${prefix} матрицы ${counter}`
}

/** A form to the ticket route itself (path from the route, `:id` filled). */
function form(fields: Record<string, string>): Route['call'] {
  return async () => ({ path: '', form: fields })
}

function json(body: unknown): Route['call'] {
  return async () => ({ path: '', json: body })
}

/** Issue 13: another ticket of the same requester, to link or merge the cell's ticket with. */
async function sibling(f: Fixtures, ticket: Ticket | undefined): Promise<Ticket> {
  return buildTicket(f.db, { requesterId: ticket?.requester_id, categoryId: f.category.id })
}

/** A link of the cell's ticket made by the system (none on the foreign ticket the turned-away share). */
async function linkOf(f: Fixtures, ticket: Ticket | undefined): Promise<number> {
  if (!ticket || ticket.id === f.foreign.id) return 1
  const { linkTickets } = await import('#src/tickets/link-tickets.ts')
  const { systemActor } = await import('#src/users/actor.ts')
  const other = await sibling(f, ticket)
  return (await linkTickets(f.db, systemActor(), { ticketId: ticket.id, otherId: other.id, kind: 'related' })).id
}

/** The cell's ticket merged by the system into a sibling, for its undo (not the foreign ticket the turned-away share). */
async function mergedAway(f: Fixtures, ticket: Ticket | undefined): Promise<void> {
  if (!ticket || ticket.id === f.foreign.id) return
  const { mergeTicket } = await import('#src/tickets/merge-ticket.ts')
  const { systemActor } = await import('#src/users/actor.ts')
  await mergeTicket(f.db, systemActor(), { ticketId: ticket.id, intoId: (await sibling(f, ticket)).id })
}

/**
 * Issue 14: the cell's ticket put in a department headed by someone who is none of the principals, so that only
 * that head (and an admin) decides on it, as the matrix's `can()` without an approver says. Returns `fields`.
 */
async function headed<T>(f: Fixtures, ticket: Ticket | undefined, fields: T): Promise<T> {
  if (!ticket || ticket.id === f.foreign.id) return fields
  const department = await buildDepartment(f.db)
  const head = await buildUser(f.db, { departmentId: department.id })
  await f.db.updateTable('departments').set({ head_user_id: head.id }).where('id', '=', department.id).execute()
  await f.db.updateTable('tickets').set({ department_id: department.id }).where('id', '=', ticket.id).execute()
  return fields
}

/** Pages of the destruction (admin): a commission to sign, a person to destroy, an act to download. */
const MATRIX_COMMISSION = [{ name: 'Матричная Комиссия Ивановна', position: 'Председатель комиссии' }]
async function withCommission(f: Fixtures): Promise<void> {
  const { setSetting } = await import('#src/settings/settings.ts')
  const { systemActor } = await import('#src/users/actor.ts')
  await setSetting(f.db, systemActor(), 'pdn.commission', MATRIX_COMMISSION)
}
let matrixAct: Promise<number> | undefined
function destructionAct(f: Fixtures): Promise<number> {
  matrixAct ??= (async () => {
    await withCommission(f)
    const { destroySubject } = await import('#src/pdn/destroy-subject.ts')
    const { systemActor } = await import('#src/users/actor.ts')
    const userId = await freshUser(f, 'deactivated')
    const act = await destroySubject(f.db, systemActor(), testConfig(), {
      userId,
      reason: 'Матрица прав',
      commission: MATRIX_COMMISSION,
      deleteTexts: false,
    })
    return act.actId
  })()
  return matrixAct
}

/** The route table: every `METHOD path` of `app.routes`. */
const routes: Record<string, Route> = {
  // Probes, static files and the ways in: nobody needs an account.
  'GET /healthz': { need: 'public' },
  'GET /readyz': { need: 'public' },
  // METRICS_ALLOW or METRICS_TOKEN, not an account: a 404 to everyone here (no socket, no token).
  'GET /metrics': { need: 'public' },
  'GET /static/:name': { need: 'public', call: async () => ({ path: '/static/app.css' }) },
  'GET /api/v1/openapi.json': { need: 'public' },
  'POST /api/v1/auth/login': { need: 'public', call: async () => ({ path: '', json: { login: 'x', password: 'y' } }) },
  'GET /login': { need: 'public' },
  'POST /login': { need: 'public', call: async () => ({ path: '', form: { login: 'x', password: 'y' } }) },
  'GET /login/code': { need: 'public' },
  'POST /login/code': { need: 'public', call: async () => ({ path: '', form: { code: '123456' } }) },
  'GET /login/telegram/:token': { need: 'public', call: async () => ({ path: '/login/telegram/not-a-token' }) },
  'POST /login/telegram/:token': { need: 'public', call: async () => ({ path: '/login/telegram/not-a-token' }) },
  'GET /password/set/:token': { need: 'public', call: async () => ({ path: '/password/set/not-a-token' }) },
  'POST /password/set/:token': { need: 'public', call: async () => ({ path: '/password/set/not-a-token' }) },
  'POST /logout': { need: 'public', self: true },
  'POST /api/v1/auth/logout': { need: 'signed-in', self: true },

  // Web: tickets.
  'GET /': { need: 'signed-in' },
  'GET /tickets': { need: 'signed-in' },
  'GET /tickets/export.csv': { need: 'signed-in' },
  'GET /tickets/export.xlsx': { need: 'signed-in' },
  // A background export is its owner's alone: each principal asks for one of their own (another's: 404,
  // src/web/ticket-export.test.ts). Still being made, its file's address leads back to its page (303).
  'GET /tickets/exports/:token': {
    need: 'signed-in',
    call: async (f, who) => ({ path: `/tickets/exports/${await ownExport(f, who)}` }),
  },
  'GET /tickets/exports/:token/file': {
    need: 'signed-in',
    call: async (f, who) => ({ path: `/tickets/exports/${await ownExport(f, who)}/file` }),
  },
  'GET /tickets/new': { need: 'signed-in' },
  'POST /tickets/new': {
    need: 'signed-in',
    call: async (f) => ({ path: '', form: { description: 'Матрица', category: String(f.category.id) } }),
  },
  'GET /people': {
    need: 'ticket.create_on_behalf',
    refusal: 404,
    call: async () => ({ path: '/people?q=%D0%A2%D0%B5%D1%81%D1%82' }),
  },
  'GET /tickets/:id': { need: 'ticket.view', ticket: 'new' },
  'GET /tickets/:id/live': { need: 'ticket.view', ticket: 'new' },
  'GET /tickets/:id/events': { need: 'ticket.view', ticket: 'new' },
  'GET /tickets/:id/files/:fileId': {
    need: 'ticket.view',
    ticket: 'new',
    call: async (f, _who, ticket) => ({
      path: `/tickets/${ticket?.id ?? MISSING}/files/${ticket ? await attach(f, ticket.id) : 1}`,
    }),
  },
  'POST /tickets/:id/messages': { need: 'ticket.message', ticket: 'in_progress', refusal: 422, call: form(text) },
  'POST /tickets/:id/take': { need: 'ticket.take', ticket: 'new', refusal: 422 },
  // Staff only; each ticket by its own rules, refusals on the result page.
  'POST /tickets/bulk': {
    need: 'ticket.view',
    refusal: 404,
    call: async (f) => ({ path: '', form: { ids: String(f.foreign.id), action: 'note', text: 'Матрица' } }),
  },
  'POST /tickets/:id/assign': {
    need: 'ticket.assign',
    ticket: 'new',
    refusal: 422,
    call: async (f) => ({ path: '', form: { assignee: String(f.executor.id) } }),
  },
  'POST /tickets/:id/status': {
    need: 'ticket.cancel',
    ticket: 'new',
    refusal: 422,
    call: form({ status: 'cancelled', reason: 'Дубль' }),
  },
  'POST /tickets/:id/update': { need: 'ticket.update', ticket: 'new', refusal: 422, call: form({ priority: 'high' }) },
  // Issue 14: the approval of an access request, by its department's head (a fresh one: no principal) or an admin;
  // anyone else gets the 404 page, as for what does not exist.
  'GET /approvals': { need: 'signed-in' },
  'POST /tickets/:id/approve': {
    need: 'ticket.approve',
    ticket: 'approval',
    refusal: 404,
    call: async (f, _who, ticket) => ({ path: '', form: await headed(f, ticket, {}) }),
  },
  'POST /tickets/:id/reject': {
    need: 'ticket.approve',
    ticket: 'approval',
    refusal: 404,
    call: async (f, _who, ticket) => ({ path: '', form: await headed(f, ticket, { reason: 'Не положено' }) }),
  },
  // Issue 13: links and merges, staff who may change both tickets; refusals beside the links block.
  'POST /tickets/:id/links': {
    need: 'ticket.update',
    ticket: 'new',
    refusal: 422,
    call: async (f, _who, ticket) => ({
      path: '',
      form: { other: String((await sibling(f, ticket)).id), kind: 'related' },
    }),
  },
  'POST /tickets/:id/links/:linkId/delete': {
    need: 'ticket.update',
    ticket: 'new',
    refusal: 422,
    call: async (f, _who, ticket) => ({
      path: `/tickets/${ticket?.id ?? MISSING}/links/${await linkOf(f, ticket)}/delete`,
    }),
  },
  'POST /tickets/:id/merge': {
    need: 'ticket.update',
    ticket: 'new',
    refusal: 422,
    call: async (f, _who, ticket) => ({ path: '', form: { into: String((await sibling(f, ticket)).id) } }),
  },
  'POST /tickets/:id/unmerge': {
    need: 'ticket.update',
    ticket: 'new',
    refusal: 422,
    call: async (f, _who, ticket) => {
      await mergedAway(f, ticket)
      return { path: '', form: { back: 'audit' } }
    },
  },
  // Issue 13: following a ticket, the live list's rows, the bell (IT staff: those who see internal notes).
  'POST /tickets/:id/watch': { need: 'ticket.view_internal', ticket: 'new', refusal: 404, call: form({ follow: '1' }) },
  'GET /tickets/rows': {
    need: 'ticket.view_internal',
    refusal: 404,
    call: async (f) => ({ path: `/tickets/rows?ids=${f.foreign.id}` }),
  },
  'GET /notifications': { need: 'ticket.view_internal', refusal: 404 },
  'GET /notifications/events': { need: 'ticket.view_internal', refusal: 404 },
  'POST /notifications/read-all': { need: 'ticket.view_internal', refusal: 404 },
  'POST /notifications/:id/read': {
    need: 'ticket.view_internal',
    refusal: 404,
    call: async (f, who) => ({ path: `/notifications/${await ownNotification(f, who)}/read` }),
  },
  // The requester's answers on the web (issue 13): staff may confirm and reopen too; a rating is the requester's.
  'POST /tickets/:id/confirm': { need: 'ticket.confirm', ticket: 'resolved', refusal: 422 },
  'POST /tickets/:id/not-solved': {
    need: 'ticket.reopen',
    ticket: 'resolved',
    refusal: 422,
    call: form({ comment: 'Принтер всё ещё не печатает' }),
  },
  'POST /tickets/:id/rate': { need: 'ticket.rate', ticket: 'resolved', refusal: 422, call: form({ score: '4' }) },
  'POST /tickets/:id/rating-comment': {
    need: 'ticket.rate',
    ticket: 'resolved',
    refusal: 422,
    call: async (f, _who, ticket) => {
      if (ticket) await f.db.updateTable('tickets').set({ rating: 4 }).where('id', '=', ticket.id).execute()
      return { path: '', form: { comment: 'Спасибо' } }
    },
  },
  // Saved views of the list (issue 13): IT staff's; each principal changes a view of their own.
  'GET /tickets/views': { need: 'saved_view.manage', refusal: 404 },
  'POST /tickets/views': {
    need: 'saved_view.manage',
    refusal: 404,
    call: async () => ({ path: '', form: { name: unique('Вид'), query: '/tickets?status=new' } }),
  },
  'POST /tickets/views/:id': {
    need: 'saved_view.manage',
    refusal: 404,
    call: async (f, who) => ({ path: `/tickets/views/${await ownView(f, who)}`, form: { name: unique('Вид') } }),
  },
  'POST /tickets/views/:id/move': {
    need: 'saved_view.manage',
    refusal: 404,
    call: async (f, who) => ({ path: `/tickets/views/${await ownView(f, who)}/move`, form: { direction: 'up' } }),
  },
  'POST /tickets/views/:id/delete': {
    need: 'saved_view.manage',
    refusal: 404,
    call: async (f, who) => ({ path: `/tickets/views/${await ownView(f, who)}/delete` }),
  },

  // Web: reports, people, journal, profile, registrations, catalogues.
  'GET /stats': { need: 'report.view_own', refusal: 404, unjournaled: STATS_UNJOURNALED },
  'GET /stats/export.xlsx': { need: 'report.view_own', refusal: 404, unjournaled: STATS_UNJOURNALED },
  'GET /stats/export.csv': { need: 'report.view_own', refusal: 404, unjournaled: STATS_UNJOURNALED },
  'GET /users': { need: 'user.manage', refusal: 404 },
  'GET /users/:id': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => ({ path: `/users/${await freshUser(f)}` }),
  },
  'POST /users/:id/details': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => ({
      path: `/users/${await freshUser(f)}/details`,
      form: { full_name: 'Иванов Иван', phone: '' },
    }),
  },
  'POST /users/:id/role': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => ({ path: `/users/${await freshUser(f)}/role`, form: { role: 'executor' } }),
  },
  'GET /users/:id/consent': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => ({ path: `/users/${await freshUser(f)}/consent` }),
  },
  'GET /users/:id/consent/form.pdf': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => ({ path: `/users/${await freshUser(f)}/consent/form.pdf` }),
  },
  'GET /users/:id/consent/:recordId/scan': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => {
      const userId = await freshUser(f)
      const record = await f.db
        .insertInto('consent_records')
        .values({
          user_id: userId,
          consent_text_id: (await currentConsentText(f.db)).id,
          channel: 'paper',
          status: 'given',
          evidence: '{}',
          created_at: now(),
          withdrawn_at: null,
          evidence_file: f.file.sha256,
          evidence_file_name: 'scan.pdf',
          evidence_file_type: 'application/pdf',
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      return { path: `/users/${userId}/consent/${record.id}/scan` }
    },
  },
  'POST /users/:id/consent/paper': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => ({
      path: `/users/${await freshUser(f)}/consent/paper`,
      form: { signed_on: '2026-11-20' },
      files: { scan: new File([MATRIX_SCAN], 'scan.pdf', { type: 'application/pdf' }) },
    }),
  },
  'POST /users/:id/consent/withdraw': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => {
      const userId = await freshUser(f)
      await buildConsent(f.db, userId)
      return {
        path: `/users/${userId}/consent/withdraw`,
        form: { reason: 'Заявление матрицы', withdrawn_on: '2026-11-20' },
      }
    },
  },
  'POST /users/:id/deactivate': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => ({ path: `/users/${await freshUser(f)}/deactivate` }),
  },
  'POST /users/:id/reactivate': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => ({ path: `/users/${await freshUser(f, 'deactivated')}/reactivate` }),
  },
  'POST /users/:id/sessions/revoke': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => {
      const id = await freshUser(f)
      const session = await createSession(f.db, id, { ip: null, userAgent: 'matrix' })
      return { path: `/users/${id}/sessions/revoke`, form: { session: session.sessionId } }
    },
  },
  'POST /users/:id/sessions/revoke-all': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => ({ path: `/users/${await freshUser(f)}/sessions/revoke-all` }),
  },
  'GET /users/new': { need: 'registration.decide', refusal: 404 },
  'POST /users/new': {
    need: 'registration.decide',
    refusal: 404,
    call: async () => {
      counter += 1
      return { path: '', form: { full_name: unique('Новый'), login: `matrix${counter}`, role: 'requester' } }
    },
  },
  // «Пользователи → Импорт» (issue 11): admin only, hidden from everyone else.
  'GET /users/import': { need: 'user.create', refusal: 404 },
  'GET /users/import/template/:name': {
    need: 'user.create',
    refusal: 404,
    call: async () => ({ path: '/users/import/template/users.xlsx' }),
  },
  'POST /users/import/preview': {
    need: 'user.create',
    refusal: 404,
    call: async () => ({
      path: '',
      form: { kind: 'departments' },
      files: { file: new File([`Название\n${unique('Отделение')}\n`], 'matrix.csv', { type: 'text/csv' }) },
    }),
  },
  'POST /users/import/confirm': {
    need: 'user.create',
    refusal: 404,
    call: async (f, who) => {
      const { keepUpload } = await import('#src/import/upload-store.ts')
      const bytes = new TextEncoder().encode(`Название\n${unique('Отделение')}\n`)
      const key = await keepUpload(f.db, who.user?.id ?? 0, 'departments', { fileName: 'matrix.csv', bytes })
      return { path: '', form: { key } }
    },
  },
  'POST /users/:id/tokens/revoke': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => {
      const owner = await buildUser(f.db)
      const issued = await createApiToken(f.db, actorFromUser(owner, 'web'), { userId: owner.id, name: 'Матрица' })
      return { path: `/users/${owner.id}/tokens/revoke`, form: { token: String(issued.id) } }
    },
  },
  'POST /users/:id/password-reset': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => {
      counter += 1
      return { path: `/users/${(await buildUser(f.db, { login: `matrix${counter}` })).id}/password-reset` }
    },
  },
  'POST /users/:id/unlock': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => ({ path: `/users/${await freshUser(f)}/unlock` }),
  },
  'POST /users/:id/totp-reset': {
    need: 'user.manage',
    refusal: 404,
    call: async (f) => ({ path: `/users/${await freshUser(f)}/totp-reset` }),
  },
  'GET /audit': { need: 'audit.view', refusal: 404 },
  'POST /audit/verify': { need: 'audit.view', refusal: 404 },
  'GET /audit/export.csv': { need: 'audit.view', refusal: 404 },

  // Web: a person's requests and blocking (issue 10).
  'GET /pdn/requests': { need: 'subject_request.manage', refusal: 404 },
  'POST /pdn/requests': {
    need: 'subject_request.manage',
    refusal: 404,
    call: async (f) => ({
      path: '',
      form: { kind: 'access', subject: String(await freshUser(f)), received_on: '2026-01-12', channel: 'letter' },
    }),
  },
  'GET /pdn/requests/:id': {
    need: 'subject_request.manage',
    refusal: 404,
    call: async (f) => ({ path: `/pdn/requests/${await freshRequest(f)}` }),
  },
  'POST /pdn/requests/:id/status': {
    need: 'subject_request.manage',
    refusal: 404,
    call: async (f) => ({ path: `/pdn/requests/${await freshRequest(f)}/status`, form: { status: 'in_progress' } }),
  },
  'POST /pdn/requests/:id/extend': {
    need: 'subject_request.manage',
    refusal: 404,
    call: async (f) => ({ path: `/pdn/requests/${await freshRequest(f)}/extend`, form: { reason: 'Матрица' } }),
  },
  'POST /pdn/requests/:id/answer-documents': {
    need: 'subject_request.manage',
    refusal: 404,
    call: async (f) => ({ path: `/pdn/requests/${await freshRequest(f)}/answer-documents` }),
  },
  'GET /pdn/requests/:id/documents/:doc': {
    need: 'subject_request.manage',
    refusal: 404,
    call: async (f) => {
      const requestId = await freshRequest(f)
      const doc = await f.db
        .insertInto('subject_request_documents')
        .values({
          request_id: requestId,
          file_name: 'otvet.pdf',
          mime_type: 'application/pdf',
          content: Buffer.from(MATRIX_PDF),
          sha256: '0'.repeat(64),
          created_by: null,
          created_at: new Date().toISOString(),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      return { path: `/pdn/requests/${requestId}/documents/${doc.id}` }
    },
  },
  'POST /users/:id/block': {
    need: 'subject_request.manage',
    refusal: 404,
    call: async (f) => ({ path: `/users/${await freshUser(f)}/block`, form: { reason: 'Матрица' } }),
  },
  'POST /users/:id/unblock': {
    need: 'subject_request.manage',
    refusal: 404,
    call: async (f) => {
      const id = await freshUser(f)
      await f.db.updateTable('users').set({ blocked_at: new Date().toISOString() }).where('id', '=', id).execute()
      return { path: `/users/${id}/unblock` }
    },
  },
  'GET /profile': { need: 'signed-in' },
  'POST /profile/contacts': { need: 'signed-in', self: true, call: async () => ({ path: '', form: { room: '12' } }) },
  'POST /profile/language': {
    need: 'signed-in',
    self: true,
    call: async () => ({ path: '', form: { language: 'ru' } }),
  },
  'POST /profile/theme': {
    need: 'signed-in',
    self: true,
    call: async () => ({ path: '', form: { theme: 'dark' } }),
  },
  'POST /profile/password': {
    need: 'signed-in',
    self: true,
    call: async (f, who) => {
      // Signed in by a Telegram link, the principals have no password yet: one is set to change.
      if (who.user?.status === 'active') {
        oldPasswordHash ??= hashPassword(OLD_PASSWORD)
        const hash = await oldPasswordHash
        await f.db
          .updateTable('users')
          .set({ login: `matrix-${who.user.id}`, password_hash: hash })
          .where('id', '=', who.user.id)
          .execute()
      }
      return { path: '', form: { current: OLD_PASSWORD, next: NEW_PASSWORD, repeat: NEW_PASSWORD } }
    },
  },
  'GET /profile/tokens': { need: 'signed-in' },
  'POST /profile/tokens': { need: 'signed-in', call: async () => ({ path: '', form: { name: 'Матрица' } }) },
  'POST /profile/tokens/revoke': {
    need: 'signed-in',
    call: async (f, who) => {
      if (who.user?.status !== 'active') return { path: '', form: { token: '1' } }
      const own = await createApiToken(f.db, actorFromUser(who.user, 'web'), { userId: who.user.id, name: 'Матрица' })
      return { path: '', form: { token: String(own.id) } }
    },
  },
  'POST /profile/sessions/revoke': {
    need: 'signed-in',
    self: true,
    call: async (f, who) => {
      if (!who.user) return { path: '', form: { session: 'none' } }
      const other = await createSession(f.db, who.user.id, { ip: null, userAgent: 'matrix' })
      return { path: '', form: { session: other.sessionId } }
    },
  },
  'POST /profile/consent/withdraw': {
    need: 'signed-in',
    self: true,
    call: async (f, who) => {
      if (who.user) await buildConsent(f.db, who.user.id)
      return { path: '' }
    },
  },
  'POST /profile/telegram/link': { need: 'signed-in' },
  // Issue 10: the person's own consent (the matrix's sessions are not held at the consent page).
  'GET /consent': { need: 'signed-in' },
  'POST /consent/agree': {
    need: 'signed-in',
    call: async (f) => ({ path: '', form: { text: String((await currentConsentText(f.db)).id) } }),
  },
  'POST /consent/refuse': { need: 'signed-in', self: true },
  'GET /settings/consent': { need: 'consent.manage', refusal: 404 },
  'POST /settings/consent': {
    need: 'consent.manage',
    refusal: 404,
    call: async () => ({ path: '', form: { text: unique('Текст согласия') } }),
  },
  'POST /profile/telegram/unlink': {
    need: 'signed-in',
    self: true,
    call: async (f, who) => {
      // Unlinking needs a chat, and a password to sign in with once it is gone.
      if (who.user?.status === 'active') {
        await f.db
          .updateTable('users')
          .set({
            login: `matrix-tg-${who.user.id}`,
            password_hash: 'matrix',
            telegram_chat_id: String(880_000_000 + who.user.id),
          })
          .where('id', '=', who.user.id)
          .execute()
      }
      return { path: '' }
    },
  },
  // Issue 15: linking MAX from the profile (Telegram's code, MAX's deep link) and unlinking it.
  'POST /profile/max/link': { need: 'signed-in' },
  'POST /profile/max/unlink': {
    need: 'signed-in',
    self: true,
    call: async (f, who) => {
      // Unlinking needs a MAX chat, and another way to sign in once it is gone.
      if (who.user?.status === 'active') {
        await f.db
          .updateTable('users')
          .set({
            login: `matrix-max-${who.user.id}`,
            password_hash: 'matrix',
            max_user_id: String(770_000_000 + who.user.id),
          })
          .where('id', '=', who.user.id)
          .execute()
      }
      return { path: '' }
    },
  },
  'GET /registrations': { need: 'registration.decide', refusal: 404 },
  'POST /registrations/:id/confirm': {
    need: 'registration.decide',
    refusal: 404,
    call: async (f) => ({ path: `/registrations/${await freshUser(f, 'pending')}/confirm` }),
  },
  'POST /registrations/:id/reject': {
    need: 'registration.decide',
    refusal: 404,
    call: async (f) => ({
      path: `/registrations/${await freshUser(f, 'pending')}/reject`,
      form: { reason: 'Не работает у нас' },
    }),
  },
  'GET /categories': { need: 'category.manage', refusal: 404 },
  'GET /categories/new': { need: 'category.manage', refusal: 404 },
  'POST /categories': {
    need: 'category.manage',
    refusal: 404,
    call: async () => ({ path: '', form: { name: unique('Категория'), priority: 'normal' } }),
  },
  'GET /categories/:id/edit': {
    need: 'category.manage',
    refusal: 404,
    call: async (f) => ({ path: `/categories/${f.catalogue.category}/edit` }),
  },
  'POST /categories/:id': {
    need: 'category.manage',
    refusal: 404,
    call: async (f) => ({
      path: `/categories/${f.catalogue.category}`,
      form: { name: unique('Категория'), priority: 'normal' },
    }),
  },
  'POST /categories/:id/active': {
    need: 'category.manage',
    refusal: 404,
    call: async (f) => ({ path: `/categories/${f.catalogue.category}/active`, form: { active: '1' } }),
  },
  'POST /categories/:id/move': {
    need: 'category.manage',
    refusal: 404,
    call: async (f) => ({ path: `/categories/${f.catalogue.category}/move`, form: { direction: 'up' } }),
  },
  'GET /departments': { need: 'department.manage', refusal: 404 },
  'POST /departments': {
    need: 'department.manage',
    refusal: 404,
    call: async () => ({ path: '', form: { name: unique('Отделение') } }),
  },
  'POST /departments/:id': {
    need: 'department.manage',
    refusal: 404,
    call: async (f) => ({ path: `/departments/${f.catalogue.department}`, form: { name: unique('Отделение') } }),
  },
  // Issue 14: a department's head, who approves its access requests.
  'GET /departments/:id/head': {
    need: 'department.manage',
    refusal: 404,
    call: async (f) => ({ path: `/departments/${f.catalogue.department}/head` }),
  },
  'POST /departments/:id/head': {
    need: 'department.manage',
    refusal: 404,
    call: async (f) => ({ path: `/departments/${f.catalogue.department}/head`, form: { head: '' } }),
  },
  'POST /departments/:id/active': {
    need: 'department.manage',
    refusal: 404,
    call: async (f) => ({ path: `/departments/${f.catalogue.department}/active`, form: { active: '1' } }),
  },
  'POST /departments/:id/move': {
    need: 'department.manage',
    refusal: 404,
    call: async (f) => ({ path: `/departments/${f.catalogue.department}/move`, form: { direction: 'up' } }),
  },
  'GET /groups': { need: 'group.manage', refusal: 404 },
  'GET /groups/new': { need: 'group.manage', refusal: 404 },
  'POST /groups': {
    need: 'group.manage',
    refusal: 404,
    call: async () => ({ path: '', form: { name: unique('Группа') } }),
  },
  'GET /groups/:id/edit': {
    need: 'group.manage',
    refusal: 404,
    call: async (f) => ({ path: `/groups/${f.catalogue.group}/edit` }),
  },
  'POST /groups/:id': {
    need: 'group.manage',
    refusal: 404,
    call: async (f) => ({ path: `/groups/${f.catalogue.group}`, form: { name: unique('Группа') } }),
  },
  'POST /groups/:id/active': {
    need: 'group.manage',
    refusal: 404,
    call: async (f) => ({ path: `/groups/${f.catalogue.group}/active`, form: { active: '1' } }),
  },
  // «Шаблоны ответов» (issue 13): IT staff, each principal on a personal macro of their own.
  'GET /macros': { need: 'macro.use', refusal: 404 },
  'GET /macros/new': { need: 'macro.use', refusal: 404 },
  'POST /macros': { need: 'macro.use', refusal: 404, call: async () => ({ path: '', form: macroForm() }) },
  'GET /macros/:id/edit': {
    need: 'macro.use',
    refusal: 404,
    call: async (f, who) => ({ path: `/macros/${await ownMacro(f, who)}/edit` }),
  },
  'POST /macros/:id': {
    need: 'macro.use',
    refusal: 404,
    call: async (f, who) => ({ path: `/macros/${await ownMacro(f, who)}`, form: macroForm() }),
  },
  'POST /macros/:id/delete': {
    need: 'macro.use',
    refusal: 404,
    call: async (f, who) => ({ path: `/macros/${await ownMacro(f, who)}/delete` }),
  },
  // «Оборудование» (issue 14): IT staff; writing off and the import are the curators' and admins'.
  'GET /equipment': { need: 'equipment.use', refusal: 404 },
  'GET /equipment/new': { need: 'equipment.use', refusal: 404 },
  'POST /equipment': {
    need: 'equipment.use',
    refusal: 404,
    call: async () => ({ path: '', form: { inventory_number: `МТР-${unique('').replace(/\D/g, '')}`, kind: 'МФУ' } }),
  },
  'GET /equipment/failures': { need: 'equipment.use', refusal: 404 },
  'GET /equipment/stickers.pdf': {
    need: 'equipment.use',
    refusal: 404,
    call: async (f) => ({ path: `/equipment/stickers.pdf?layout=65&id=${await freshDevice(f)}` }),
  },
  'GET /equipment/:id': {
    need: 'equipment.use',
    refusal: 404,
    call: async (f) => ({ path: `/equipment/${await freshDevice(f)}` }),
  },
  'GET /equipment/:id/edit': {
    need: 'equipment.use',
    refusal: 404,
    call: async (f) => ({ path: `/equipment/${await freshDevice(f)}/edit` }),
  },
  'POST /equipment/:id': {
    need: 'equipment.use',
    refusal: 404,
    call: async (f) => ({
      path: `/equipment/${await freshDevice(f)}`,
      form: { inventory_number: `МТР-${unique('').replace(/\D/g, '')}`, kind: 'МФУ', status: 'in_repair' },
    }),
  },
  'POST /equipment/:id/write-off': {
    need: 'equipment.manage',
    refusal: 404,
    call: async (f) => ({ path: `/equipment/${await freshDevice(f)}/write-off` }),
  },
  'GET /equipment/import': { need: 'equipment.manage', refusal: 404 },
  'GET /equipment/import/template.xlsx': { need: 'equipment.manage', refusal: 404 },
  'POST /equipment/import/preview': {
    need: 'equipment.manage',
    refusal: 404,
    call: async () => ({
      path: '',
      files: { file: new File([equipmentCsv()], 'matrix.csv', { type: 'text/csv' }) },
    }),
  },
  'POST /equipment/import/confirm': {
    need: 'equipment.manage',
    refusal: 404,
    call: async (f, who) => {
      const { keepUpload } = await import('#src/import/upload-store.ts')
      const bytes = new TextEncoder().encode(equipmentCsv())
      const key = await keepUpload(f.db, who.user?.id ?? 0, 'equipment', { fileName: 'matrix.csv', bytes })
      return { path: '', form: { key } }
    },
  },
  'POST /tickets/:id/equipment': {
    need: 'ticket.update',
    ticket: 'new',
    refusal: 422,
    call: async (f) => {
      const id = await freshDevice(f)
      const device = await f.db
        .selectFrom('equipment')
        .select('inventory_number')
        .where('id', '=', id)
        .executeTakeFirst()
      return { path: '', form: { inventory_number: device?.inventory_number ?? '' } }
    },
  },
  // «База знаний» (issue 14): everyone signed in reads the public articles; IT staff write them.
  'GET /kb': { need: 'signed-in' },
  'GET /kb/new': { need: 'article.manage', refusal: 404 },
  'POST /kb': { need: 'article.manage', refusal: 404, call: async () => ({ path: '', form: articleForm() }) },
  'GET /kb/picker': { need: 'article.manage', refusal: 404 },
  'GET /kb/:id': { need: 'signed-in', call: async (f) => ({ path: `/kb/${(await freshArticle(f)).id}` }) },
  'GET /kb/:id/images/:imageId': {
    need: 'signed-in',
    call: async (f) => {
      const article = await freshArticle(f)
      return { path: `/kb/${article.id}/images/${article.imageId}` }
    },
  },
  'GET /kb/:id/edit': {
    need: 'article.manage',
    refusal: 404,
    call: async (f) => ({ path: `/kb/${(await freshArticle(f)).id}/edit` }),
  },
  'POST /kb/:id': {
    need: 'article.manage',
    refusal: 404,
    call: async (f) => ({ path: `/kb/${(await freshArticle(f)).id}`, form: articleForm() }),
  },
  'POST /kb/:id/feedback': {
    need: 'signed-in',
    call: async (f) => ({ path: `/kb/${(await freshArticle(f)).id}/feedback`, form: { helpful: '1' } }),
  },
  'POST /kb/:id/delete': {
    need: 'article.manage',
    refusal: 404,
    call: async (f) => ({ path: `/kb/${(await freshArticle(f)).id}/delete` }),
  },
  // «Плановые работы» (issue 14): IT staff see them; curators and admins make, change, pause and run them.
  'GET /plans': { need: 'plan.view', refusal: 404 },
  'GET /plans/new': { need: 'plan.manage', refusal: 404 },
  'POST /plans': { need: 'plan.manage', refusal: 404, call: async (f) => ({ path: '', form: await planFields(f) }) },
  'POST /plans/preview': {
    need: 'plan.view',
    refusal: 404,
    call: async (f) => ({ path: '', form: await planFields(f) }),
  },
  'GET /plans/:id': { need: 'plan.view', refusal: 404, call: async (f) => ({ path: `/plans/${await freshPlan(f)}` }) },
  'POST /plans/:id': {
    need: 'plan.manage',
    refusal: 404,
    call: async (f) => ({ path: `/plans/${await freshPlan(f)}`, form: await planFields(f) }),
  },
  'POST /plans/:id/active': {
    need: 'plan.manage',
    refusal: 404,
    call: async (f) => ({ path: `/plans/${await freshPlan(f)}/active`, form: { active: '0' } }),
  },
  'POST /plans/:id/run': {
    need: 'plan.manage',
    refusal: 404,
    call: async (f) => ({ path: `/plans/${await freshPlan(f)}/run` }),
  },
  // «Дежурства» (issue 14): IT staff see the roster; curators and admins change it.
  'GET /duty': { need: 'duty.view', refusal: 404 },
  'POST /duty': { need: 'duty.manage', refusal: 404, call: async (f) => ({ path: '', form: await shiftFields(f) }) },
  'GET /duty/import': { need: 'duty.manage', refusal: 404 },
  'GET /duty/import/template.xlsx': { need: 'duty.manage', refusal: 404 },
  'POST /duty/import/preview': {
    need: 'duty.manage',
    refusal: 404,
    call: async (f) => ({ path: '', files: { file: new File([await dutyCsv(f)], 'duty.csv', { type: 'text/csv' }) } }),
  },
  'POST /duty/import/confirm': {
    need: 'duty.manage',
    refusal: 404,
    call: async (f, who) => {
      const { keepUpload } = await import('#src/import/upload-store.ts')
      const bytes = new TextEncoder().encode(await dutyCsv(f))
      const key = await keepUpload(f.db, who.user?.id ?? 0, 'duty', { fileName: 'duty.csv', bytes })
      return { path: '', form: { key } }
    },
  },
  'GET /duty/:id': { need: 'duty.manage', refusal: 404, call: async (f) => ({ path: `/duty/${await freshShift(f)}` }) },
  'POST /duty/:id': {
    need: 'duty.manage',
    refusal: 404,
    call: async (f) => ({ path: `/duty/${await freshShift(f)}`, form: await shiftFields(f) }),
  },
  'POST /duty/:id/delete': {
    need: 'duty.manage',
    refusal: 404,
    call: async (f) => ({ path: `/duty/${await freshShift(f)}/delete` }),
  },
  // «Массовые сбои» (issue 14): IT staff see, declare and end them.
  'GET /profile/outage-notices': { need: 'signed-in' },
  'POST /profile/outage-notices': { need: 'signed-in', call: async () => ({ path: '', form: { on: '1' } }) },
  'GET /outages': { need: 'outage.view', refusal: 404 },
  'GET /outages/:id': {
    need: 'outage.view',
    refusal: 404,
    call: async (f) => ({ path: `/outages/${await freshOutage(f)}` }),
  },
  'POST /outages/:id/resolve': {
    need: 'outage.manage',
    refusal: 404,
    call: async (f) => ({ path: `/outages/${await freshOutage(f)}/resolve`, form: { resolution: 'Починили' } }),
  },
  'GET /tickets/:id/outage': {
    need: 'outage.manage',
    refusal: 404,
    call: async (f) => {
      const ticket = await buildTicket(f.db, { categoryId: f.category.id, status: 'in_progress' })
      return { path: `/tickets/${ticket.id}/outage` }
    },
  },
  'POST /tickets/:id/outage': {
    need: 'outage.manage',
    refusal: 404,
    call: async (f) => {
      const ticket = await buildTicket(f.db, { categoryId: f.category.id, status: 'in_progress' })
      return {
        path: `/tickets/${ticket.id}/outage`,
        form: {
          title: unique('Сбой'),
          department_ids: String(f.catalogue.department),
          category_ids: String(f.category.id),
        },
      }
    },
  },

  // Web: destruction of personal data (issue 10).
  'GET /pdn/destruction': { need: 'pdn.destroy', refusal: 404 },
  'GET /pdn/destruction/:id': {
    need: 'pdn.destroy',
    refusal: 404,
    call: async (f) => ({ path: `/pdn/destruction/${await freshUser(f, 'deactivated')}` }),
  },
  'POST /pdn/destruction/:id': {
    need: 'pdn.destroy',
    refusal: 404,
    call: async (f) => {
      await withCommission(f)
      return {
        path: `/pdn/destruction/${await freshUser(f, 'deactivated')}`,
        form: { reason: 'Матрица прав', member_0: '1' },
      }
    },
  },
  'GET /pdn/acts': { need: 'pdn.destroy', refusal: 404 },
  'GET /pdn/acts/:id/act.pdf': {
    need: 'pdn.destroy',
    refusal: 404,
    call: async (f) => ({ path: `/pdn/acts/${await destructionAct(f)}/act.pdf` }),
  },
  'GET /pdn/acts/:id/journal.pdf': {
    need: 'pdn.destroy',
    refusal: 404,
    call: async (f) => ({ path: `/pdn/acts/${await destructionAct(f)}/journal.pdf` }),
  },
  // Web: settings, the «ПДн» hub and the list of people with access to ПДн (issue 10).
  'GET /settings': { need: 'settings.manage', refusal: 404 },
  'POST /settings': {
    need: 'settings.manage',
    refusal: 404,
    call: async () => ({ path: '', form: { key: 'tickets.auto_close_days', value: '3' } }),
  },
  'GET /pdn': { need: 'settings.manage', refusal: 404 },
  'GET /pdn/access-list': { need: 'pdn.access_list', refusal: 404 },
  'GET /pdn/access-list/export.pdf': { need: 'pdn.access_list', refusal: 404 },
  'GET /pdn/access-list/export.xlsx': { need: 'pdn.access_list', refusal: 404 },

  // API.
  'GET /profile/2fa': { need: 'signed-in' },
  'POST /profile/2fa/begin': { need: 'signed-in', self: true },
  'POST /profile/2fa/confirm': {
    need: 'signed-in',
    self: true,
    call: async (f, who) => {
      if (who.user?.status !== 'active') return { path: '', form: { code: '000000' } }
      const { secret } = await freshTotp(f.db, actorFromUser(who.user, 'web'))
      return { path: '', form: { code: await generate({ secret }) } }
    },
  },
  'POST /profile/2fa/disable': {
    need: 'signed-in',
    self: true,
    call: async (f, who) => {
      if (who.user?.status !== 'active') return { path: '', form: { code: '000000' } }
      const actor = actorFromUser(who.user, 'web')
      const { secret } = await freshTotp(f.db, actor)
      const [recovery] = await confirmTotp(f.db, actor, testConfig().secretKey, await generate({ secret }))
      return { path: '', form: { code: recovery ?? '' } }
    },
  },
  'GET /api/v1/me': { need: 'signed-in' },
  'POST /api/v1/me/totp': { need: 'signed-in', self: true },
  'POST /api/v1/me/totp/confirm': {
    need: 'signed-in',
    self: true,
    call: async (f, who) => {
      if (who.user?.status !== 'active') return { path: '', json: { code: '000000' } }
      const { secret } = await freshTotp(f.db, actorFromUser(who.user, 'api'))
      return { path: '', json: { code: await generate({ secret }) } }
    },
  },
  'DELETE /api/v1/me/totp': {
    need: 'signed-in',
    self: true,
    call: async (f, who) => {
      if (who.user?.status !== 'active') return { path: '', json: { code: '000000' } }
      const actor = actorFromUser(who.user, 'api')
      const { secret } = await freshTotp(f.db, actor)
      const [recovery] = await confirmTotp(f.db, actor, testConfig().secretKey, await generate({ secret }))
      return { path: '', json: { code: recovery } }
    },
  },
  'POST /api/v1/me/telegram-link': { need: 'signed-in' },
  'GET /api/v1/audit': { need: 'audit.view', refusal: 403 },
  'GET /api/v1/tickets': { need: 'signed-in' },
  'POST /api/v1/tickets': {
    need: 'signed-in',
    call: async (f) => ({ path: '', json: { description: 'Матрица', category_id: f.category.id } }),
  },
  // Staff only (those who see every ticket); each ticket then by its own rules, refusals in the answer.
  'POST /api/v1/tickets/bulk': {
    need: 'ticket.view',
    refusal: 403,
    call: async (f) => ({ path: '', json: { ticket_ids: [f.foreign.id], action: 'note', text: 'Матрица' } }),
  },
  'GET /api/v1/tickets/:id': { need: 'ticket.view', ticket: 'new' },
  'PATCH /api/v1/tickets/:id': { need: 'ticket.update', ticket: 'new', refusal: 403, call: json({ priority: 'high' }) },
  'POST /api/v1/tickets/:id/messages': {
    need: 'ticket.message',
    ticket: 'in_progress',
    refusal: 403,
    call: json(text),
  },
  'POST /api/v1/tickets/:id/assign': {
    need: 'ticket.assign',
    ticket: 'new',
    refusal: 403,
    call: async (f) => ({ path: '', json: { assignee_id: f.executor.id } }),
  },
  'POST /api/v1/tickets/:id/take': { need: 'ticket.take', ticket: 'new', refusal: 403 },
  'POST /api/v1/tickets/:id/status': {
    need: 'ticket.cancel',
    ticket: 'new',
    refusal: 403,
    call: json({ status: 'cancelled', reason: 'Дубль' }),
  },
  'PUT /api/v1/tickets/:id/watch': { need: 'ticket.view_internal', ticket: 'new', refusal: 403 },
  'DELETE /api/v1/tickets/:id/watch': { need: 'ticket.view_internal', ticket: 'new', refusal: 403 },
  'GET /api/v1/notifications': { need: 'ticket.view_internal', refusal: 403 },
  'POST /api/v1/notifications/read-all': { need: 'ticket.view_internal', refusal: 403 },
  'POST /api/v1/notifications/:id/read': {
    need: 'ticket.view_internal',
    refusal: 403,
    call: async (f, who) => ({ path: `/api/v1/notifications/${await ownNotification(f, who)}/read` }),
  },
  'POST /api/v1/tickets/:id/rating': {
    need: 'ticket.rate',
    ticket: 'resolved',
    refusal: 403,
    call: json({ score: 5 }),
  },
  'POST /api/v1/tickets/:id/links': {
    need: 'ticket.update',
    ticket: 'new',
    refusal: 403,
    call: async (f, _who, ticket) => ({ path: '', json: { kind: 'child', other_id: (await sibling(f, ticket)).id } }),
  },
  'DELETE /api/v1/tickets/:id/links/:linkId': {
    need: 'ticket.update',
    ticket: 'new',
    refusal: 403,
    call: async (f, _who, ticket) => ({
      path: `/api/v1/tickets/${ticket?.id ?? MISSING}/links/${await linkOf(f, ticket)}`,
    }),
  },
  'POST /api/v1/tickets/:id/merge': {
    need: 'ticket.update',
    ticket: 'new',
    refusal: 403,
    call: async (f, _who, ticket) => ({ path: '', json: { into_id: (await sibling(f, ticket)).id } }),
  },
  'POST /api/v1/tickets/:id/unmerge': {
    need: 'ticket.update',
    ticket: 'new',
    refusal: 403,
    call: async (f, _who, ticket) => {
      await mergedAway(f, ticket)
      return { path: '' }
    },
  },
  'GET /api/v1/views': { need: 'saved_view.manage', refusal: 403 },
  'POST /api/v1/views': {
    need: 'saved_view.manage',
    refusal: 403,
    call: async () => ({ path: '', json: { name: unique('Вид'), query: 'status=new' } }),
  },
  'PATCH /api/v1/views/:id': {
    need: 'saved_view.manage',
    refusal: 403,
    call: async (f, who) => ({ path: `/api/v1/views/${await ownView(f, who)}`, json: { name: unique('Вид') } }),
  },
  'DELETE /api/v1/views/:id': {
    need: 'saved_view.manage',
    refusal: 403,
    call: async (f, who) => ({ path: `/api/v1/views/${await ownView(f, who)}` }),
  },
  'GET /api/v1/views/:id/tickets': {
    need: 'saved_view.manage',
    refusal: 403,
    call: async (f, who) => ({ path: `/api/v1/views/${await ownView(f, who)}/tickets` }),
  },
  'POST /api/v1/users': {
    need: 'user.create',
    refusal: 403,
    call: async () => ({ path: '', json: { full_name: 'Петров Пётр Петрович', role: 'requester' } }),
  },
  'GET /api/v1/users': { need: 'user.view', refusal: 403 },
  'GET /api/v1/users/:id': {
    need: 'user.view',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/users/${await freshUser(f)}` }),
  },
  'POST /api/v1/users/:id/confirm': {
    need: 'registration.decide',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/users/${await freshUser(f, 'pending')}/confirm` }),
  },
  'POST /api/v1/users/:id/reject': {
    need: 'registration.decide',
    refusal: 403,
    call: async (f) => ({
      path: `/api/v1/users/${await freshUser(f, 'pending')}/reject`,
      json: { reason: 'Не у нас' },
    }),
  },
  'POST /api/v1/users/:id/deactivate': {
    need: 'user.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/users/${await freshUser(f)}/deactivate` }),
  },
  'POST /api/v1/users/:id/reactivate': {
    need: 'user.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/users/${await freshUser(f, 'deactivated')}/reactivate` }),
  },
  'POST /api/v1/users/:id/role': {
    need: 'user.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/users/${await freshUser(f)}/role`, json: { role: 'executor' } }),
  },
  'GET /api/v1/departments': { need: 'signed-in' },
  'POST /api/v1/departments': {
    need: 'department.manage',
    refusal: 403,
    call: async () => ({ path: '', json: { name: unique('Отделение') } }),
  },
  'PATCH /api/v1/departments/:id': {
    need: 'department.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/departments/${f.catalogue.department}`, json: { name: unique('Отделение') } }),
  },
  'GET /api/v1/groups': { need: 'signed-in' },
  'POST /api/v1/groups': {
    need: 'group.manage',
    refusal: 403,
    call: async () => ({ path: '', json: { name: unique('Группа') } }),
  },
  'PATCH /api/v1/groups/:id': {
    need: 'group.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/groups/${f.catalogue.group}`, json: { name: unique('Группа') } }),
  },
  'GET /api/v1/macros': { need: 'macro.use', refusal: 403 },
  'POST /api/v1/macros': {
    need: 'macro.use',
    refusal: 403,
    call: async () => ({ path: '', json: { title: unique('Шаблон'), body: 'Текст', scope: 'personal' } }),
  },
  'GET /api/v1/macros/:id': {
    need: 'macro.use',
    refusal: 403,
    call: async (f, who) => ({ path: `/api/v1/macros/${await ownMacro(f, who)}` }),
  },
  'PATCH /api/v1/macros/:id': {
    need: 'macro.use',
    refusal: 403,
    call: async (f, who) => ({ path: `/api/v1/macros/${await ownMacro(f, who)}`, json: { title: unique('Шаблон') } }),
  },
  'DELETE /api/v1/macros/:id': {
    need: 'macro.use',
    refusal: 403,
    call: async (f, who) => ({ path: `/api/v1/macros/${await ownMacro(f, who)}` }),
  },
  'POST /api/v1/macros/:id/preview': {
    need: 'macro.use',
    refusal: 403,
    call: async (f, who) => ({ path: `/api/v1/macros/${await ownMacro(f, who)}/preview?ticket_id=${f.foreign.id}` }),
  },
  'GET /api/v1/articles': { need: 'signed-in' },
  'POST /api/v1/articles': {
    need: 'article.manage',
    refusal: 403,
    call: async () => ({ path: '', json: { title: unique('Статья'), body: 'Текст', visibility: 'public' } }),
  },
  'GET /api/v1/articles/:id': {
    need: 'signed-in',
    call: async (f) => ({ path: `/api/v1/articles/${(await freshArticle(f)).id}` }),
  },
  'PATCH /api/v1/articles/:id': {
    need: 'article.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/articles/${(await freshArticle(f)).id}`, json: { title: unique('Статья') } }),
  },
  'DELETE /api/v1/articles/:id': {
    need: 'article.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/articles/${(await freshArticle(f)).id}` }),
  },
  'POST /api/v1/articles/:id/feedback': {
    need: 'signed-in',
    call: async (f) => ({ path: `/api/v1/articles/${(await freshArticle(f)).id}/feedback`, json: { helpful: true } }),
  },
  'POST /api/v1/macros/:id/apply': {
    need: 'macro.use',
    refusal: 403,
    call: async (f, who) => {
      const ticket = await buildTicket(f.db, { categoryId: f.category.id, status: 'in_progress' })
      return { path: `/api/v1/macros/${await ownMacro(f, who)}/apply`, json: { ticket_id: ticket.id } }
    },
  },
  'GET /api/v1/plans': { need: 'plan.view', refusal: 403 },
  'GET /api/v1/approvals': { need: 'signed-in' },
  'POST /api/v1/tickets/:id/approve': {
    need: 'ticket.approve',
    ticket: 'approval',
    refusal: 403,
    call: async (f, _who, ticket) => ({ path: '', json: await headed(f, ticket, {}) }),
  },
  'POST /api/v1/tickets/:id/reject': {
    need: 'ticket.approve',
    ticket: 'approval',
    refusal: 403,
    call: async (f, _who, ticket) => ({ path: '', json: await headed(f, ticket, { reason: 'Не положено' }) }),
  },
  'POST /api/v1/plans': {
    need: 'plan.manage',
    refusal: 403,
    call: async (f) => ({ path: '', json: await planJson(f) }),
  },
  'POST /api/v1/plans/preview': {
    need: 'plan.view',
    refusal: 403,
    call: async () => ({ path: '', json: { schedule: '0 9 1 * *' } }),
  },
  'GET /api/v1/plans/:id': {
    need: 'plan.view',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/plans/${await freshPlan(f)}` }),
  },
  'PATCH /api/v1/plans/:id': {
    need: 'plan.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/plans/${await freshPlan(f)}`, json: { title: unique('План') } }),
  },
  'POST /api/v1/plans/:id/run': {
    need: 'plan.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/plans/${await freshPlan(f)}/run` }),
  },
  'GET /api/v1/duty': { need: 'duty.view', refusal: 403 },
  'GET /api/v1/duty/now': { need: 'duty.view', refusal: 403 },
  'POST /api/v1/duty': {
    need: 'duty.manage',
    refusal: 403,
    call: async (f) => ({ path: '', json: await shiftJson(f) }),
  },
  'PATCH /api/v1/duty/:id': {
    need: 'duty.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/duty/${await freshShift(f)}`, json: { note: unique('Замена') } }),
  },
  'DELETE /api/v1/duty/:id': {
    need: 'duty.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/duty/${await freshShift(f)}` }),
  },
  'GET /api/v1/outages': { need: 'outage.view', refusal: 403 },
  'POST /api/v1/outages': {
    need: 'outage.manage',
    refusal: 403,
    call: async (f) => {
      const ticket = await buildTicket(f.db, { categoryId: f.category.id, status: 'in_progress' })
      return {
        path: '',
        json: { ticket_id: ticket.id, department_ids: [f.catalogue.department], category_ids: [f.category.id] },
      }
    },
  },
  'GET /api/v1/outages/:id': {
    need: 'outage.view',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/outages/${await freshOutage(f)}` }),
  },
  'POST /api/v1/outages/:id/resolve': {
    need: 'outage.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/outages/${await freshOutage(f)}/resolve`, json: { resolution: 'Починили' } }),
  },
  'GET /api/v1/equipment': { need: 'equipment.use', refusal: 403 },
  'POST /api/v1/equipment': {
    need: 'equipment.use',
    refusal: 403,
    call: async () => ({ path: '', json: { inventory_number: `МТР-${unique('').replace(/\D/g, '')}`, kind: 'МФУ' } }),
  },
  'GET /api/v1/equipment/failures': {
    need: 'equipment.use',
    refusal: 403,
    call: async () => ({ path: '/api/v1/equipment/failures?from=2026-01-01&to=2026-01-31' }),
  },
  'GET /api/v1/equipment/:id': {
    need: 'equipment.use',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/equipment/${await freshDevice(f)}` }),
  },
  'PATCH /api/v1/equipment/:id': {
    need: 'equipment.use',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/equipment/${await freshDevice(f)}`, json: { room: '101' } }),
  },
  'POST /api/v1/equipment/:id/write-off': {
    need: 'equipment.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/equipment/${await freshDevice(f)}/write-off` }),
  },
  'PUT /api/v1/tickets/:id/equipment': {
    need: 'ticket.update',
    ticket: 'new',
    refusal: 403,
    call: async (f) => ({ path: '', json: { equipment_id: await freshDevice(f) } }),
  },
  'GET /api/v1/categories': { need: 'signed-in' },
  'POST /api/v1/categories': {
    need: 'category.manage',
    refusal: 403,
    call: async () => ({ path: '', json: { name: unique('Категория') } }),
  },
  'PATCH /api/v1/categories/:id': {
    need: 'category.manage',
    refusal: 403,
    call: async (f) => ({ path: `/api/v1/categories/${f.catalogue.category}`, json: { name: unique('Категория') } }),
  },
}

/** A saved view of the principal's own (issue 13), straight into its table; a number of none for the anonymous. */
async function ownView(f: Fixtures, who: Principal): Promise<number> {
  if (!who.user) return MISSING
  const at = now()
  const row = await f.db
    .insertInto('saved_views')
    .values({ name: unique('Вид'), query: 'status=new', owner_id: who.user.id, created_at: at, updated_at: at })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

async function attach(f: Fixtures, ticketId: number): Promise<number> {
  const [id] = await f.db
    .transaction()
    .execute((tx) =>
      insertAttachments(tx, { ticketId, messageId: null, uploaderId: f.executor.id, at: now() }, [f.file]),
    )
  return id ?? 0
}

const folders: string[] = []
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

describe('the permission matrix (TESTING.md B4)', () => {
  let fixtures: Fixtures
  let principals: Principal[]
  let app: ReturnType<typeof testApp>['app']
  let config: ReturnType<typeof testConfig>

  beforeAll(async () => {
    const { db } = await testDatabase()
    const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-matrix-'))
    folders.push(dataDir)
    config = testConfig({ dataDir })
    app = testApp(db, config).app
    const inGroup = await buildUser(db, { role: 'executor', status: 'active' })
    const group = await buildGroup(db, 'Сети матрицы', [inGroup.id])
    const category = await buildCategory(db, { defaultGroupId: group.id })
    const file = await storeFile(dataDir, new TextEncoder().encode('снимок экрана'), {
      fileName: 'screen.txt',
      mimeType: 'text/plain',
    })
    fixtures = {
      db,
      category,
      executor: inGroup,
      file,
      foreign: await buildTicket(db, { categoryId: category.id }),
      catalogue: {
        category: (await buildCategory(db, { name: 'Правим в матрице' })).id,
        department: (await buildDepartment(db, 'Правим в матрице')).id,
        group: (await buildGroup(db, 'Правим в матрице')).id,
      },
    }
    principals = []
    for (const name of principalNames)
      principals.push(await principal(name, name === 'executor in the group' ? inGroup : undefined))
  })

  async function principal(name: PrincipalName, existing?: User): Promise<Principal> {
    const db = fixtures.db
    if (name === 'anonymous')
      return { name, user: undefined, actor: undefined, cookie: undefined, csrf: undefined, bearer: undefined }
    const role: Role =
      name === 'requester' ? 'requester' : name === 'curator' ? 'curator' : name === 'admin' ? 'admin' : 'executor'
    let user = existing ?? (await buildUser(db, { role, status: 'active' }))
    const session = await createSession(db, user.id, { ip: null, userAgent: 'matrix' })
    const system: Actor = { id: null, role: 'system', status: 'active', channel: 'cli', ip: null }
    const { token } = await createApiToken(db, system, { userId: user.id, name: 'матрица' })
    const status: UserStatus | undefined =
      name === 'pending'
        ? 'pending'
        : name === 'rejected'
          ? 'rejected'
          : name === 'deactivated'
            ? 'deactivated'
            : undefined
    // The account changes after its session and token were made: the app must look at it as it is now.
    if (status) {
      await db.updateTable('users').set({ status }).where('id', '=', user.id).execute()
      user = { ...user, status }
    }
    if (name === 'revoked session') {
      await db.updateTable('sessions').set({ revoked_at: now() }).where('user_id', '=', user.id).execute()
    }
    if (name === 'revoked token') {
      await db.updateTable('api_tokens').set({ revoked_at: now() }).where('user_id', '=', user.id).execute()
    }
    return {
      name,
      user,
      actor: actorFromUser(user, 'web'),
      cookie: name === 'revoked token' ? undefined : `${SESSION_COOKIE}=${session.token}`,
      csrf: csrfToken(config.secretKey, session.sessionId),
      bearer: name === 'revoked session' ? undefined : token,
    }
  }

  const owned = new Map<PrincipalName, Ticket>()
  async function ownTicket(who: Principal): Promise<Ticket> {
    let ticket = owned.get(who.name)
    if (!ticket) {
      ticket = await buildTicket(fixtures.db, { requesterId: who.user?.id, categoryId: fixtures.category.id })
      owned.set(who.name, ticket)
    }
    return ticket
  }

  /** Someone the app must treat as signed in: an active account with credentials still standing. */
  function signedIn(who: Principal): boolean {
    if (who.user?.status !== 'active') return false
    return who.name !== 'revoked session' && who.name !== 'revoked token'
  }

  test('every route of the app is in the table, and the table has no route the app lacks', () => {
    const inApp = new Set(
      app.routes.filter((r) => !(r.method === 'ALL' && r.path.endsWith('/*'))).map((r) => `${r.method} ${r.path}`),
    )
    expect([...inApp].filter((key) => !(key in routes)).sort(), 'routes to classify in the matrix').toEqual([])
    expect(
      Object.keys(routes)
        .filter((key) => !inApp.has(key))
        .sort(),
      'table entries without a route',
    ).toEqual([])
  })

  // About 1 000 requests in a row: a loaded machine needs more than the default 30 s.
  test('each principal gets what the permission table allows, and every refusal is journaled', {
    timeout: 180_000,
  }, async () => {
    const problems: string[] = []
    let cells = 0
    for (const [key, route] of Object.entries(routes)) {
      const [method = 'GET', pattern = '/'] = key.split(' ')
      const api = pattern.startsWith('/api/')
      // What needs no account does not depend on who asks: two principals suffice.
      const askers =
        route.need === 'public'
          ? principals.filter((p) => p.name === 'anonymous' || p.name === 'requester')
          : principals
      for (const original of askers) {
        // Someone turned away at the door never reaches the ticket: one object is enough for them.
        const objects: Array<TicketObject | undefined> = !route.ticket
          ? [undefined]
          : signedIn(original)
            ? ['own', 'foreign', 'missing']
            : ['foreign']
        for (const object of objects) {
          if (object === 'own' && !original.user) continue
          cells++
          const problem = await runCell({ method, pattern, api, route, original, object })
          if (problem) problems.push(`${key} ${original.name}${object ? ` ${object}` : ''}: ${problem}`)
        }
      }
    }
    expect(problems).toEqual([])
    expect(cells).toBeGreaterThan(900)
  })

  interface Cell {
    method: string
    pattern: string
    api: boolean
    route: Route
    original: Principal
    object: TicketObject | undefined
  }

  async function runCell(cell: Cell): Promise<string | undefined> {
    const { method, pattern, api, route, original, object } = cell
    const f = fixtures
    const active = signedIn(original)
    // A route that ends the principal's own session or account gets a fresh principal of the same kind.
    const who = route.self && active ? await principal(original.name) : original
    let ticket: Ticket | undefined
    if ((!active || method === 'GET') && (object === 'own' || object === 'foreign')) {
      // Reading changes nothing (and the turned-away reach nothing): one ticket per principal will do.
      ticket = object === 'own' ? await ownTicket(who) : fixtures.foreign
    } else if (object === 'own' || object === 'foreign') {
      ticket = await buildTicket(f.db, {
        requesterId: object === 'own' ? who.user?.id : undefined,
        categoryId: f.category.id,
        status: route.ticket,
        assigneeId: route.ticket === 'new' ? null : f.executor.id,
        resolvedAt: route.ticket === 'resolved' ? now() : null,
      })
    }
    const base = pattern.replace(':id', String(ticket?.id ?? MISSING))
    const request = route.call ? await route.call(f, who, ticket) : { path: base }
    const url = request.path === '' ? base : request.path

    const headers: Record<string, string> = {}
    let body: string | FormData | undefined
    if (api) {
      if (who.name === 'revoked session' && who.cookie) headers.cookie = who.cookie
      else if (who.bearer) headers.authorization = `Bearer ${who.bearer}`
      if (method !== 'GET') {
        headers['content-type'] = 'application/json'
        body = JSON.stringify(request.json ?? {})
      }
    } else {
      if (who.cookie) headers.cookie = who.cookie
      const fields = { ...request.form, ...(who.csrf ? { _csrf: who.csrf } : {}) }
      if (method !== 'GET' && request.files) {
        const data = new FormData()
        for (const [name, value] of Object.entries(fields)) data.set(name, value)
        for (const [name, file] of Object.entries(request.files)) data.set(name, file)
        body = data
      } else if (method !== 'GET') {
        headers['content-type'] = 'application/x-www-form-urlencoded'
        body = new URLSearchParams(fields).toString()
      }
    }
    const before = await lastAuditId(f.db)
    const response = await app.request(url, { method, headers, body })
    if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) await response.body?.cancel()
    else await response.arrayBuffer()
    const status = response.status
    const denied = await deniedSince(f.db, before)

    if (route.need === 'public') return status >= 500 ? `status ${status}` : undefined

    if (!active) {
      // Not signed in (no credentials, revoked, or an account that may no longer act): the login.
      const expected = api || method !== 'GET' ? 401 : 303
      if (status !== expected) return `status ${status}, expected ${expected} (not signed in)`
      if (!api && method === 'GET' && !(response.headers.get('location') ?? '').startsWith('/login'))
        return 'not sent to the login'
      return undefined
    }

    const actor = who.actor
    if (!actor) return 'no actor'
    let allowed: boolean
    let refusal: number
    let journaled = route.unjournaled === undefined
    if (route.ticket) {
      const subject = ticket ? { requester_id: ticket.requester_id, status: ticket.status } : undefined
      const visible = subject !== undefined && can(actor, 'ticket.view', subject)
      const permitted = route.need === 'ticket.view' || can(actor, route.need as Action, subject)
      allowed = visible && permitted
      refusal = visible ? (route.refusal ?? 403) : 404
      // A missing number is journaled only for someone who does not see every ticket (item 5).
      if (!subject) journaled = !can(actor, 'ticket.view')
    } else {
      allowed = route.need === 'signed-in' || can(actor, route.need)
      refusal = route.refusal ?? 403
    }
    if (allowed) {
      if (status < 200 || status >= 400) return `status ${status}, expected 2xx/3xx (allowed)`
      if (denied.length > 0) return `allowed, yet ${denied.length} denied rows`
      return undefined
    }
    if (status !== refusal) return `status ${status}, expected ${refusal} (refused)`
    if (journaled && !denied.some((row) => row.actor_id === actor.id)) return 'refused without a denied journal row'
    return undefined
  }
})

async function lastAuditId(db: Db): Promise<number> {
  const row = await db.selectFrom('audit_log').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst()
  return row ? Number(row.id) : 0
}

async function deniedSince(db: Db, afterId: number) {
  return db
    .selectFrom('audit_log')
    .select(['id', 'actor_id', 'action'])
    .where('id', '>', afterId)
    .where('result', '=', 'denied')
    .execute()
}
