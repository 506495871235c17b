/**
 * API benchmark: builds (or reuses) a demo hospital with N tickets, starts the real server, drives it over
 * loopback with autocannon and prints one markdown table (for docs/benchmarks.md).
 *
 * Every scenario is measured between two runs of a bare Node `http` server (the ceiling, in a process of its
 * own like the real server): ceiling, scenario, ceiling, scenario, … A scenario's ×ceiling is its req/s over
 * the mean of the two ceilings around it, so that the figures compare across machines and across a machine's
 * moods (other work on it). For the server process, per scenario: the event loop's delay measured inside it
 * (BENCH_LOOP_LAG=1 makes the server print it on SIGUSR2, see src/main.ts) and its PSS
 * (/proc/<pid>/smaps_rollup, the highest of the samples taken every half second under load).
 *
 *   npm run bench -- --tickets 100000 [--data-dir /tmp/hd-bench] [--seconds 8] [--ceiling-seconds 3] [--connections 4]
 *   DATABASE_URL=postgres://… npm run bench -- --tickets 100000
 *   [--skip-demo: reuse the data already there; a database with tickets is reused anyway, never added to]
 *   [--only view,create: the scenarios whose names contain one of these words]
 *   [--cpu-prof DIR: the server writes a V8 CPU profile there when it stops; `npx tsx bench/cpu-profile.ts DIR`]
 *   [--sql-timing FILE: SQLite only; the server times every statement and writes the table there when it stops]
 *   [--node-options=--max-semi-space-size=8: NODE_OPTIONS of the server process alone (its command line, Node's flags
 *    of `npm start`, wins over them)]
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'

const { values } = parseArgs({
  options: {
    tickets: { type: 'string', default: '100000' },
    'data-dir': { type: 'string' },
    seconds: { type: 'string', default: '8' },
    'ceiling-seconds': { type: 'string', default: '3' },
    connections: { type: 'string', default: '4' },
    'skip-demo': { type: 'boolean', default: false },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'sql-timing': { type: 'string' },
    'node-options': { type: 'string' },
  },
})
const tickets = Number(values.tickets)
const seconds = Number(values.seconds)
const ceilingSeconds = Number(values['ceiling-seconds'])
const connections = Number(values.connections)
const dataDir = values['data-dir'] ?? mkdtempSync(path.join(tmpdir(), 'helpdesk-bench-'))
const root = path.resolve(import.meta.dirname, '..')
const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', WORKER: 'off' }
const engine = process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'
const only = values.only?.split(',').map((word) => word.trim().toLowerCase())
const profileDir = values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined

function helpdesk(args: string[], input?: string): string {
  return execFileSync(process.execPath, [path.join(root, 'bin/helpdesk.js'), ...args], {
    env,
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'inherit'],
  }).trim()
}

interface Measured {
  rps: number
  p50: number
  p99: number
  errors: number
}

interface Row extends Measured {
  scenario: string
  ceiling: number
  lag: { max: number; p99: number } | null
  pssMb: number | null
}

type Request = autocannon.Request

async function run(url: string, duration: number, headers: Record<string, string>, requests?: Request[]) {
  const result = await autocannon({ url, connections, duration, headers, ...(requests ? { requests } : {}) })
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  }
}

/** A process listening on `port` that answers every request with «hello»: what Node does with no app. */
function startCeiling(port: number): ChildProcess {
  const code = `require('node:http').createServer((q, s) => s.end('hello')).listen(${port}, '127.0.0.1')`
  return spawn(process.execPath, ['-e', code], { stdio: 'ignore' })
}

/** The disk's ceiling for durable commits: 4 KiB writes each followed by fdatasync, for two seconds. */
function fsyncPerSecond(dir: string): number {
  const file = path.join(dir, 'fsync-probe.bin')
  const fd = openSync(file, 'w')
  const block = Buffer.alloc(4096, 1)
  let count = 0
  const end = Date.now() + 2000
  try {
    while (Date.now() < end) {
      writeSync(fd, block, 0, block.length, 0)
      fdatasyncSync(fd)
      count++
    }
  } finally {
    closeSync(fd)
    unlinkSync(file)
  }
  return Math.round(count / 2)
}

