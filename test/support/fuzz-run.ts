import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import fc from 'fast-check'
import type { Hono } from 'hono'
import { sql } from 'kysely'
import type { AppEnv } from '#src/api/env.ts'
import { openApiDocument } from '#src/api/openapi.ts'
import { setAuditKey } from '#src/audit/journal.ts'
import { openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import type { Db, Role, User } from '#src/db/schema.ts'
import { createApiToken } from '#src/users/api-tokens.ts'
import { createLoginLink } from '#src/users/login-links.ts'
import { createSession, SESSION_COOKIE } from '#src/users/sessions.ts'
import { CSRF_FIELD, CSRF_HEADER, csrfToken, PRELOGIN_COOKIE } from '#src/web/csrf.ts'
import { testApp, testConfig } from './api.ts'
import { buildCategory, buildConsent, buildDepartment, buildGroup, buildUser } from './factories.ts'
import {
  type Draft,
  fieldsArb,
  hostileText,
  type JsonSchema,
  jsonBodyArb,
  payloads,
  Ref,
  type RefKind,
  rawBodies,
  type Slot,
  segmentArb,
  webFieldNames,
} from './fuzz-inputs.ts'
import { buildTicket } from './ticket-factory.ts'

/**
 * B1 (TESTING.md): every route of the real app, as each role and as nobody, with hostile input. Runs in a
 * worker thread (`fuzz-worker.mjs`) so that a request that holds the event loop for ever is seen and named by
 * the test's thread instead of taking the test process down. Input `i` of a run is generated from the seed
 * and `i` alone, so any one input can be replayed (FUZZ_ONLY) without the others.
 *
 * Properties of every answer: a status below 500; no stack trace, SQL, file path or `Error:` in a text body;
 * a refused request (4xx) leaves the business tables and the journal's non-denied rows as they were; the
 * event loop is never held over 200 ms (measured here, judged by the test).
 */

export const principals = ['anonymous', 'requester', 'executor', 'curator', 'admin'] as const
export type PrincipalName = (typeof principals)[number]

export interface FuzzOptions {
  dialect: 'sqlite' | 'postgres'
  /** PostgreSQL only: a fresh migrated database. */
  url?: string
  seed: number
  /** Inputs [from, to) of the run. */
  from: number
  to: number
}

export type FindingKind = 'server_error' | 'leak' | 'changed_by_refusal' | 'hang' | 'crash' | 'blocked'

export interface Finding {
  kind: FindingKind
  route: string
  index: number
  status?: number
  detail: string
  request: string
}

export interface FuzzStats {
  inputs: number
  perRoute: Record<string, Record<string, number>>
  findings: Finding[]
  maxLoopDelayMs: number
  p99LoopDelayMs: number
  /** The longest stalls of the event loop and the requests that ran during each. */
  stalls: Array<{ ms: number; during: string[] }>
  /** Where the run's time went: generating, requests, state checks, putting the fuzzer's people back. */
  phaseMs: Record<string, number>
}

/** Statistics before any input: a run's start, and the total the test adds its workers' pieces to. */
export function noStats(): FuzzStats {
  return { inputs: 0, perRoute: {}, findings: [], maxLoopDelayMs: 0, p99LoopDelayMs: 0, stalls: [], phaseMs: {} }
}

/** Messages from the worker: one before each input (so a hang is named), one at the end. */
export type WorkerMessage =
  | { type: 'start'; index: number; label: string }
  | { type: 'done'; stats: FuzzStats }
  | { type: 'failed'; error: string }

// ---- routes

interface RouteSpec {
  method: string
  path: string
  key: string
  api: boolean
  params: string[]
  body?: JsonSchema
  queryNames: string[]
  formNames: string[]
}

/** Fields each web form reads (the rest of the web's names are sent too, less often). */
const formFieldsOf: Record<string, string[]> = {
  '/login': ['login', 'password'],
  '/tickets/new': ['title', 'description', 'category', 'priority', 'requester'],
  '/tickets/:id/messages': ['body', 'kind', 'macro'],
  '/tickets/:id/assign': ['assignee'],
  '/tickets/:id/status': ['status', 'resolution', 'reason'],
  '/tickets/:id/update': ['priority', 'category', 'title'],
  '/users/:id/details': ['full_name', 'department', 'position', 'room', 'phone'],
  '/users/:id/role': ['role'],
  '/users/:id/sessions/revoke': ['session'],
  '/profile/contacts': ['room', 'phone'],
  '/profile/language': ['language'],
  '/profile/password': ['current', 'next', 'repeat'],
  '/profile/sessions/revoke': ['session'],
  '/registrations/:id/reject': ['reason'],
  '/consent/agree': ['text'],
  '/consent/refuse': ['text'],
  '/settings/consent': ['text'],
  '/users/:id/consent/paper': ['signed_on'],
  '/users/:id/consent/withdraw': ['reason', 'withdrawn_on'],
  '/pdn/destruction/:id': ['reason', 'member_0', 'member_1', 'delete_texts'],
  '/categories': ['name', 'description', 'parent', 'group', 'priority', 'response', 'resolution'],
  '/categories/:id': ['name', 'description', 'parent', 'group', 'priority', 'response', 'resolution'],
  '/categories/:id/active': ['active'],
  '/categories/:id/move': ['direction'],
  '/departments': ['name'],
  '/departments/:id': ['name'],
  '/departments/:id/active': ['active'],
  '/departments/:id/move': ['direction'],
  '/groups': ['name', 'description', 'member'],
  '/groups/:id': ['name', 'description', 'member'],
  '/groups/:id/active': ['active'],
  '/macros': ['title', 'body', 'scope', 'kind', 'set_status', 'set_priority'],
  '/macros/:id': ['title', 'body', 'scope', 'kind', 'set_status', 'set_priority'],
  '/equipment': ['inventory_number', 'kind', 'model', 'serial', 'department', 'room', 'responsible', 'status'],
  '/equipment/:id': ['inventory_number', 'kind', 'model', 'serial', 'department', 'room', 'responsible', 'status'],
  '/equipment/import/confirm': ['key'],
  '/tickets/:id/equipment': ['inventory_number'],
  '/settings': ['key', 'value', 'high.responseMinutes', 'name.0', 'position.0', 'remove.0', 'name', 'inn'],
  '/pdn/requests': ['kind', 'subject', 'received_on', 'channel', 'comment'],
  '/pdn/requests/:id/status': ['status', 'answer', 'answered_on'],
  '/pdn/requests/:id/extend': ['reason'],
  '/users/:id/block': ['reason'],
}

/** The ticket list's filters, which its exports take too (a link's filters carry over). */
const ticketFilters = ['status', 'priority', 'category', 'assignee', 'department', 'from', 'to', 'q', 'overdue', 'sort']
/** The statistics page's filters, which its exports take too. */
const statsFilters = ['period', 'from', 'to', 'by', 'department', 'category', 'group']

/** Query keys each web page reads (lists and reports share a link's filters). */
const queryFieldsOf: Record<string, string[]> = {
  '/': ['q'],
  '/login': ['next'],
  // Written out: the order is what a seed replays against.
  '/tickets': [
    'status',
    'priority',
    'category',
    'assignee',
    'group',
    'department',
    'from',
    'to',
    'q',
    'overdue',
    'sort',
    'page',
  ],
  '/tickets/export.csv': ticketFilters,
  '/tickets/export.xlsx': ticketFilters,
  '/tickets/new': ['requester', 'category'],
  '/tickets/:id/events': ['after'],
  '/people': ['q'],
  '/stats': statsFilters,
  '/stats/export.xlsx': statsFilters,
  '/stats/export.csv': statsFilters,
  '/users': ['q', 'role', 'status', 'page'],
  '/users/:id': ['done'],
  '/audit': ['pdn', 'page', 'q', 'from', 'to', 'actor', 'action'],
  '/audit/export.csv': ['pdn', 'q', 'from', 'to', 'actor', 'action'],
  '/profile': ['done'],
  '/consent': ['next'],
  '/consent/agree': ['next'],
  '/settings/consent': ['done'],
  '/users/:id/consent': ['done'],
  '/registrations': ['confirmed', 'rejected'],
  '/pdn/acts': ['done'],
  '/categories': ['done'],
  '/departments': ['done'],
  '/groups': ['done'],
  '/macros': ['done'],
  '/equipment': ['q', 'department', 'status', 'page', 'done'],
  '/equipment/:id': ['done'],
  '/equipment/failures': ['from', 'to'],
  '/equipment/stickers.pdf': ['layout', 'id', 'q', 'department', 'status'],
  '/settings': ['done'],
  '/pdn/requests': ['done'],
  '/pdn/requests/:id': ['done'],
}

const uploadRoutes = new Set(['/tickets/new', '/tickets/:id/messages'])

export function routeTable(app: Hono<AppEnv>): RouteSpec[] {
  const doc = openApiDocument('http://helpdesk.test') as {
    paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }>; requestBody?: unknown }>>
  }
  const seen = new Map<string, RouteSpec>()
  for (const route of app.routes) {
    // Middleware is registered for ALL methods; handlers name theirs.
    if (route.method === 'ALL') continue
    const key = `${route.method} ${route.path}`
    if (seen.has(key)) continue
    const api = route.path.startsWith('/api/v1/')
    const op = api
      ? doc.paths[route.path.slice('/api/v1'.length).replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()]
      : undefined
    const body = (op?.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined)?.content?.[
      'application/json'
    ]?.schema
    const queryNames = op?.parameters?.filter((p) => p.in === 'query').map((p) => p.name) ?? []
    seen.set(key, {
      method: route.method,
      path: route.path,
      key,
      api,
      params: [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1] ?? ''),
      ...(body ? { body } : {}),
      queryNames: api ? [...queryNames, 'x'] : (queryFieldsOf[route.path] ?? []),
      formNames: formFieldsOf[route.path] ?? [],
    })
  }
  return [...seen.values()]
}

