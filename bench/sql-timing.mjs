// Preloaded into the server by `npm run bench -- --sql-timing FILE` (node --import; or into any `helpdesk` command):
// times every better-sqlite3 statement and `exec` by its SQL and writes the table to BENCH_SQL_TIMING when the
// process exits. A bench tool only; `bench/create-profile.ts` imports it for the same timings in process.
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'

const file = process.env.BENCH_SQL_TIMING
const Database = createRequire(import.meta.url)('better-sqlite3')
/** Every statement's totals by its SQL (ms): read by `create-profile.ts`, which imports this file. */
export const timings = new Map()
function record(key, ms) {
  const entry = timings.get(key) ?? { calls: 0, ms: 0, max: 0, slow: 0 }
  entry.calls++
  entry.ms += ms
  entry.max = Math.max(entry.max, ms)
  if (ms > 10) entry.slow++
  timings.set(key, entry)
}
const prepare = Database.prototype.prepare
Database.prototype.prepare = function timedPrepare(source) {
  const statement = prepare.call(this, source)
  const key = source
    .replace(/\s+/g, ' ')
    .replace(/"gc_\d+"|"sp_\d+"/g, '"…"')
    .slice(0, 120)
  for (const method of ['run', 'all', 'get', 'iterate']) {
    const original = statement[method]
    statement[method] = (...args) => {
      const started = performance.now()
      try {
        return original.apply(statement, args)
      } finally {
        record(key, performance.now() - started)
      }
    }
  }
  return statement
}

const exec = Database.prototype.exec
Database.prototype.exec = function timedExec(source) {
  const key = `exec: ${source.replace(/\s+/g, ' ').slice(0, 110)}`
  const started = performance.now()
  try {
    return exec.call(this, source)
  } finally {
    record(key, performance.now() - started)
  }
}

process.on('exit', () => {
  if (!file) return
  const rows = [...timings].sort((a, b) => b[1].ms - a[1].ms)
  const lines = rows.map(
    ([sql, t]) =>
      `| ${sql.replaceAll('|', '\\|')} | ${t.calls} | ${t.ms.toFixed(0)} | ${t.max.toFixed(1)} | ${t.slow} |`,
  )
  const head = '| statement | calls | ms | slowest ms | over 10 ms |\n|---|---|---|---|---|\n'
  writeFileSync(file, `${head}${lines.join('\n')}\n`)
})