/** Proportional set size of a process in MB (its share of pages it shares with others), or null. */
function pssOf(pid: number | undefined): number | null {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
    const kb = /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1]
    return kb ? Math.round(Number(kb) / 1024) : null
  } catch {
    return null
  }
}

/** The highest PSS seen while `during` runs, sampled every half second. */
async function peakPss<T>(pid: number | undefined, during: Promise<T>): Promise<[T, number | null]> {
  let peak: number | null = null
  const sample = () => {
    const pss = pssOf(pid)
    if (pss !== null) peak = Math.max(peak ?? 0, pss)
  }
  const timer = setInterval(sample, 500)
  try {
    const result = await during
    sample()
    return [result, peak]
  } finally {
    clearInterval(timer)
  }
}

/** The server's event-loop delay since the previous call (its BENCH_LOOP_LAG hook), or null without one. */
function loopLagReader(server: ChildProcess): () => Promise<{ max: number; p99: number } | null> {
  const waiting: Array<(lag: { max: number; p99: number }) => void> = []
  if (server.stderr) {
    createInterface({ input: server.stderr }).on('line', (line) => {
      const lag = line.startsWith('{"loopLagMs"') ? (JSON.parse(line).loopLagMs as { max: number; p99: number }) : null
      if (lag) waiting.shift()?.(lag)
      else process.stderr.write(`${line}\n`)
    })
  }
  return () =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), 2000)
      waiting.push((lag) => {
        clearTimeout(timer)
        resolve({ max: Math.round(lag.max * 10) / 10, p99: Math.round(lag.p99 * 10) / 10 })
      })
      server.kill('SIGUSR2')
    })
}

/** A web session for the bench's admin, through the API's login (sets the same cookie as the web form). */
async function sessionCookie(base: string, login: string): Promise<string> {
  const response = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: 'bench-password-123' }),
  })
  const cookie = response.headers.get('set-cookie')?.split(';')[0]
  if (!response.ok || !cookie) throw new Error(`login failed: ${response.status}`)
  return cookie
}

async function waitReady(base: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(`${base}/readyz`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`server at ${base} did not become ready`)
}