function paramKind(routePath: string, name: string): RefKind | undefined {
  if (name === 'fileId') return 'attachment'
  if (name !== 'id') return undefined
  const area = routePath.replace(/^\/api\/v1/, '').split('/')[1]
  const kinds: Record<string, RefKind> = {
    tickets: 'ticket',
    users: 'user',
    registrations: 'user',
    categories: 'category',
    departments: 'department',
    groups: 'group',
  }
  return area ? kinds[area] : undefined
}

// ---- inputs

type FileDraft = { name: string; type: string; size: number }

type BodyDraft =
  | { kind: 'none' }
  | { kind: 'json'; value: Draft; contentType: string }
  | { kind: 'raw'; text: string; contentType: string | null }
  | { kind: 'form'; fields: Array<[string, Slot]>; encoding: 'urlencoded' | 'multipart'; files: FileDraft[] }

interface InputDraft {
  route: number
  segments: Slot[]
  query: Array<[string, Slot]>
  body: BodyDraft
  /** API: how the caller authenticates; web: whether the session cookie is sent. */
  auth: 'own' | 'none' | 'bogus' | 'cookie'
  csrf: 'field' | 'header' | 'none' | 'wrong'
  headers: Array<[string, string]>
}

const contentTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'application/xml',
  'application/json; charset=utf-16',
  '',
]

