import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'

/** Where the data lives: the embedded SQLite file (or `:memory:`), or a PostgreSQL server. */
export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string }

export type TelegramConfig =
  | { enabled: false }
  | {
      enabled: true
      token: string
      mode: 'polling' | 'webhook'
      webhookSecret: string | undefined
      apiRoot: string | undefined
      proxy: string | undefined
      /** How long one Bot API request (a notice's send) may take before it counts as failed; 30 unless set. */
      timeoutSeconds?: number
    }

export interface Config {
  readonly dataDir: string
  readonly database: DatabaseConfig
  readonly host: string
  readonly port: number
  readonly baseUrl: string
  readonly tzDisplay: string
  readonly logLevel: string
  readonly telegram: TelegramConfig
  /** Key of the audit journal's HMAC chain. Generated into DATA_DIR on first start unless given. */
  readonly auditKey: string
  /** Key for signing one-time links and other secrets. */
  readonly secretKey: string
  readonly workerEnabled: boolean
  /** The first retry of an undelivered notice waits this long, doubling each time (15 s unless set). */
  readonly noticeRetryMs?: number
}

const envSchema = z.object({
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  BASE_URL: z.string().url().optional(),
  TZ_DISPLAY: z.string().default('Europe/Moscow'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TELEGRAM_BOT_TOKEN: z.string().optional(),
  TELEGRAM_MODE: z.enum(['polling', 'webhook']).default('polling'),
  TELEGRAM_WEBHOOK_SECRET: z.string().optional(),
  TELEGRAM_API_ROOT: z.string().url().optional(),
  TELEGRAM_PROXY: z.string().optional(),
  AUDIT_HMAC_KEY: z.string().min(32).optional(),
  SECRET_KEY: z.string().min(32).optional(),
  WORKER: z.enum(['on', 'off']).default('on'),
  TELEGRAM_TIMEOUT_SECONDS: z.coerce.number().positive().max(600).default(30),
  NOTICE_RETRY_SECONDS: z.coerce.number().positive().max(3600).default(15),
})

export class ConfigError extends Error {}

/** Parses the environment once into a frozen Config; creates DATA_DIR and its generated secrets. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // A `.env` file in the working folder fills what the environment leaves unset (never overrides it).
  if (env === process.env && existsSync('.env')) process.loadEnvFile('.env')
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ConfigError(`Неверная настройка ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`)
  }
  const e = parsed.data
  const dataDir = path.resolve(e.DATA_DIR)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const secrets = loadOrCreateSecrets(dataDir)
  const port = e.PORT
  const baseUrl = (e.BASE_URL ?? `http://${e.HOST}:${port}`).replace(/\/$/, '')
  const telegram: TelegramConfig = e.TELEGRAM_BOT_TOKEN
    ? {
        enabled: true,
        token: e.TELEGRAM_BOT_TOKEN,
        mode: e.TELEGRAM_MODE,
        webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
        apiRoot: e.TELEGRAM_API_ROOT,
        proxy: e.TELEGRAM_PROXY,
        timeoutSeconds: e.TELEGRAM_TIMEOUT_SECONDS,
      }
    : { enabled: false }
  return Object.freeze({
    dataDir,
    database: parseDatabaseUrl(e.DATABASE_URL, dataDir),
    host: e.HOST,
    port,
    baseUrl,
    tzDisplay: e.TZ_DISPLAY,
    logLevel: e.LOG_LEVEL,
    telegram,
    auditKey: e.AUDIT_HMAC_KEY ?? secrets.auditKey,
    secretKey: e.SECRET_KEY ?? secrets.secretKey,
    workerEnabled: e.WORKER === 'on',
    noticeRetryMs: e.NOTICE_RETRY_SECONDS * 1000,
  })
}

export function parseDatabaseUrl(url: string | undefined, dataDir: string): DatabaseConfig {
  if (!url) return { kind: 'sqlite', file: path.join(dataDir, 'helpdesk.sqlite') }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url }
  if (url === ':memory:' || url === 'sqlite::memory:') return { kind: 'sqlite', file: ':memory:' }
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', file: path.resolve(url.slice('sqlite:'.length)) }
  throw new ConfigError('DATABASE_URL должен начинаться с postgres:// или sqlite:')
}

interface Secrets {
  auditKey: string
  secretKey: string
}

function loadOrCreateSecrets(dataDir: string): Secrets {
  const file = path.join(dataDir, 'secrets.json')
  if (existsSync(file)) {
    const raw: unknown = JSON.parse(readFileSync(file, 'utf8'))
    const secrets = z.object({ auditKey: z.string().min(32), secretKey: z.string().min(32) }).safeParse(raw)
    if (!secrets.success) throw new ConfigError(`Файл ${file} повреждён`)
    return secrets.data
  }
  const secrets = { auditKey: randomBytes(32).toString('hex'), secretKey: randomBytes(32).toString('hex') }
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' })
  return secrets
}