async function getJson(url: string, headers: Record<string, string>): Promise<unknown> {
  const response = await fetch(url, { headers })
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`)
  return response.json()
}

/** A cursor about `pages` pages of `perPage` deep into the whole list and its depth, or null without one. */
async function deepCursor(base: string, headers: Record<string, string>, pages: number, perPage: number) {
  let cursor: string | null = null
  for (let i = 0; i < pages; i++) {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
    const page = (await getJson(`${base}/api/v1/tickets?per_page=${perPage}${query}`, headers)) as {
      next_cursor?: string | null
    }
    if (!page.next_cursor) return cursor ? { cursor, depth: i * perPage } : null
    cursor = page.next_cursor
  }
  return cursor ? { cursor, depth: pages * perPage } : null
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/**
 * How `npm start` (package.json) starts the server: the variables set before `node` and Node's flags, so that the
 * server is measured as it runs.
 */
function startCommand(): { env: Record<string, string>; flags: string[] } {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
  const words = manifest.scripts.start.split(/\s+/)
  const node = words.indexOf('node')
  const env = Object.fromEntries(words.slice(0, node).map((word) => word.split('=') as [string, string]))
  const flags = words.slice(node + 1, words.indexOf('bin/helpdesk.js')).filter((word) => word.startsWith('--'))
  return { env, flags }
}

/** Seeds the demo, unless the database already has tickets (a PostgreSQL database is kept between runs). */
function seedDemo(): string {
  const dbFile = path.join(dataDir, 'helpdesk.sqlite')
  if (values['skip-demo'] || (!process.env.DATABASE_URL && existsSync(dbFile))) return 'data reused'
  process.stderr.write(`demo --tickets ${tickets} (${engine}) …\n`)
  const started = Date.now()
  const demo = spawnSync(
    process.execPath,
    [path.join(root, 'bin/helpdesk.js'), 'demo', '--tickets', String(tickets), '--seed', 'bench'],
    { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  )
  if (demo.status !== 0) {
    if (/--force/.test(demo.stderr)) return 'data reused (the database had tickets already)'
    throw new Error(`demo failed: ${demo.stderr}`)
  }
  return `demo ${((Date.now() - started) / 1000).toFixed(1)} s`
}

async function main(): Promise<void> {
  const demo = seedDemo()
  // The server runs without its worker here: the statistics' daily summary is filled before, as the worker would.
  const summaryStarted = Date.now()
  helpdesk(['stats', 'refresh'])
  process.stderr.write(`stats refresh ${((Date.now() - summaryStarted) / 1000).toFixed(1)} s\n`)
  const login = `bench${Date.now()}`
  helpdesk(['users', 'create-admin', '--login', login, '--password-stdin'], 'bench-password-123\n')
  const token = helpdesk(['tokens', 'create', '--login', login])
  const port = 3900 + Math.floor(Math.random() * 90)
  const ceilingPort = port + 100
  const base = `http://127.0.0.1:${port}`
  const sqlTiming = values['sql-timing'] ? path.resolve(values['sql-timing']) : undefined
  const start = startCommand()
  const flags = [
    ...start.flags,
    ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
    ...(sqlTiming ? ['--import', path.join(root, 'bench/sql-timing.mjs')] : []),
  ]
  const server = spawn(process.execPath, [...flags, path.join(root, 'bin/helpdesk.js'), 'serve'], {
    // The bench's admin signs in with a password alone (the API's login): no phone to enrol here.
    env: {
      ...env,
      ...start.env,
      PORT: String(port),
      AUTH_REQUIRE_2FA: 'none',
      BENCH_LOOP_LAG: '1',
      ...(sqlTiming ? { BENCH_SQL_TIMING: sqlTiming } : {}),
      ...(values['node-options'] !== undefined ? { NODE_OPTIONS: values['node-options'] } : {}),
    },
    // Its log (warnings and errors only) goes to the bench's stderr, beside the progress lines.
    stdio: ['ignore', 2, 'pipe'],
  })
  const ceilingServer = startCeiling(ceilingPort)
  let stopping = false
  server.on('exit', (code, signal) => {
    if (stopping) return
    process.stderr.write(`the server stopped on its own (code ${code}, signal ${signal}): the figures would be void\n`)
    ceilingServer.kill('SIGTERM')
    process.exit(1)
  })
  const loadBefore = loadavg()[0] ?? 0
  try {
    await waitReady(base)
    const lagSince = loopLagReader(server)
    const api = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const me = (await getJson(`${base}/api/v1/me`, api)) as { id: number }
    const categories = (await getJson(`${base}/api/v1/categories`, api)) as {
      items: Array<{ id: number; parent_id: number | null }>
    }
    const category = categories.items.find((c) => c.parent_id !== null) ?? categories.items[0]
    if (!category) throw new Error('no categories: the demo did not run')
    const deep = await deepCursor(base, api, 100, 100)
    // «Мои» as an executor sees them (their tickets and their groups' unassigned), through their own token.
    const executors = (await getJson(`${base}/api/v1/users?role=executor&status=active`, api)) as {
      items: Array<{ login: string | null }>
    }
    const executorLogin = executors.items.find((user) => user.login)?.login
    const executorApi = executorLogin
      ? { ...api, authorization: `Bearer ${helpdesk(['tokens', 'create', '--login', executorLogin])}` }
      : undefined
    const cookie = await sessionCookie(base, login)
    const web = { cookie, 'accept-encoding': 'gzip' }
    const today = Date.now()
    const randomTicket = (): Request => ({
      method: 'GET',
      setupRequest: (request) => ({
        ...request,
        path: `/api/v1/tickets/${1 + Math.floor(Math.random() * tickets)}`,
      }),
    })
    const create = JSON.stringify({
      title: 'Нагрузочный тест',
      description: 'Заявка нагрузочного теста: не работает принтер в каб. 3-112',
      category_id: category.id,
      requester_id: me.id,
    })
    const scenarios: Array<{ name: string; path: string; headers?: Record<string, string>; requests?: Request[] }> = [
      // What every request costs before its own work: the app's middleware alone, then with a token's check.
      { name: 'probe (GET /healthz: the middleware only)', path: '/healthz' },
      { name: 'probe with a token (GET /api/v1/me)', path: '/api/v1/me' },
      { name: 'ticket view (GET /api/v1/tickets/{id}, random ids)', path: '/', requests: [randomTicket()] },
      {
        name: 'ticket create (POST /api/v1/tickets, durable)',
        path: '/',
        requests: [{ method: 'POST', path: '/api/v1/tickets', body: create }],
      },
      { name: 'list: status filter', path: '/api/v1/tickets?status=new,in_progress&per_page=25' },
      { name: 'list: priority + department', path: '/api/v1/tickets?priority=high&department_id=3' },
      { name: 'list: unassigned', path: '/api/v1/tickets?assignee_id=none&status=new' },
      ...(executorApi
        ? [
            {
              name: "list: «мои» (an executor's: theirs and their groups')",
              path: '/api/v1/tickets?scope=mine',
              headers: executorApi,
            },
          ]
        : []),
      {
        name: 'list: 3 filters + sort',
        path: '/api/v1/tickets?status=closed&priority=normal&department_id=3&sort=-updated_at',
      },
      ...(deep
        ? [
            {
              name: `list: deep page (cursor, ${deep.depth} rows in)`,
              path: `/api/v1/tickets?per_page=100&cursor=${encodeURIComponent(deep.cursor)}`,
            },
          ]
        : []),
      { name: 'search: one broad word (принтер)', path: `/api/v1/tickets?q=${encodeURIComponent('принтер')}` },
      { name: 'search: two words (нет сети)', path: `/api/v1/tickets?q=${encodeURIComponent('нет сети')}` },
      // The staff home page: the admin's open, unassigned and overdue tickets (all of them: an admin's scope) and
      // what changed; each view records the visit (a write).
      { name: 'dashboard (web /, the admin)', path: '/', headers: web },
      {
        name: 'statistics of a year (web /stats)',
        path: `/stats?period=custom&from=${day(today - 364 * 86_400_000)}&to=${day(today)}`,
        headers: web,
      },
    ]
    const chosen = only ? scenarios.filter((s) => only.some((word) => s.name.toLowerCase().includes(word))) : scenarios
    const ceiling = () => run(`http://127.0.0.1:${ceilingPort}/`, ceilingSeconds, {})
    const ceilings: number[] = [(await ceiling()).rps]
    const rows: Row[] = []
    for (const scenario of chosen) {
      await lagSince()
      const [measured, pssMb] = await peakPss(
        server.pid,
        run(`${base}${scenario.path}`, seconds, scenario.headers ?? api, scenario.requests),
      )
      const lag = await lagSince()
      const before = ceilings.at(-1) ?? 0
      const after = (await ceiling()).rps
      ceilings.push(after)
      rows.push({ scenario: scenario.name, ...measured, ceiling: (before + after) / 2, lag, pssMb })
      process.stderr.write(`${scenario.name}: ${measured.rps} req/s\n`)
    }
    const unfinished = rows.filter((r) => r.rps === 0 && r.errors === 0).map((r) => r.scenario)
    const fsyncs = fsyncPerSecond(dataDir)
    const sorted = [...ceilings].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0
    process.stdout.write(
      `\n${tickets} tickets, ${engine} (${demo}), ${connections} connections, ${seconds} s a scenario; ` +
        `ceiling (bare node:http, own process) ${median} req/s median of ${ceilings.length} runs ` +
        `(${sorted[0]}–${sorted.at(-1)}), ${ceilingSeconds} s each, between the scenarios; ` +
        `disk ${fsyncs} fdatasync/s; load average ${loadBefore.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}\n\n`,
    )
    process.stdout.write(
      '| scenario | req/s | ×ceiling | p50 ms | p99 ms | errors | loop lag max / p99 ms | PSS MB |\n' +
        '|---|---|---|---|---|---|---|---|\n',
    )
    for (const r of rows) {
      const ratio = r.ceiling > 0 ? (r.rps / r.ceiling).toFixed(4) : '—'
      const lag = r.lag ? `${r.lag.max} / ${r.lag.p99}` : '—'
      process.stdout.write(
        `| ${r.scenario} | ${r.rps} | ${ratio} | ${r.p50} | ${r.p99} | ${r.errors} | ${lag} | ${r.pssMb ?? '—'} |\n`,
      )
    }
    if (unfinished.length > 0)
      process.stdout.write(`\n(no answer within the ${seconds} s of the run: ${unfinished.join('; ')})\n`)
    if (!deep) process.stdout.write('\n(no deep-page row: the tickets API gave no next_cursor)\n')
  } finally {
    stopping = true
    server.kill('SIGTERM')
    ceilingServer.kill('SIGTERM')
  }
}

await main()