const fileArb: fc.Arbitrary<FileDraft> = fc.record({
  name: fc.constantFrom(
    'photo.jpg',
    '../../../etc/passwd',
    '..\\..\\boot.ini',
    'a\u0000b.png',
    '\u202egnp.exe',
    `${'я'.repeat(300)}.txt`,
    '',
    '.htaccess',
    'x.svg',
    '__proto__',
  ),
  type: fc.constantFrom('image/jpeg', 'image/svg+xml', 'text/html', 'application/octet-stream', '', 'x/../../y'),
  size: fc.constantFrom(0, 1, 100, 70_000),
})

function bodyArb(spec: RouteSpec): fc.Arbitrary<BodyDraft> {
  if (spec.method === 'GET') {
    return fc.oneof(
      { weight: 9, arbitrary: fc.constant<BodyDraft>({ kind: 'none' }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(...rawBodies).map((text): BodyDraft => ({ kind: 'raw', text, contentType: null })),
      },
    )
  }
  const raw = fc
    .tuple(fc.constantFrom(...rawBodies, ...payloads.huge), fc.constantFrom(...contentTypes))
    .map(([text, contentType]): BodyDraft => ({ kind: 'raw', text, contentType }))
  if (spec.api) {
    const json = fc
      .tuple(jsonBodyArb(spec.body), fc.constantFrom(...contentTypes.slice(0, 2)))
      .map(([value, contentType]): BodyDraft => ({ kind: 'json', value, contentType }))
    const wrongType = fc
      .tuple(jsonBodyArb(spec.body), fc.constantFrom(...contentTypes.slice(2)))
      .map(([value, contentType]): BodyDraft => ({ kind: 'json', value, contentType }))
    return fc.oneof(
      { weight: 14, arbitrary: json },
      { weight: 2, arbitrary: raw },
      { weight: 1, arbitrary: wrongType },
      { weight: 1, arbitrary: fc.constant<BodyDraft>({ kind: 'none' }) },
    )
  }
  const names = spec.formNames.length > 0 ? spec.formNames : webFieldNames
  const fields = fc.tuple(fieldsArb(names, 7), fieldsArb(webFieldNames, 2)).map(([own, any]) => [...own, ...any])
  const files = uploadRoutes.has(spec.path) ? fc.array(fileArb, { maxLength: 3 }) : fc.constant<FileDraft[]>([])
  const form = fc
    .tuple(fields, fc.constantFrom<'urlencoded' | 'multipart'>('urlencoded', 'urlencoded', 'multipart'), files)
    .map(
      ([f, encoding, fs]): BodyDraft => ({
        kind: 'form',
        fields: f,
        encoding,
        files: encoding === 'multipart' ? fs : [],
      }),
    )
  const badMultipart = fc
    .constantFrom(
      '--XYZ\r\nContent-Disposition: form-data; name="body"\r\n\r\nno end',
      '--XYZ\r\nContent-Disposition: form-data; name="files"; filename="../../x"\r\nContent-Type: text/plain\r\n\r\nabc\r\n--XYZ--\r\n',
      '--XYZ\r\nContent-Disposition: form-data\r\n\r\nnameless\r\n--XYZ--\r\n',
      '--OTHER\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--OTHER--\r\n',
      '',
    )
    .map((text): BodyDraft => ({ kind: 'raw', text, contentType: 'multipart/form-data; boundary=XYZ' }))
  return fc.oneof(
    { weight: 14, arbitrary: form },
    { weight: 2, arbitrary: raw },
    { weight: 1, arbitrary: badMultipart },
    { weight: 1, arbitrary: fc.constant<BodyDraft>({ kind: 'none' }) },
  )
}

const extraHeaders: fc.Arbitrary<Array<[string, string]>> = fc.array(
  fc.oneof(
    fc.constant<[string, string]>(['hx-request', 'true']),
    fc.constantFrom<[string, string]>(
      ['origin', 'https://evil.example'],
      ['origin', 'null'],
      ['origin', 'http://helpdesk.test'],
    ),
    hostileText.map((v): [string, string] => ['idempotency-key', headerSafe(v)]),
    fc.constantFrom(...payloads.numbers).map((v): [string, string] => ['last-event-id', v]),
    fc.constantFrom('en', 'ru', '*', 'xx;q=2').map((v): [string, string] => ['accept-language', v]),
    fc.constantFrom('1.2.3.4', 'unknown, ::1', "'; drop").map((v): [string, string] => ['x-forwarded-for', v]),
  ),
  { maxLength: 2 },
)

/** One generator per route: input `i` goes to route ⌊i / 5⌋ mod n as principal i mod 5, so all meet all. */
function inputArbs(routes: readonly RouteSpec[]): Array<fc.Arbitrary<InputDraft>> {
  return routes.map((spec, route) =>
    fc.record({
      route: fc.constant(route),
      segments: fc.tuple(
        ...spec.params.map((name) =>
          segmentArb(
            paramKind(spec.path, name),
            name === 'name' ? ['app.css', 'app.js', 'favicon.svg', 'htmx.min.js'] : name === 'token' ? ['@link'] : [],
          ),
        ),
      ),
      query:
        spec.method === 'GET'
          ? fc
              .tuple(
                fieldsArb(spec.queryNames.length > 0 ? spec.queryNames : webFieldNames, 6),
                fieldsArb(webFieldNames, 1),
              )
              .map(([own, any]) => [...own, ...any])
          : fc.oneof(
              { weight: 4, arbitrary: fc.constant<Array<[string, Slot]>>([]) },
              { weight: 1, arbitrary: fieldsArb(['next', 'x'], 2) },
            ),
      body: bodyArb(spec),
      auth: fc.constantFrom<InputDraft['auth']>(
        'own',
        'own',
        'own',
        'own',
        'own',
        'own',
        'own',
        'cookie',
        'bogus',
        'none',
      ),
      csrf: fc.constantFrom<InputDraft['csrf']>(
        'field',
        'field',
        'field',
        'field',
        'field',
        'field',
        'header',
        'header',
        'none',
        'wrong',
      ),
      headers: extraHeaders,
    }),
  )
}

/** The seed of input `index`: every input stands on its own, so one can be replayed without the rest. */
export function inputSeed(seed: number, index: number): number {
  return (seed ^ Math.imul(index + 1, 0x9e3779b1)) | 0
}

// ---- the world the requests land in

interface Principal {
  name: PrincipalName
  user?: User
  cookie?: string
  csrf?: string
  token?: string
  sessionId?: string
  tokenId?: number
}

interface World {
  db: Db
  app: Hono<AppEnv>
  dataDir: string
  secretKey: string
  principals: Record<PrincipalName, Principal>
  pools: Record<RefKind, Array<number | string>>
  linkToken: string
}

const system = { id: null, role: 'system' as const, status: 'active' as const, channel: 'cli' as const, ip: null }

async function signInPrincipal(world: Pick<World, 'db' | 'secretKey'>, principal: Principal): Promise<void> {
  const user = principal.user
  if (!user) return
  const session = await createSession(world.db, user.id, { ip: null, userAgent: 'fuzz' })
  principal.cookie = `${SESSION_COOKIE}=${session.token}`
  principal.csrf = csrfToken(world.secretKey, session.sessionId)
  principal.sessionId = session.sessionId
  const token = await createApiToken(world.db, system, { userId: user.id, name: 'fuzz' })
  principal.token = token.token
  principal.tokenId = token.id
}

async function buildWorld(options: FuzzOptions): Promise<World> {
  setAuditKey('test-audit-key-0123456789abcdef0123456789abcdef')
  const db =
    options.dialect === 'sqlite'
      ? openDatabase({ kind: 'sqlite', file: ':memory:' })
      : openDatabase({ kind: 'postgres', url: options.url ?? '' }, { poolSize: 4, asyncCommit: true })
  if (options.dialect === 'sqlite') await migrateToLatest(db)
  const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-fuzz-'))
  const config = testConfig({ dataDir })
  const { app } = testApp(db, config)

  const departments = [await buildDepartment(db), await buildDepartment(db), await buildDepartment(db)]
  const people: Partial<Record<PrincipalName, User>> = {}
  for (const role of ['requester', 'executor', 'curator', 'admin'] satisfies Role[]) {
    people[role] = await buildUser(db, { role, departmentId: departments[0]?.id ?? null })
    await buildConsent(db, people[role].id)
  }
  const staff = [people.executor?.id ?? 0, people.curator?.id ?? 0]
  const group = await buildGroup(db, undefined, staff)
  await buildGroup(db)
  const parent = await buildCategory(db, { defaultGroupId: group.id })
  await buildCategory(db, { parentId: parent.id, defaultPriority: 'high', responseMinutes: 30, resolutionMinutes: 240 })
  await buildCategory(db, { active: false })
  for (const status of ['pending', 'deactivated', 'rejected', 'active'] as const) {
    await buildUser(db, { status, role: status === 'active' ? 'executor' : 'requester' })
  }
  const other = await buildUser(db, { departmentId: departments[1]?.id ?? null })
  const statuses = ['new', 'in_progress', 'waiting', 'resolved', 'closed', 'cancelled'] as const
  for (const [i, status] of statuses.entries()) {
    const requesterId = (i % 2 === 0 ? people.requester?.id : other.id) ?? other.id
    await buildTicket(db, {
      status,
      requesterId,
      categoryId: parent.id,
      assigneeId: status === 'new' ? null : (people.executor?.id ?? null),
    })
  }
  const principalsOf = {} as Record<PrincipalName, Principal>
  for (const name of principals) {
    const user = name === 'anonymous' ? undefined : people[name]
    principalsOf[name] = { name, ...(user ? { user } : {}) }
  }
  const world: World = {
    db,
    app,
    dataDir,
    secretKey: config.secretKey,
    principals: principalsOf,
    pools: { ticket: [], user: [], category: [], department: [], group: [], attachment: [], session: [] },
    linkToken: '',
  }
  for (const p of Object.values(world.principals)) await signInPrincipal(world, p)
  const requester = world.principals.requester
  if (requester.user) {
    world.linkToken = (await createLoginLink(db, { ...system, id: null }, { userId: requester.user.id })).token
    // One ticket with a file, through the app itself, so that downloads have something to serve.
    const form = new FormData()
    form.set(CSRF_FIELD, requester.csrf ?? '')
    form.set('description', 'Заявка с вложением')
    form.set('category', String(parent.id))
    form.set(
      'files',
      new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])], 'photo.jpg', { type: 'image/jpeg' }),
    )
    const res = await app.request('/tickets/new', {
      method: 'POST',
      body: form,
      headers: { cookie: requester.cookie ?? '' },
    })
    if (res.status !== 303) throw new Error(`seeding an attachment failed: ${res.status}`)
  }
  await refreshPools(world)
  return world
}

