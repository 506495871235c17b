import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, expect, test } from 'vitest'
import { freePort, freshEnv } from '../cli/helpers.ts'
import { CookieBrowser, signInFirstTime } from '../support/cookie-browser.ts'
import { adminApiHeaders, waitUntil } from '../support/reliability.ts'
import { startServer, stopServer, waitReady } from '../support/server-process.ts'

/**
 * The nginx site we ship (deploy/nginx-helpdesk.conf), as Debian 12's nginx reads it: `nginx -t` accepts it,
 * and run in front of a real server it serves the web over TLS, sends plain HTTP to HTTPS, hides /metrics,
 * and carries a ticket page's live updates (Server-Sent Events) as they happen. Only the addresses, ports and
 * certificate paths are changed for the test; everything else is the file as shipped.
 */
const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')
const NGINX = '/usr/sbin/nginx'
const PASSWORD = 'reliable-pass-2026'

const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-nginx-'))
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  rmSync(dir, { recursive: true, force: true })
})

/** The shipped site with the test's ports and certificate; nothing else changed. */
function siteForTest(ports: { http: number; https: number; app: number }): string {
  const site = readFileSync(path.join(root, 'deploy/nginx-helpdesk.conf'), 'utf8')
  const replaced = site
    .replace(/^\s*listen \[::\].*$/gm, '')
    .replace('listen 80;', `listen 127.0.0.1:${ports.http};`)
    .replace('listen 443 ssl http2;', `listen 127.0.0.1:${ports.https} ssl http2;`)
    .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${ports.app};`)
    .replace('/etc/ssl/helpdesk/helpdesk.crt', path.join(dir, 'helpdesk.crt'))
    .replace('/etc/ssl/helpdesk/helpdesk.key', path.join(dir, 'helpdesk.key'))
  // Each change must have found its line: a reworded site would otherwise be tested half-changed.
  for (const expected of [`127.0.0.1:${ports.http};`, `127.0.0.1:${ports.https} ssl`, `127.0.0.1:${ports.app};`]) {
    expect(replaced).toContain(expected)
  }
  return replaced
}

/** nginx's main file around the site: its own pid, logs and temporary folders in the test's folder. */
function mainConfig(): string {
  for (const name of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, name), { recursive: true })
  return `user root;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/site.conf;
}
`
}

interface Answer {
  status: number
  headers: Headers
  text: string
}

/** A request over TLS to the test's self-signed certificate (fetch cannot be told to accept it). */
function tls(base: string, target: string, init: RequestInit = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const body = typeof init.body === 'string' ? init.body : undefined
    const req = httpsRequest(
      `${base}${target}`,
      { method: init.method ?? 'GET', headers: init.headers as Record<string, string>, rejectUnauthorized: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const headers = new Headers()
          for (const [name, value] of Object.entries(res.headers)) {
            for (const one of Array.isArray(value) ? value : [value ?? '']) headers.append(name, one)
          }
          const status = res.statusCode ?? 0
          resolve(
            new Response([204, 301, 302, 303, 304].includes(status) ? null : Buffer.concat(chunks), {
              status,
              headers,
            }),
          )
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function answer(base: string, target: string): Promise<Answer> {
  const res = await tls(base, target)
  return { status: res.status, headers: res.headers, text: await res.text() }
}

/** A ticket page's event stream through nginx; the names of the events, as they arrive. */
function watchEvents(base: string, target: string, cookie: string): { events: string[]; stop(): void } {
  const events: string[] = []
  const req = httpsRequest(`${base}${target}`, {
    headers: { cookie, accept: 'text/event-stream' },
    rejectUnauthorized: false,
  })
  req.on('response', (res) => {
    res.setEncoding('utf8')
    res.on('data', (text: string) => {
      for (const line of text.split('\n')) if (line.startsWith('event: ')) events.push(line.slice(7))
    })
  })
  req.on('error', () => {})
  req.end()
  return { events, stop: () => req.destroy() }
}

test('the shipped nginx site: nginx -t accepts it; TLS, the HTTPS redirect, hidden /metrics and live updates through it', async () => {
  const [httpPort, httpsPort] = [await freePort(), await freePort()]
  const env = await freshEnv()
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=helpdesk.test',
    '-keyout',
    path.join(dir, 'helpdesk.key'),
    '-out',
    path.join(dir, 'helpdesk.crt'),
  ])
  writeFileSync(path.join(dir, 'site.conf'), siteForTest({ http: httpPort, https: httpsPort, app: env.port }))
  const main = path.join(dir, 'nginx.conf')
  writeFileSync(main, mainConfig())

  const checked = await run(NGINX, ['-t', '-c', main, '-p', dir])
  expect(checked.stderr).toContain('syntax is ok')
  expect(checked.stderr).toContain('test is successful')

  const base = `https://127.0.0.1:${httpsPort}`
  const headers = await adminApiHeaders(env)
  const server = startServer(env, { env: { BASE_URL: base, TRUST_PROXY: 'loopback', AUTH_REQUIRE_2FA: 'none' } })
  cleanups.push(() => stopServer(server))
  await waitReady(`http://127.0.0.1:${env.port}`)
  const nginx: ChildProcess = spawn(NGINX, ['-c', main, '-p', dir], { stdio: 'ignore' })
  cleanups.unshift(() => stopServer(nginx, 'SIGQUIT'))
  let up = false
  for (let i = 0; i < 100 && !up; i++) {
    up = await tls(base, '/readyz').then(
      (r) => r.ok,
      () => false,
    )
    if (!up) await new Promise((r) => setTimeout(r, 100))
  }
  expect(up).toBe(true)

  // The web over TLS with the app's own headers; plain HTTP moves to HTTPS.
  const login = await answer(base, '/login')
  expect(login.status).toBe(200)
  // The app's own HSTS (BASE_URL is https), once: the site adds no second copy.
  expect(login.headers.get('strict-transport-security')).toBe('max-age=15552000; includeSubDomains')
  expect(login.headers.get('content-security-policy')).toContain("default-src 'self'")
  const plain = await fetch(`http://127.0.0.1:${httpPort}/login`, { redirect: 'manual' })
  expect(plain.status).toBe(301)
  expect(plain.headers.get('location')).toBe(`https://127.0.0.1/login`)
  // /metrics is for Prometheus on the app's own port, never published through the site.
  expect((await answer(base, '/metrics')).status).toBe(404)

  // Sign in through nginx (the session cookie is Secure: BASE_URL is https) and watch a ticket's page.
  const browser = new CookieBrowser({ request: (target: string, init: RequestInit) => tls(base, target, init) })
  await signInFirstTime(browser, 'admin', PASSWORD)

  const api = (target: string, body: unknown) =>
    tls(base, `/api/v1${target}`, { method: 'POST', headers, body: JSON.stringify(body) })
  const category = (await (await api('/categories', { name: 'Принтеры' })).json()) as { id: number }
  const created = await api('/tickets', { title: 'Через nginx', description: 'Не печатает', category_id: category.id })
  expect(created.status).toBe(201)
  const ticket = (await created.json()) as { id: number }
  const page = watchEvents(base, `/tickets/${ticket.id}/events`, browser.cookie)
  cleanups.unshift(async () => page.stop())
  await new Promise((r) => setTimeout(r, 1000))
  expect((await api(`/tickets/${ticket.id}/messages`, { body: 'Ответ', internal: false })).status).toBe(201)
  await waitUntil(() => page.events.includes('change'), 'the live update through nginx', { timeoutMs: 15_000 })
}, 120_000)
