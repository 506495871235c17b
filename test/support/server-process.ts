// The real `helpdesk serve` as a child process, for the reliability tests that kill it (TESTING.md F1, F2, F5).
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import path from 'node:path'
import { BUILD_CHOICE, type CliEnv, inheritedEnv } from '../cli/helpers.ts'
import type { FakeTelegram } from './fake-telegram.ts'

const root = path.resolve(import.meta.dirname, '../..')

export interface ServerOptions {
  /** Another port than the environment's own: a second instance over the same data directory. */
  port?: number
  /** `off` keeps the outbox worker from running, so that outbox rows stay where the test reads them. */
  worker?: 'off'
  /** The bot, polling this fake Telegram. */
  telegram?: FakeTelegram
  /** More settings (e.g. TELEGRAM_TIMEOUT_SECONDS, NOTICE_RETRY_SECONDS: durations scaled down for a test). */
  env?: Record<string, string>
  /** PostgreSQL instead of the data directory's SQLite file (F6). */
  databaseUrl?: string
  /** The server's log (JSON lines, level info) appended to this file instead of dropped (F7: a log on a full disk). */
  logFile?: string
}

/** Starts `helpdesk serve` over the environment's data directory; its output is dropped unless `logFile`. */
export function startServer(env: CliEnv, options: ServerOptions = {}): ChildProcess {
  const { port = env.port, worker, telegram, env: extra, databaseUrl, logFile } = options
  const log = logFile === undefined ? 'ignore' : openSync(logFile, 'a')
  const child = spawn(process.execPath, [path.join(root, 'bin/helpdesk.js'), 'serve'], {
    env: {
      PATH: process.env.PATH,
      ...inheritedEnv(BUILD_CHOICE),
      DATA_DIR: env.dataDir,
      PORT: String(port),
      LOG_LEVEL: logFile === undefined ? 'silent' : 'info',
      ...(logFile === undefined ? {} : { LOG_FORMAT: 'json' }),
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...(worker ? { WORKER: worker } : {}),
      ...(telegram ? { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot } : {}),
      ...extra,
    },
    stdio: ['ignore', log, log],
  })
  // The child holds its own copy of the log's descriptor.
  if (typeof log === 'number') closeSync(log)
  return child
}

/** Waits (up to half a minute) until the server at `base` answers /readyz. */
export async function waitReady(base: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('the server did not come up')
}

/** Sends the signal (SIGTERM: a clean stop; SIGKILL: `kill -9`) and waits for the process to end. */
export async function stopServer(server: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return
  server.kill(signal)
  await new Promise((r) => server.once('exit', r))
}

/**
 * A seeded generator of numbers in [0, 1), so that a failing run can be replayed with the seed it printed
 * (RELIABILITY_SEED); without one the seed comes from the clock.
 */
export function seededRandom(): { seed: number; random: () => number } {
  const seed = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000)
  let state = seed
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  }
  return { seed, random }
}