async function refreshPools(world: World): Promise<void> {
  const ids = async (table: 'tickets' | 'users' | 'categories' | 'departments' | 'executor_groups' | 'attachments') => {
    const rows = await world.db.selectFrom(table).select('id').orderBy('id', 'desc').limit(200).execute()
    return rows.map((r) => Number(r.id))
  }
  world.pools = {
    ticket: await ids('tickets'),
    user: await ids('users'),
    category: await ids('categories'),
    department: await ids('departments'),
    group: await ids('executor_groups'),
    attachment: await ids('attachments'),
    session: (await world.db.selectFrom('sessions').select('id').limit(50).execute()).map((r) => r.id),
  }
}

function resolveRef(world: World, ref: Ref): string {
  const pool = world.pools[ref.kind]
  if (pool.length === 0) return '1'
  return String(pool[Math.min(pool.length - 1, Math.floor(ref.pick * pool.length))])
}

function resolveDraft(world: World, value: Draft): unknown {
  if (value instanceof Ref) {
    const id = resolveRef(world, value)
    return value.kind === 'session' ? id : Number(id)
  }
  if (Array.isArray(value)) return value.map((v) => resolveDraft(world, v))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) {
      const v = value[key]
      if (v !== undefined) Object.defineProperty(out, key, { value: resolveDraft(world, v), enumerable: true })
    }
    return out
  }
  return value
}

