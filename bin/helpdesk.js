#!/usr/bin/env node
// Entry point of the `helpdesk` command. It runs the compiled build in dist/ (`npm run build`; `npm ci` makes
// it): compiling the TypeScript sources through tsx on every start took 2–6 s. A build older than the sources
// is never run: the command then compiles them through tsx as before and says so on one line. It never builds
// here: a production install is read-only (systemd ProtectSystem=strict).
//   HELPDESK_FROM_SOURCE=1  always the sources through tsx (development);
//   HELPDESK_FROM_DIST=1    the build as it is, without comparing it to the sources (the test run's own build).
import { existsSync } from 'node:fs'
import path from 'node:path'
import { buildStatus } from '../scripts/source-fingerprint.mjs'

// Personal data lives under DATA_DIR: whatever the command creates (database, backups, files) is 0600/0700.
process.umask(0o077)

const root = path.resolve(import.meta.dirname, '..')
const dist = path.join(root, 'dist')

function chooseBuild() {
  if (process.env.HELPDESK_FROM_SOURCE === '1') return false
  if (process.env.HELPDESK_FROM_DIST === '1') {
    if (existsSync(path.join(dist, 'cli.main.js'))) return true
    process.stderr.write('helpdesk: HELPDESK_FROM_DIST=1, но сборки dist/ нет (соберите: npm run build)\n')
    process.exit(1)
  }
  const status = buildStatus(root, dist)
  if (status === 'fresh') return true
  const why = status === 'missing' ? 'нет сборки dist/' : 'сборка dist/ старше исходников'
  process.stderr.write(`helpdesk: ${why}, запуск из исходников через tsx (медленнее; соберите: npm run build)\n`)
  return false
}

let runCli
if (chooseBuild()) {
  // With `--debug` stack traces name the TypeScript sources and their lines (the build writes a map beside
  // each file; NODE_OPTIONS=--enable-source-maps does it for `serve`). Not always: Node then reads every map
  // at load, 0.1–0.2 s of each start. Without, a trace names dist/x/y.js, the file built from src/x/y.ts.
  if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true)
  ;({ runCli } = await import('../dist/cli.main.js'))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ runCli } = await import('../src/cli/main.ts'))
}
process.exitCode = await runCli(process.argv.slice(2))
