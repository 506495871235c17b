import { spawn } from 'node:child_process'
import { lstatSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { CLI_TIMEOUT, freshEnv, helpdesk } from './helpers.ts'

const root = path.resolve(import.meta.dirname, '../..')

/** Every path under a folder with its permission bits, the folder itself as `.`. */
function modes(folder: string): Record<string, string> {
  const found: Record<string, string> = {}
  const visit = (file: string) => {
    const stats = lstatSync(file)
    found[path.relative(folder, file) || '.'] = (stats.mode & 0o777).toString(8)
    if (stats.isDirectory()) for (const entry of readdirSync(file)) visit(path.join(file, entry))
  }
  visit(folder)
  return found
}

async function waitForHealth(url: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('the server did not answer /healthz')
}

describe('helpdesk serve on a fresh data folder', { timeout: CLI_TIMEOUT }, () => {
  test('creates only private files (0600) and folders (0700), even under a permissive umask', async () => {
    const env = await freshEnv()
    // A folder the command creates itself, as on a first start.
    const dataDir = path.join(env.dataDir, 'data')
    // Under the usual umask 022, which would leave everything 0644/0755 without ours.
    const command = `umask 022 && exec "${process.execPath}" bin/helpdesk.js serve`
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        HOST: '127.0.0.1',
        PORT: String(env.port),
      },
      stdio: 'ignore',
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    let whileRunning: Record<string, string>
    try {
      await waitForHealth(`http://127.0.0.1:${env.port}`, Date.now() + 60_000)
      whileRunning = modes(dataDir)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    // The database in WAL mode: its -wal and -shm exist while the server runs.
    expect(Object.keys(whileRunning)).toEqual(
      expect.arrayContaining(['.', 'secrets.json', 'helpdesk.sqlite', 'helpdesk.sqlite-wal', 'helpdesk.sqlite-shm']),
    )

    const backup = await helpdesk({ ...env, dataDir }, ['backup'])
    expect(backup.code, backup.stderr).toBe(0)
    const after = modes(dataDir)
    expect(Object.keys(after).some((name) => name.startsWith('backups/'))).toBe(true)
    for (const [name, mode] of Object.entries({ ...whileRunning, ...after })) {
      const folder = name === '.' || name === 'backups' || name === 'files'
      expect(`${name} ${mode}`).toBe(`${name} ${folder ? '700' : '600'}`)
    }
  })
})