/**
 * Percent-encoding that, unlike encodeURIComponent, does not refuse a lone surrogate: it sends the bytes a
 * sloppy client would (WTF-8), which is exactly what the server must cope with.
 */
export function encodeLoose(text: string): string {
  if (!/[\ud800-\udfff]/.test(text)) return encodeURIComponent(text)
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    const next = text.charCodeAt(i + 1)
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(i, i + 2))
      i++
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('')
    } else out += encodeURIComponent(text[i] ?? '')
  }
  return out
}

function headerSafe(value: string): string {
  // Headers carry Latin-1 without CR/LF/NUL; what does not fit is percent-encoded (a header cannot carry it).
  return /^[\x20-\x7e]*$/.test(value) ? value.slice(0, 500) : encodeLoose(value).slice(0, 500)
}

function slotText(world: World, slot: Slot): string {
  return slot instanceof Ref ? resolveRef(world, slot) : slot === '@link' ? world.linkToken : slot
}

interface Built {
  route: RouteSpec
  principal: Principal
  url: string
  init: RequestInit
  /** What the request carried, for telling an echo of the input from a leak. */
  sent: string
  label: string
}

function buildRequest(world: World, routes: readonly RouteSpec[], draft: InputDraft, principal: Principal): Built {
  const route = routes[draft.route] as RouteSpec
  let i = 0
  const pathText = route.path.replace(/:(\w+)/g, () => {
    const text = slotText(world, draft.segments[i++] ?? '1')
    return text.includes('%') || text === '' ? text : encodeLoose(text)
  })
  const query = draft.query.map(([k, v]) => `${encodeLoose(k)}=${encodeLoose(slotText(world, v))}`).join('&')
  const url = `${pathText}${query ? `?${query}` : ''}`
  const headers: Record<string, string> = {}
  for (const [name, value] of draft.headers) headers[name] = headerSafe(value)
  const cookies: string[] = []
  const anonymousForm =
    principal.name === 'anonymous' && (route.path === '/login' || route.path === '/login/telegram/:token')
  let csrf = principal.csrf
  if (anonymousForm) {
    // The login forms are bound to a pre-login cookie the same way as a session's forms.
    cookies.push(`${PRELOGIN_COOKIE}=fuzzfuzzfuzzfuzzfuzzfu`)
    csrf = csrfToken(world.secretKey, 'prelogin:fuzzfuzzfuzzfuzzfuzzfu')
  }
  if (route.api) {
    if (draft.auth === 'own' && principal.token) headers.authorization = `Bearer ${principal.token}`
    else if (draft.auth === 'cookie' && principal.cookie) cookies.push(principal.cookie)
    else if (draft.auth === 'bogus') headers.authorization = 'Bearer hd_0000000000000000000000000000000000'
  } else if (draft.auth !== 'none' && principal.cookie) cookies.push(principal.cookie)
  if (cookies.length > 0) headers.cookie = cookies.join('; ')
  const token =
    draft.csrf === 'wrong' ? 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' : draft.csrf === 'none' ? undefined : csrf
  if (!route.api && token && route.method !== 'GET' && draft.csrf === 'header') headers[CSRF_HEADER] = token

  const init: RequestInit = { method: route.method, headers }
  let sent = decodeURIComponentSafe(url)
  const body = draft.body
  if (body.kind === 'json') {
    const text = JSON.stringify(resolveDraft(world, body.value)) ?? 'null'
    init.body = text
    if (body.contentType) headers['content-type'] = body.contentType
    sent += text
  } else if (body.kind === 'raw') {
    init.body = body.text
    if (body.contentType) headers['content-type'] = body.contentType
    sent += body.text
  } else if (body.kind === 'form') {
    const fields = body.fields.map(([k, v]): [string, string] => [k, slotText(world, v)])
    if (token && draft.csrf !== 'header' && !route.api) fields.unshift([CSRF_FIELD, token])
    sent += fields.map(([k, v]) => `${k}=${v}`).join('&')
    if (body.encoding === 'urlencoded') {
      init.body = fields.map(([k, v]) => `${encodeLoose(k)}=${encodeLoose(v)}`).join('&')
      headers['content-type'] = 'application/x-www-form-urlencoded'
    } else {
      const form = new FormData()
      for (const [k, v] of fields) form.append(k, v)
      for (const f of body.files) {
        form.append('files', new File([new Uint8Array(f.size).fill(0x41)], f.name, { type: f.type }))
        sent += f.name
      }
      init.body = form
    }
  }
  if (route.method === 'GET') delete init.body
  const label = `${principal.name} ${route.method} ${url.slice(0, 160)}${url.length > 160 ? '…' : ''}`
  return { route, principal, url, init, sent, label }
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

// ---- properties

/**
 * Journal rows of reads: a refused form shown again shows the data it names, and that read is journaled (152-ФЗ)
 * — a refusal may add these (and `denied` rows), nothing else.
 */
const readActions = [
  'audit.read',
  'audit.verify',
  'consent.view',
  'dashboard.view',
  'group.list',
  'pdn.access_list',
  'subject_request.list',
  'subject_request.view',
  'settings.view',
  'ticket.export',
  'ticket.file_view',
  'ticket.list',
  'ticket.view',
  'ticket.watch',
  'token.list',
  'user.list',
  'user.search',
  'user.view',
]

/** A state snapshot cheap enough for every request: counts, last ids and last changes of the tables. */
async function fingerprint(db: Db): Promise<string> {
  const result = await sql<Record<string, unknown>>`
    select
      (select count(*) from users) as users_n,
      (select max(updated_at) from users) as users_u,
      (select count(*) from departments) as departments_n,
      (select max(updated_at) from departments) as departments_u,
      (select count(*) from executor_groups) as groups_n,
      (select max(updated_at) from executor_groups) as groups_u,
      (select count(*) from group_members) as members_n,
      (select count(*) from categories) as categories_n,
      (select max(updated_at) from categories) as categories_u,
      (select count(*) from tickets) as tickets_n,
      (select max(updated_at) from tickets) as tickets_u,
      (select count(*) from ticket_messages) as messages_n,
      (select max(id) from ticket_events) as events_i,
      (select count(*) from attachments) as attachments_n,
      (select max(id) from audit_log where result <> 'denied' and action not in (${sql.join(readActions)})) as audit_i,
      (select count(*) from sessions where revoked_at is null) as sessions_n,
      (select count(*) from api_tokens where revoked_at is null) as tokens_n,
      (select count(*) from consent_records) as consents_n,
      (select count(*) from subject_requests) as requests_n,
      (select max(updated_at) from subject_requests) as requests_u,
      (select count(*) from consent_records where withdrawn_at is not null) as withdrawn_n,
      (select max(id) from outbox) as outbox_i,
      (select max(id) from jobs) as jobs_i,
      (select count(*) from settings) as settings_n,
      (select max(updated_at) from settings where key <> 'audit.head') as settings_u,
      (select count(*) from idempotency_keys) as idempotency_n,
      (select count(*) from login_links where used_at is null) as links_n
  `.execute(db)
  return JSON.stringify(result.rows[0] ?? {})
}

function difference(before: string, after: string): string {
  const a = JSON.parse(before) as Record<string, unknown>
  const b = JSON.parse(after) as Record<string, unknown>
  return Object.keys(b)
    .filter((k) => String(a[k]) !== String(b[k]))
    .map((k) => `${k}: ${String(a[k])} → ${String(b[k])}`)
    .join(', ')
}

async function newJournalRows(db: Db, before: string): Promise<string> {
  const last = Number((JSON.parse(before) as { audit_i?: unknown }).audit_i ?? 0)
  const rows = await db
    .selectFrom('audit_log')
    .select(['action', 'result', 'description'])
    .where('id', '>', last)
    .where('result', '<>', 'denied')
    .where('action', 'not in', readActions)
    .execute()
  return rows.map((r) => `${r.action} ${r.result} «${r.description.slice(0, 80)}»`).join('; ')
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Traces of the inside: stack frames, driver errors, SQL as Kysely writes it, our file paths. */
const leaks: Array<[string, RegExp]> = [
  ['stack frame', /\bat (?:async )?[\w$.<>]+ \((?:file:|node:|\/)[^)]*\)|\.(?:ts|js|tsx|mjs):\d+:\d+/],
  ['error name', /\b(?:[A-Z][a-zA-Z]*)?Error: /],
  ['sqlite', /SqliteError|SQLITE_[A-Z]+/],
  [
    'postgres',
    /syntax error at or near|invalid input syntax for|out of range for type|violates [a-z ]*constraint|duplicate key value|relation "[a-z_]+"/,
  ],
  ['sql', /\b(?:select|insert into|update|delete from)\b[^<\n]{0,200}"[a-z_]+"\."[a-z_]+"/i],
  // Our own paths only: `file:///…` or `../etc/passwd` may be data the fuzzer itself stored earlier.
  ['file path', new RegExp(`${escapeRegExp(process.cwd())}/|node_modules/`)],
]

function leakIn(text: string, sent: string): string | undefined {
  for (const [name, pattern] of leaks) {
    const match = pattern.exec(text)
    // An echo of what the request itself carried (a search box showing the query) is not a leak.
    if (match && !sent.includes(match[0]) && !unescapeHtml(sent).includes(match[0])) {
      return `${name}: …${text.slice(Math.max(0, match.index - 60), match.index + 120)}…`
    }
  }
  return undefined
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
}

const textual = /json|html|text\/(?:plain|csv)|xml/

/** The body as text (binary bodies as nothing), read at most this far; an event stream only to its first bytes. */
async function readBody(response: Response): Promise<string> {
  const type = response.headers.get('content-type') ?? ''
  const reader = response.body?.getReader()
  if (!reader) return ''
  const decoder = new TextDecoder()
  let text = ''
  let bytes = 0
  try {
    for (;;) {
      const chunk = type.includes('event-stream')
        ? await Promise.race([reader.read(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))])
        : await reader.read()
      if (!chunk || chunk.done) break
      bytes += chunk.value.byteLength
      if (textual.test(type)) text += decoder.decode(chunk.value, { stream: true })
      if (type.includes('event-stream') || bytes > 8_000_000) break
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
  return text
}

/**
 * After a request that was carried out: the fuzzer's own people are put back as they were (an admin may have
 * demoted or deactivated one of them, or someone signed out), three reads when nothing needs mending.
 */
async function heal(world: World): Promise<void> {
  const people = Object.values(world.principals).filter((p) => p.user)
  const ids = people.map((p) => p.user?.id ?? 0)
  const users = await world.db
    .selectFrom('users')
    .select(['id', 'role', 'status', 'locked_until'])
    .where('id', 'in', ids)
    .execute()
  const sessions = await world.db
    .selectFrom('sessions')
    .select('id')
    .where(
      'id',
      'in',
      people.map((p) => p.sessionId ?? ''),
    )
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', new Date().toISOString())
    .execute()
  const tokens = await world.db
    .selectFrom('api_tokens')
    .select('id')
    .where(
      'id',
      'in',
      people.map((p) => p.tokenId ?? 0),
    )
    .where('revoked_at', 'is', null)
    .execute()
  for (const p of people) {
    const user = p.user
    if (!user) continue
    const row = users.find((u) => u.id === user.id)
    if (row && (row.role !== user.role || row.status !== 'active' || row.locked_until !== null)) {
      await world.db
        .updateTable('users')
        .set({ role: user.role, status: 'active', deactivated_at: null, locked_until: null, failed_logins: 0 })
        .where('id', '=', user.id)
        .execute()
    }
    const signedIn = sessions.some((s) => s.id === p.sessionId) && tokens.some((t) => Number(t.id) === p.tokenId)
    if (!signedIn || row?.status !== 'active') await signInPrincipal(world, p)
  }
}

// ---- the run

const HANG_MS = 10_000
type Arbs = ReadonlyArray<fc.Arbitrary<InputDraft>>
/** A stall of the event loop over this is replayed to tell a request that holds it from a busy machine. */
export const STALL_MS = 200

interface Sent {
  built: Built
  /** Undefined: no answer within HANG_MS. */
  outcome?: { status: number; text: string }
  ms: number
}

async function send(world: World, routes: readonly RouteSpec[], arbs: Arbs, seed: number, index: number) {
  const principal = world.principals[principals[index % principals.length] ?? 'anonymous']
  const arb = arbs[Math.floor(index / principals.length) % arbs.length]
  if (!arb) throw new Error('no routes')
  const [draft] = fc.sample(arb, { seed: inputSeed(seed, index), numRuns: 1 })
  if (!draft) throw new Error(`no input ${index}`)
  const built = buildRequest(world, routes, draft, principal)
  return {
    built,
    go: async (): Promise<Sent> => {
      const started = performance.now()
      let timer: NodeJS.Timeout | undefined
      const outcome = await Promise.race([
        (async () => {
          const response = await world.app.request(built.url, built.init)
          return { status: response.status, text: await readBody(response) }
        })(),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), HANG_MS)
        }),
      ])
      clearTimeout(timer)
      return { built, ...(outcome ? { outcome } : {}), ms: performance.now() - started }
    },
  }
}

