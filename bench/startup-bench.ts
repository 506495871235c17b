/**
 * Startup benchmark (issue 11): how long an operator waits for `helpdesk`. Builds dist/ first, then in one
 * run measures the wall time of a bare `node -e 0` (the machine's floor), `helpdesk --help` and
 * `helpdesk users list` from the build (cold processes on a warm disk, a data folder migrated once before),
 * the same `users list` through tsx (what every command cost before the build), `helpdesk serve` until it
 * answers its first HTTP request, and the build-freshness check bin/helpdesk.js makes on each start. Medians
 * of N runs, printed as one table with each figure as a multiple of `node -e 0`, so machines compare.
 *
 *   npm run bench            (this, then the API bench)
 *   STARTUP_RUNS=15 npx tsx bench/startup-bench.ts
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { percentile } from '#src/stats/ticket-stats.ts'
import { build } from '../scripts/build.mjs'
import { buildStatus } from '../scripts/source-fingerprint.mjs'

const root = path.resolve(import.meta.dirname, '..')
const bin = path.join(root, 'bin/helpdesk.js')
const runs = Number(process.env.STARTUP_RUNS ?? 9)
const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-startup-bench-'))

// The build as it is: an engineer saving a file meanwhile must not turn a sample into a tsx start.
const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }
const built = { ...base, HELPDESK_FROM_DIST: '1' }
const source = { ...base, HELPDESK_FROM_SOURCE: '1' }

interface Row {
  what: string
  samples: number[]
  target?: number
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return percentile(sorted, 0.5)
}

/** Wall time of one process from spawn to exit; a failed command stops the bench (a figure of an error lies). */
function timeProcess(args: string[], env: Record<string, string>, input?: string): number {
  const started = performance.now()
  const result = spawnSync(process.execPath, args, { env, input, encoding: 'utf8' })
  const elapsed = performance.now() - started
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`)
  return elapsed
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

/** From spawn until `GET /login` answers 200 (polled every 5 ms), then a clean stop. */
async function timeServe(): Promise<number> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: { ...built, PORT: String(port), HOST: '127.0.0.1' },
    stdio: 'ignore',
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode} before answering`)
      const status = await fetch(`http://127.0.0.1:${port}/login`).then(
        (response) => response.status,
        () => 0,
      )
      if (status === 200) return performance.now() - started
      if (performance.now() - started > 60_000) throw new Error('serve did not answer in 60 s')
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

function sample(times: number, measure: () => number): number[] {
  return Array.from({ length: times }, measure)
}

async function main(): Promise<void> {
  const made = await build()
  process.stdout.write(`build: ${made.files} files in dist/ (${made.written} changed) in ${made.ms} ms\n`)
  timeProcess([bin, 'migrate'], built)
  timeProcess(
    [bin, 'users', 'create-admin', '--login', 'admin', '--password-stdin', '--full-name', 'Сорокина Вера Павловна'],
    built,
    'Скамейка-Облако-2026\n',
  )
  // One unmeasured start of each kind: the files are in the page cache (a warm disk), the machine awake.
  timeProcess(['-e', '0'], base)
  timeProcess([bin, 'users', 'list'], built)

  const rows: Row[] = [
    { what: 'node -e 0', samples: sample(runs, () => timeProcess(['-e', '0'], base)) },
    { what: 'helpdesk --help (build)', samples: sample(runs, () => timeProcess([bin, '--help'], built)) },
    {
      what: 'helpdesk users list (build)',
      samples: sample(runs, () => timeProcess([bin, 'users', 'list'], built)),
      target: 600,
    },
    {
      what: 'helpdesk users list (tsx, before)',
      samples: sample(Math.min(runs, 3), () => timeProcess([bin, 'users', 'list'], source)),
    },
  ]
  const serve: number[] = []
  for (let i = 0; i < Math.min(runs, 5); i++) serve.push(await timeServe())
  rows.push({ what: 'helpdesk serve → first 200 (build)', samples: serve, target: 1000 })
  rows.push({
    what: 'freshness check of dist/ (in-process)',
    samples: sample(runs, () => {
      const started = performance.now()
      buildStatus(root, path.join(root, 'dist'))
      return performance.now() - started
    }),
  })

  const floor = median(rows[0]?.samples ?? [1])
  const table = rows.map((row) => {
    const value = median(row.samples)
    return {
      measurement: row.what,
      'median ms': Math.round(value),
      'min ms': Math.round(Math.min(...row.samples)),
      'max ms': Math.round(Math.max(...row.samples)),
      runs: row.samples.length,
      '× node -e 0': (value / floor).toFixed(1),
      target: row.target === undefined ? '' : `≤ ${row.target} ms ${value <= row.target ? 'ok' : 'MISSED'}`,
    }
  })
  process.stdout.write('\nStartup (wall time, cold process, warm disk)\n')
  const columns = Object.keys(table[0] ?? {}) as Array<keyof (typeof table)[number]>
  const widths = columns.map((column) => Math.max(column.length, ...table.map((line) => String(line[column]).length)))
  const format = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')
  process.stdout.write(`${format(columns)}\n${format(widths.map((width) => '-'.repeat(width)))}\n`)
  for (const line of table) process.stdout.write(`${format(columns.map((column) => String(line[column])))}\n`)
}

try {
  await main()
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
