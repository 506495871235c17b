import { Worker } from 'node:worker_threads'
import { expect, test } from 'vitest'
import { testDatabaseUrl, testDialect } from '../test/support/database.ts'
import {
  type Finding,
  type FuzzOptions,
  type FuzzStats,
  noStats,
  STALL_MS,
  type WorkerMessage,
} from '../test/support/fuzz-run.ts'

/**
 * B1 (TESTING.md, issue 8): every HTTP route of the real app, as every role and as nobody, with hostile
 * input — never a 5xx, never the inside of the server in a body, nothing changed by a refused request, the
 * event loop never held over 200 ms. The inputs and the checks are in test/support/fuzz-run.ts.
 *
 * FUZZ_SEED replays a run; FUZZ_ONLY=<index> replays one input of it (on a fresh database); FUZZ_RUNS sets
 * the number of inputs. By default 14 000 on SQLite and 6 000 on PostgreSQL: 20 000 per CI run.
 */

const dialect = testDialect()
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
const only = process.env.FUZZ_ONLY === undefined ? undefined : Number(process.env.FUZZ_ONLY)
const runs = Number(process.env.FUZZ_RUNS ?? (dialect === 'sqlite' ? 14_000 : 6_000))
/** Silence from the worker for this long is a request that holds the event loop (or never ends). */
const STUCK_MS = 20_000
/** The worker's first words wait for it to compile the app and build its database. */
const STARTUP_MS = 120_000

interface Piece {
  stats?: FuzzStats
  /** The input the worker was on when it hung, crashed or failed. */
  stopped?: { index: number; label: string; kind: 'hang' | 'crash'; detail: string }
  /** Whether the worker got as far as its first input. */
  started: boolean
}

function runWorker(options: FuzzOptions): Promise<Piece> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('../test/support/fuzz-worker.mjs', import.meta.url), {
      workerData: options,
      // A request that grows the heap without end takes down the worker, not the test.
      resourceLimits: { maxOldGenerationSizeMb: 1_536 },
    })
    let last = { index: options.from, label: '(before the first input)' }
    let started = false
    let settled = false
    const finish = (piece: Omit<Piece, 'started'>) => {
      if (settled) return
      settled = true
      clearTimeout(watchdog)
      void worker.terminate()
      resolve({ ...piece, started })
    }
    const stop = (kind: 'hang' | 'crash', detail: string) => finish({ stopped: { ...last, kind, detail } })
    let watchdog = setTimeout(() => stop('hang', `no answer in ${STARTUP_MS} ms`), STARTUP_MS)
    worker.on('message', (message: WorkerMessage) => {
      clearTimeout(watchdog)
      watchdog = setTimeout(() => stop('hang', `event loop held or no answer for ${STUCK_MS} ms`), STUCK_MS)
      if (message.type === 'start') {
        started = true
        last = { index: message.index, label: message.label }
      } else if (message.type === 'done') finish({ stats: message.stats })
      else stop('crash', message.error)
    })
    worker.on('error', (error) => stop('crash', String(error)))
    worker.on('exit', (code) => stop('crash', `worker exited with ${code}`))
  })
}

function merge(into: FuzzStats, piece: FuzzStats): void {
  into.inputs += piece.inputs
  for (const [route, counts] of Object.entries(piece.perRoute)) {
    const target = into.perRoute[route] ?? {}
    into.perRoute[route] = target
    for (const [status, n] of Object.entries(counts)) target[status] = (target[status] ?? 0) + n
  }
  into.findings.push(...piece.findings)
  into.maxLoopDelayMs = Math.max(into.maxLoopDelayMs, piece.maxLoopDelayMs)
  into.p99LoopDelayMs = Math.max(into.p99LoopDelayMs, piece.p99LoopDelayMs)
  into.stalls = [...into.stalls, ...piece.stalls].sort((a, b) => b.ms - a.ms).slice(0, 5)
  for (const [name, ms] of Object.entries(piece.phaseMs)) into.phaseMs[name] = (into.phaseMs[name] ?? 0) + ms
}