export async function runFuzz(
  options: FuzzOptions,
  progress: (index: number, label: string) => void,
): Promise<FuzzStats> {
  const world = await buildWorld(options)
  const routes = routeTable(world.app)
  const arbs = inputArbs(routes)
  const stats = noStats()
  let mark = performance.now()
  const phase = (name: string) => {
    const at = performance.now()
    stats.phaseMs[name] = Math.round((stats.phaseMs[name] ?? 0) + at - mark)
    mark = at
  }
  for (const r of routes) stats.perRoute[r.key] = {}

  const histogram = monitorEventLoopDelay({ resolution: 10 })
  // A drift probe beside the histogram keeps the inputs that ran while the loop was held, for the replay.
  let during: Array<{ index: number; ms: number }> = []
  const stalls: Array<{ ms: number; indices: number[] }> = []
  let expected = performance.now() + 20
  const probe = setInterval(() => {
    const late = performance.now() - expected
    if (late > STALL_MS) stalls.push({ ms: Math.round(late), indices: during.map((d) => d.index) })
    during = []
    expected = performance.now() + 20
  }, 20)
  histogram.enable()

  let state = await fingerprint(world.db)
  try {
    for (let index = options.from; index < options.to; index++) {
      mark = performance.now()
      if (index % 100 === 0) await refreshPools(world)
      const { built, go } = await send(world, routes, arbs, options.seed, index)
      progress(index, built.label)
      phase('generate')
      const { outcome, ms } = await go()
      during.push({ index, ms })
      phase('request')
      stats.inputs++
      const counts = stats.perRoute[built.route.key] ?? {}
      const finding = (kind: FindingKind, detail: string, status?: number) =>
        stats.findings.push({
          kind,
          route: built.route.key,
          index,
          ...(status !== undefined ? { status } : {}),
          detail: detail.slice(0, 400),
          request: `${built.label} ${built.sent.slice(0, 300)}`,
        })
      if (!outcome) {
        counts.hang = (counts.hang ?? 0) + 1
        finding('hang', `no answer in ${HANG_MS} ms`)
        state = await fingerprint(world.db)
        continue
      }
      counts[outcome.status] = (counts[outcome.status] ?? 0) + 1
      if (outcome.status >= 500 || outcome.status < 200)
        finding('server_error', outcome.text.slice(0, 300), outcome.status)
      const leak = built.route.path.startsWith('/static') ? undefined : leakIn(outcome.text, built.sent)
      if (leak) finding('leak', leak, outcome.status)
      phase('check')
      const after = await fingerprint(world.db)
      if (outcome.status >= 400 && after !== state) {
        finding(
          'changed_by_refusal',
          `${difference(state, after)}; ${await newJournalRows(world.db, state)}`,
          outcome.status,
        )
      }
      state = after
      phase('fingerprint')
      if (outcome.status < 400 && built.route.method !== 'GET') {
        await heal(world)
        state = await fingerprint(world.db)
        phase('heal')
      }
    }
    clearInterval(probe)
    histogram.disable()
    stats.maxLoopDelayMs = Math.round(histogram.max / 1e6)
    stats.p99LoopDelayMs = Math.round(histogram.percentile(99) / 1e6)
    await confirmStalls(world, routes, arbs, options.seed, stalls, stats, progress)
    phase('replay')
  } finally {
    clearInterval(probe)
    histogram.disable()
    await world.db.destroy()
    rmSync(world.dataDir, { recursive: true, force: true })
  }
  return stats
}

