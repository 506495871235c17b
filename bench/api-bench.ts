/**
 * API benchmark: builds (or reuses) a demo hospital with N tickets, starts the real server, drives it over
 * loopback with autocannon and prints one table. Also measures a bare Node `http` hello-world on the same
 * machine, and prints our throughput as a ratio to it, so that figures compare across noisy machines.
 *
 *   npm run bench -- --tickets 100000 [--data-dir /tmp/hd-bench] [--seconds 8] [--connections 4]
 *   DATABASE_URL=postgres://… npm run bench -- --tickets 100000 [--skip-demo: reuse the data already there]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { closeSync, existsSync, fdatasyncSync, mkdtempSync, openSync, unlinkSync, writeSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'

const { values } = parseArgs({
  options: {
    tickets: { type: 'string', default: '100000' },
    'data-dir': { type: 'string' },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '4' },
    'skip-demo': { type: 'boolean', default: false },
  },
})
const tickets = Number(values.tickets)
const seconds = Number(values.seconds)
const connections = Number(values.connections)
const dataDir = values['data-dir'] ?? mkdtempSync(path.join(tmpdir(), 'helpdesk-bench-'))
const root = path.resolve(import.meta.dirname, '..')
const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', WORKER: 'off' }

function helpdesk(args: string[], input?: string): string {
  return execFileSync(process.execPath, [path.join(root, 'bin/helpdesk.js'), ...args], {
    env,
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'inherit'],
  }).trim()
}

interface Row {
  scenario: string
  rps: number
  p50: number
  p99: number
  errors: number
  rssMb: number | null
}

async function run(url: string, headers: Record<string, string>, method: 'GET' | 'POST' = 'GET', body?: string) {
  const result = await autocannon({ url, connections, duration: seconds, headers, method, body })
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  }
}

async function helloWorldBaseline(): Promise<Row> {
  const server = http.createServer((_req, res) => res.end('hello'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const r = await run(`http://127.0.0.1:${port}/`, {})
  server.close()
  return { scenario: 'bare node http hello-world', ...r, rssMb: null }
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

function rssOf(child: ChildProcess): number | null {
  try {
    const status = execFileSync('cat', [`/proc/${child.pid}/status`], { encoding: 'utf8' })
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1]
    return kb ? Math.round(Number(kb) / 1024) : null
  } catch {
    return null
  }
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
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`${base}/readyz`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error('server did not become ready')
}

async function main(): Promise<void> {
  const dbFile = path.join(dataDir, 'helpdesk.sqlite')
  if (!values['skip-demo'] && (process.env.DATABASE_URL || !existsSync(dbFile))) {
    const started = Date.now()
    process.stderr.write(`demo --tickets ${tickets} into ${dataDir} …\n`)
    helpdesk(['demo', '--tickets', String(tickets), '--force'])
    process.stderr.write(`demo took ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  }
  const login = `bench${Date.now()}`
  helpdesk(['users', 'create-admin', '--login', login, '--password-stdin'], 'bench-password-123\n')
  const token = helpdesk(['tokens', 'create', '--login', login])
  const port = 3900 + Math.floor(Math.random() * 90)
  const base = `http://127.0.0.1:${port}`
  const server = spawn(process.execPath, [path.join(root, 'bin/helpdesk.js'), 'serve'], {
    // The bench's admin signs in with a password alone (the API's login): no phone to enrol here.
    env: { ...env, PORT: String(port), AUTH_REQUIRE_2FA: 'none' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  try {
    await waitReady(base)
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const rows: Row[] = [await helloWorldBaseline()]
    const scenarios: Array<[string, string, 'GET' | 'POST', string?]> = [
      ['tickets list, status filter', '/api/v1/tickets?status=new,in_progress&per_page=25', 'GET'],
      ['tickets list, 3 filters + sort', '/api/v1/tickets?priority=high&department_id=3&sort=-updated_at', 'GET'],
      ['tickets list, unassigned', '/api/v1/tickets?assignee_id=none&status=new', 'GET'],
      ['full-text search q=принтер', `/api/v1/tickets?q=${encodeURIComponent('принтер')}`, 'GET'],
      ['full-text search, 2 words', `/api/v1/tickets?q=${encodeURIComponent('нет сети')}`, 'GET'],
      ['ticket page (GET /tickets/{id})', `/api/v1/tickets/${Math.max(1, Math.floor(tickets / 2))}`, 'GET'],
    ]
    for (const [name, route, method, body] of scenarios) {
      const r = await run(`${base}${route}`, headers, method, body)
      rows.push({ scenario: name, ...r, rssMb: rssOf(server) })
    }
    // The web pages, as a signed-in admin sees them (HTML rendered on the server, gzip accepted).
    const cookie = await sessionCookie(base, login)
    const web = { cookie, 'accept-encoding': 'gzip' }
    const pages: Array<[string, string]> = [
      ['web: ticket list (50 rows)', '/tickets'],
      ['web: list, status filter', '/tickets?status=new&status=in_progress'],
      ['web: list, search принтер', `/tickets?q=${encodeURIComponent('принтер')}`],
      ['web: ticket page', `/tickets/${Math.max(1, Math.floor(tickets / 2))}`],
    ]
    for (const [name, route] of pages) {
      const r = await run(`${base}${route}`, web)
      rows.push({ scenario: name, ...r, rssMb: rssOf(server) })
    }
    const baseline = rows[0]?.rps ?? 1
    const fsyncs = fsyncPerSecond(dataDir)
    process.stdout.write(
      `\n${tickets} tickets, ${process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'}, ${connections} connections, ${seconds} s each; ` +
        `disk: ${fsyncs} fdatasync/s (every audited request commits once)\n\n`,
    )
    process.stdout.write(
      '| scenario | req/s | ×hello | p50 ms | p99 ms | errors | RSS MB |\n|---|---|---|---|---|---|---|\n',
    )
    for (const r of rows) {
      const ratio = (r.rps / baseline).toFixed(3)
      process.stdout.write(
        `| ${r.scenario} | ${r.rps} | ${ratio} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.rssMb ?? ''} |\n`,
      )
    }
  } finally {
    server.kill('SIGTERM')
  }
}

await main()