/** Runs the inputs; a worker that hangs or dies is replaced and the run goes on after the input that did it. */
async function fuzz(from: number, to: number): Promise<FuzzStats> {
  const url = dialect === 'postgres' ? await testDatabaseUrl() : undefined
  const total = noStats()
  let start = from
  while (start < to) {
    const piece = await runWorker({ dialect, ...(url ? { url } : {}), seed, from: start, to })
    if (piece.stats) {
      merge(total, piece.stats)
      break
    }
    const stopped = piece.stopped
    if (!stopped) break
    if (!piece.started) throw new Error(`the fuzzer's worker failed before its first input: ${stopped.detail}`)
    total.inputs++
    total.findings.push({
      kind: stopped.kind,
      route: stopped.label.split(' ').slice(1, 3).join(' '),
      index: stopped.index,
      detail: stopped.detail.slice(0, 400),
      request: stopped.label,
    })
    start = stopped.index + 1
  }
  return total
}

function report(stats: FuzzStats): string {
  const lines = [`B1 fuzzer on ${dialect}: seed ${seed} (FUZZ_SEED=${seed}), ${stats.inputs} inputs`]
  const statuses: Record<string, number> = {}
  for (const [route, counts] of Object.entries(stats.perRoute).sort()) {
    const n = Object.values(counts).reduce((a, b) => a + b, 0)
    const parts = Object.entries(counts).map(([s, c]) => {
      statuses[s] = (statuses[s] ?? 0) + c
      return `${s}:${c}`
    })
    lines.push(`  ${String(n).padStart(5)}  ${route}  [${parts.join(' ')}]`)
  }
  lines.push(
    `  statuses: ${Object.entries(statuses)
      .map(([s, c]) => `${s}:${c}`)
      .join(' ')}`,
  )
  lines.push(
    `  time: ${Object.entries(stats.phaseMs)
      .map(([p, ms]) => `${p} ${(ms / 1000).toFixed(1)} s`)
      .join(', ')}`,
  )
  lines.push(
    `  event loop: max ${stats.maxLoopDelayMs} ms, p99 ${stats.p99LoopDelayMs} ms (stalls over ${STALL_MS} ms replayed; a repeat is a finding)`,
  )
  for (const stall of stats.stalls) lines.push(`    stalled ${stall.ms} ms during ${stall.during.join(' | ')}`)
  const groups = new Map<string, Finding[]>()
  for (const f of stats.findings) {
    const key = `${f.kind} ${f.status ?? ''} ${f.route}`
    groups.set(key, [...(groups.get(key) ?? []), f])
  }
  lines.push(`  findings: ${stats.findings.length} (${groups.size} distinct)`)
  for (const [key, list] of groups) {
    const first = list[0] as Finding
    lines.push(`  × ${list.length} ${key} — replay: FUZZ_SEED=${seed} FUZZ_ONLY=${first.index}`)
    lines.push(`      ${first.request.slice(0, 300)}`)
    lines.push(`      ${first.detail.replace(/\s+/g, ' ').slice(0, 300)}`)
  }
  return lines.join('\n')
}

test(`B1: every route, every role, hostile input (${dialect})`, { timeout: 900_000 }, async () => {
  const stats = only === undefined ? await fuzz(0, runs) : await fuzz(only, only + 1)
  process.stdout.write(`${report(stats)}\n`)
  expect(stats.findings.map((f) => `${f.kind} ${f.status ?? ''} ${f.route} #${f.index}`)).toEqual([])
  if (only === undefined) {
    expect(stats.inputs).toBe(runs)
    // Every route of the table got inputs.
    for (const [route, counts] of Object.entries(stats.perRoute)) {
      expect(
        Object.values(counts).reduce((a, b) => a + b, 0),
        route,
      ).toBeGreaterThan(0)
    }
  }
})