/**
 * A stall is measured on a shared machine: another process may have had the CPU. Each of the worst stalls is
 * replayed — the inputs that ran during it, one at a time, each timed with a histogram of its own — and only
 * an input that holds the loop again is a finding. The stalls stay in the report either way.
 */
async function confirmStalls(
  world: World,
  routes: readonly RouteSpec[],
  arbs: Arbs,
  seed: number,
  stalls: ReadonlyArray<{ ms: number; indices: number[] }>,
  stats: FuzzStats,
  progress: (index: number, label: string) => void,
): Promise<void> {
  const worst = [...stalls].sort((a, b) => b.ms - a.ms).slice(0, 3)
  for (const stall of worst) {
    let culprit = { ms: 0, label: '(nothing ran)', index: -1, route: '', request: '' }
    for (const index of stall.indices) {
      const { built, go } = await send(world, routes, arbs, seed, index)
      // Said like any input: a replay of many inputs is not silence (the test's watchdog took it for a hang).
      progress(index, `${built.label} (replayed)`)
      const histogram = monitorEventLoopDelay({ resolution: 10 })
      histogram.enable()
      await go()
      // One more turn of the loop so that a block at the very end is sampled too.
      await new Promise((resolve) => setTimeout(resolve, 15))
      histogram.disable()
      const ms = Math.round(histogram.max / 1e6)
      if (ms > culprit.ms) {
        culprit = { ms, label: built.label, index, route: built.route.key, request: built.sent.slice(0, 300) }
      }
    }
    stats.stalls.push({ ms: stall.ms, during: [`replayed: ${culprit.ms} ms at most, ${culprit.label}`] })
    if (culprit.ms > STALL_MS) {
      stats.findings.push({
        kind: 'blocked',
        route: culprit.route,
        index: culprit.index,
        detail: `event loop held ${stall.ms} ms in the run, ${culprit.ms} ms again when replayed`,
        request: `${culprit.label} ${culprit.request}`,
      })
    }
  }
}
