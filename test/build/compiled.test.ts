// The compiled build (scripts/build.mjs → dist/, issue 11): `helpdesk` runs it, never tsx, for a plain command,
// for a PDF drawn in the document thread and for the server with its static files; a build older than the
// sources is noticed. Every module a command loads is recorded by a loader hook the test puts in front
// (NODE_OPTIONS=--import …), in the main thread and in the PDF thread alike.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { systemActor } from '#src/users/actor.ts'
import { createApiToken } from '#src/users/api-tokens.ts'
import { buildStatus, STAMP_FILE, sourceFingerprint } from '../../scripts/source-fingerprint.mjs'
import { CLI_TIMEOUT, type CliEnv, freshEnv, helpdesk, lines, withFileDatabase } from '../cli/helpers.ts'
import { buildUser } from '../support/factories.ts'
import { pdfText } from '../support/pdf.ts'
import { startServer, stopServer, waitReady } from '../support/server-process.ts'

const root = path.resolve(import.meta.dirname, '../..')
const probeDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-build-probe-'))
afterAll(() => rmSync(probeDir, { recursive: true, force: true }))

/** A loader hook that appends every module URL resolved in the process (and its threads) to `log`. */
function probe(log: string): Record<string, string> {
  const hooks = path.join(probeDir, 'hooks.mjs')
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs'
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n')
  return result
}
`,
  )
  const register = path.join(probeDir, 'register.mjs')
  writeFileSync(
    register,
    `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`,
  )
  return { NODE_OPTIONS: `--import=${pathToFileURL(register).href}` }
}

function loaded(log: string): string[] {
  return lines(readFileSync(log, 'utf8'))
}

/** The modules a process loaded came from dist/, not from src/ through tsx. */
function expectBuilt(urls: string[]): void {
  expect(urls).toContain(pathToFileURL(path.join(root, 'dist/cli.main.js')).href)
  expect(urls.filter((url) => url.includes('/node_modules/tsx/'))).toEqual([])
  expect(urls.filter((url) => url.startsWith(pathToFileURL(path.join(root, 'src')).href))).toEqual([])
}

let counter = 0
function logFile(): string {
  return path.join(probeDir, `loaded-${++counter}.txt`)
}

describe('helpdesk from the compiled build', { timeout: CLI_TIMEOUT }, () => {
  let env: CliEnv

  beforeAll(async () => {
    env = await freshEnv()
    expect((await helpdesk(env, ['migrate'])).code).toBe(0)
  })

  test('the test run built the sources and pins its build for the commands it starts', () => {
    expect(process.env.HELPDESK_FROM_DIST).toBe('1')
    expect(JSON.parse(readFileSync(path.join(root, 'dist', STAMP_FILE), 'utf8'))).toHaveProperty('fingerprint')
  })

  test('users list runs the built code and never loads tsx', async () => {
    const log = logFile()
    await withFileDatabase(env, (db) => buildUser(db, { fullName: 'Сорокина Вера Павловна' }))
    const run = await helpdesk(env, ['users', 'list'], { env: probe(log) })
    expect(run.code).toBe(0)
    expect(run.stderr).not.toContain('tsx')
    expect(run.stdout).toContain('Сорокина Вера Павловна')
    expectBuilt(loaded(log))
  })

  test('subjects export draws its PDF in the document thread from the build', async () => {
    const log = logFile()
    const person = await withFileDatabase(env, (db) => buildUser(db, { fullName: 'Журавлёва Инна Олеговна' }))
    const out = path.join(env.dataDir, 'answers', 'otvet.zip')
    const run = await helpdesk(env, ['subjects', 'export', '--id', String(person.id), '--out', out], {
      env: probe(log),
    })
    expect(run.code).toBe(0)
    expect(run.stderr).not.toContain('tsx')
    expect(pdfText(readFileSync(path.join(env.dataDir, 'answers', 'otvet.pdf')))).toContain('Журавлёва Инна Олеговна')
    const urls = loaded(log)
    expectBuilt(urls)
    // The thread's own modules: the worker script and the document it drew, both from dist/.
    expect(urls).toContain(pathToFileURL(path.join(root, 'dist/documents/pdf-thread-worker.mjs')).href)
    expect(urls).toContain(pathToFileURL(path.join(root, 'dist/pdn.access-answer.js')).href)
  })

  test('serve answers the login page and its static files from the build', async () => {
    const log = logFile()
    const server = startServer(env, { worker: 'off', env: probe(log) })
    try {
      const base = `http://127.0.0.1:${env.port}`
      let login: Response | undefined
      for (let i = 0; i < 600 && login === undefined; i++) {
        login = await fetch(`${base}/login`).catch(() => undefined)
        if (login === undefined) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(login?.status).toBe(200)
      const page = (await login?.text()) ?? ''
      const assets = [...page.matchAll(/\/static\/[\w.-]+\?v=[0-9a-f]+/g)].map((match) => match[0])
      expect(assets.some((asset) => asset.startsWith('/static/htmx.min.js'))).toBe(true)
      for (const asset of assets) expect((await fetch(`${base}${asset}`)).status, asset).toBe(200)
    } finally {
      await stopServer(server)
    }
    expectBuilt(loaded(log))
  })

  test('serve reads the journal in its read-only thread from the build, and stops cleanly', async () => {
    const log = logFile()
    const token = await withFileDatabase(env, async (db) => {
      const admin = await buildUser(db, { role: 'admin', status: 'active', fullName: 'Сборкина Ольга Ивановна' })
      const created = await createApiToken(db, systemActor(), { userId: admin.id, name: 'сборка' })
      return created.token
    })
    const server = startServer(env, { worker: 'off', env: probe(log) })
    try {
      const base = `http://127.0.0.1:${env.port}`
      await waitReady(base)
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${base}/api/v1/audit`, { headers: { authorization: `Bearer ${token}` } })
        expect(response.status).toBe(200)
        const { items } = (await response.json()) as { items: Array<{ action: string }> }
        // The second reading finds the first one's journal row: written on the main db, read in the thread.
        if (i === 1) expect(items.map((item) => item.action)).toContain('audit.read')
      }
    } finally {
      await stopServer(server)
    }
    expect(server.exitCode).toBe(0)
    const urls = loaded(log)
    expectBuilt(urls)
    expect(urls).toContain(pathToFileURL(path.join(root, 'dist/db/read-only-thread.mjs')).href)
  })

  test('HELPDESK_FROM_SOURCE=1 runs the sources through tsx', async () => {
    const log = logFile()
    const run = await helpdesk(env, ['users', 'list'], { env: { ...probe(log), HELPDESK_FROM_SOURCE: '1' } })
    expect(run.code).toBe(0)
    const urls = loaded(log)
    expect(urls).toContain(pathToFileURL(path.join(root, 'src/cli/main.ts')).href)
    expect(urls.some((url) => url.includes('/node_modules/tsx/'))).toBe(true)
  })
})

describe('a build older than the sources', () => {
  const project = mkdtempSync(path.join(tmpdir(), 'helpdesk-build-stamp-'))
  const dist = path.join(project, 'dist')
  afterAll(() => rmSync(project, { recursive: true, force: true }))

  function stamp(): void {
    mkdirSync(dist, { recursive: true })
    writeFileSync(path.join(dist, STAMP_FILE), JSON.stringify({ fingerprint: sourceFingerprint(project) }))
  }

  beforeAll(() => {
    mkdirSync(path.join(project, 'src/cli'), { recursive: true })
    mkdirSync(path.join(project, 'scripts'))
    for (const file of ['package.json', 'tsconfig.json', 'scripts/build.mjs', 'src/cli/main.ts', 'src/errors.ts']) {
      writeFileSync(path.join(project, file), `// ${file}\n`)
    }
  })

  test('is missing without a stamp, fresh right after one', () => {
    expect(buildStatus(project, dist)).toBe('missing')
    stamp()
    expect(buildStatus(project, dist)).toBe('fresh')
  })

  test('is stale after an edit of the same size, a new file, a removed one, a new tsconfig', () => {
    const edited = path.join(project, 'src/cli/main.ts')
    stamp()
    const later = new Date(Date.now() + 5_000)
    utimesSync(edited, later, later)
    expect(buildStatus(project, dist)).toBe('stale')

    stamp()
    writeFileSync(path.join(project, 'src/cli/new-command.ts'), 'export {}\n')
    expect(buildStatus(project, dist)).toBe('stale')

    stamp()
    rmSync(path.join(project, 'src/errors.ts'))
    expect(buildStatus(project, dist)).toBe('stale')

    stamp()
    writeFileSync(path.join(project, 'tsconfig.json'), '{ "compilerOptions": {} }\n')
    expect(buildStatus(project, dist)).toBe('stale')
  })

  test('a test file is not part of the build: editing one keeps it fresh', () => {
    writeFileSync(path.join(project, 'src/cli/main.test.ts'), 'export {}\n')
    stamp()
    writeFileSync(path.join(project, 'src/cli/main.test.ts'), 'export const edited = 1\n')
    expect(buildStatus(project, dist)).toBe('fresh')
  })
})
