import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'
import { openDatabase } from '#src/db/database.ts'
import type { Db } from '#src/db/schema.ts'

/**
 * Runs the real `helpdesk` command (`node bin/helpdesk.js …`) as a child process in a data folder of
 * its own, the way an operator would, and collects its exit code and output.
 */
const root = path.resolve(import.meta.dirname, '../..')
const bin = path.join(root, 'bin/helpdesk.js')

export interface Run {
  code: number
  stdout: string
  stderr: string
}

export interface CliEnv {
  dataDir: string
  port: number
}

/** Each test starts several processes; on a loaded machine one start can take seconds. */
export const CLI_TIMEOUT = 240_000

const folders: string[] = []
afterAll(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A fresh, empty DATA_DIR and a free port (restore checks that no server answers on it). */
export async function freshEnv(): Promise<CliEnv> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-cli-'))
  folders.push(dataDir)
  return { dataDir, port: await freePort() }
}

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export interface RunOptions {
  input?: string
  cwd?: string
  env?: Record<string, string>
}

/**
 * The variables that choose how `helpdesk` runs: the run's own build (HELPDESK_FROM_DIST, set by
 * test/build/global-setup.ts) or the sources. Every command and server a test starts passes them on.
 */
export const BUILD_CHOICE = ['HELPDESK_FROM_DIST', 'HELPDESK_FROM_SOURCE'] as const

/** Those of `names` that this process's environment sets, with their values. */
export function inheritedEnv(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((name) => {
      const value = process.env[name]
      return value === undefined ? [] : [[name, value]]
    }),
  )
}

export function helpdesk(env: CliEnv, args: string[], options: RunOptions = {}): Promise<Run> {
  // A clean environment: vitest's own variables (BASE_URL, MODE…) must not reach the command's config.
  const inherited = inheritedEnv(['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT', ...BUILD_CHOICE])
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? root,
      env: {
        ...inherited,
        DATA_DIR: env.dataDir,
        LOG_LEVEL: 'silent',
        HOST: '127.0.0.1',
        PORT: String(env.port),
        NO_COLOR: '1',
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

export function databaseFile(env: CliEnv): string {
  return path.join(env.dataDir, 'helpdesk.sqlite')
}

/** Opens the command's database from the test (to arrange rows or inspect effects); close it after. */
export async function withFileDatabase<T>(env: CliEnv, work: (db: Db) => Promise<T>): Promise<T> {
  const db = openDatabase({ kind: 'sqlite', file: databaseFile(env) })
  try {
    return await work(db)
  } finally {
    await db.destroy()
  }
}

/** Non-empty lines of an output. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '')
}
