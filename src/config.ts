import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { trustProxyProblem } from '#src/api/client-address.ts'
import { cronProblem, keepRulesProblem } from '#src/backup/rules.ts'
import { type Role, roles } from '#src/db/schema.ts'

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

/** The MAX bot (issue 15): set by MAX_BOT_TOKEN; the proxy is TELEGRAM_PROXY's, shared. */
export type MaxConfig =
  | { enabled: false }
  | {
      enabled: true
      token: string
      mode: 'polling' | 'webhook'
      /** MAX_WEBHOOK_SECRET (5–256 of A-Za-z0-9_-); else derived from the instance's secret key. */
      webhookSecret: string | undefined
      /** MAX_API_ROOT: tests point it at the fake server; else MAX's own (max-api.ts). */
      apiRoot: string | undefined
      proxy: string | undefined
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
  /** The MAX bot; disabled unless MAX_BOT_TOKEN is set (tests and older configs may leave it out). */
  readonly max?: MaxConfig
  /** Key of the audit journal's HMAC chain. Generated into DATA_DIR on first start unless given. */
  readonly auditKey: string
  /** Key for signing one-time links and other secrets. */
  readonly secretKey: string
  readonly workerEnabled: boolean
  /** The first retry of an undelivered notice waits this long, doubling each time (15 s unless set). */
  readonly noticeRetryMs?: number
  /**
   * A ticket export of more rows than this is made in the background (a file in DATA_DIR/exports and a
   * page that waits for it); up to it, the download streams at once. 50 000 unless set (tests set a few).
   */
  readonly exportStreamLimit?: number
  /** Where the journal's head is anchored (AUDIT_CHECKPOINT_FILE); DATA_DIR/audit-checkpoints.log unless set. */
  readonly auditCheckpointFile?: string
  /** Where `helpdesk audit archive` writes the journal's archives (AUDIT_ARCHIVE_DIR); DATA_DIR/audit-archive unless set. */
  readonly auditArchiveDir?: string
  /** Where the audit key came from: the environment, a file (AUDIT_HMAC_KEY_FILE), or generated into DATA_DIR. */
  readonly auditKeySource?: 'env' | 'file' | 'generated'
  /** NODE_ENV=production: a generated audit key is worth a warning there. */
  readonly production?: boolean
  /** PostgreSQL: the journal's owner (MIGRATION_DATABASE_URL) runs migrations; DATABASE_URL's role only uses the tables. */
  readonly migrationDatabase?: DatabaseConfig
  /**
   * TRUST_PROXY: the reverse proxies (addresses, CIDR ranges, `loopback`) whose X-Forwarded-For is believed;
   * none unless set, so that a client cannot choose its own address for the login throttle and the journal.
   */
  readonly trustProxy?: readonly string[]
  /**
   * METRICS_ALLOW: who may read GET /metrics without a token (addresses, CIDR ranges, `loopback`), judged
   * by the client's address as TRUST_PROXY makes it; loopback only unless set, nobody when set empty.
   */
  readonly metricsAllow?: readonly string[]
  /** METRICS_TOKEN: a scraper elsewhere may read GET /metrics with `Authorization: Bearer <token>`. */
  readonly metricsToken?: string
  /** LDAP / Active Directory sign-in (LDAP_URL and friends); absent when LDAP_URL is unset. */
  readonly ldap?: LdapConfig
  /** AUTH_REQUIRE_2FA (curators and admins unless set): roles that must use TOTP (enrol first, cannot turn it off). */
  readonly require2fa?: readonly Role[]
  /** TELEGRAM_BOT_USERNAME (without @): for the profile's deep link; else what the bot of this process learnt. */
  readonly telegramBotUsername?: string
  /** Automatic backups (BACKUP_*, src/backup); the defaults below when unset. */
  readonly backup?: BackupConfig
}

export interface BackupConfig {
  /** BACKUP_DIR: DATA_DIR/backups unless set (may be a mounted share). */
  readonly dir: string
  /** BACKUP_SCHEDULE: cron syntax in TZ_DISPLAY; `30 2 * * *` unless set, `off` for none. */
  readonly schedule: string | null
  /** BACKUP_KEEP: `7d,4w,12m` unless set (the syntax: src/backup/rules.ts). */
  readonly keep: string
  /** BACKUP_PASSPHRASE or the content of BACKUP_KEY_FILE; without it bundles are unencrypted tar files. */
  readonly passphrase?: string
  /** PG_BIN_DIR: where pg_dump and pg_restore are; PATH unless set. */
  readonly pgBinDir?: string
}

export interface LdapConfig {
  /** Tried in order until one answers (failover). */
  readonly urls: readonly string[]
  readonly startTls: boolean
  /** PEM of the CA that signed the directory's certificate (ldaps:// or StartTLS); the system's CAs unless set. */
  readonly caFile?: string
  readonly bindDn: string
  readonly bindPassword: string
  readonly baseDn: string
  /** With `{login}`, replaced by the login escaped per RFC 4515. */
  readonly userFilter: string
  /** Group DN (compared case-insensitively) → role; the highest mapped role wins. */
  readonly groupRoles: Readonly<Record<string, Role>>
  readonly timeoutMs: number
}

/** COMPLIANCE.md §5: a second factor is required of curators and admins unless the setting says otherwise. */
const REQUIRE_2FA_DEFAULT = 'curator,admin'

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
  MAX_BOT_TOKEN: z.string().trim().optional(),
  MAX_MODE: z.enum(['polling', 'webhook']).default('polling'),
  MAX_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{5,256}$/, 'секрет MAX: 5–256 символов A-Z, a-z, 0-9, _ и -')
    .optional(),
  MAX_API_ROOT: z.string().url().optional(),
  TELEGRAM_BOT_USERNAME: z
    .string()
    .transform((name) => name.trim().replace(/^@/, ''))
    .pipe(z.string().regex(/^([A-Za-z][A-Za-z0-9_]{3,31})?$/, 'имя бота: латиница, цифры и _, 4–32 символа'))
    .optional(),
  AUDIT_HMAC_KEY: z.string().min(32).optional(),
  SECRET_KEY: z.string().min(32).optional(),
  AUDIT_HMAC_KEY_FILE: z.string().min(1).optional(),
  SECRET_KEY_FILE: z.string().min(1).optional(),
  AUDIT_CHECKPOINT_FILE: z.string().min(1).optional(),
  AUDIT_ARCHIVE_DIR: z.string().min(1).optional(),
  MIGRATION_DATABASE_URL: z.string().min(1).optional(),
  NODE_ENV: z.string().optional(),
  WORKER: z.enum(['on', 'off']).default('on'),
  TELEGRAM_TIMEOUT_SECONDS: z.coerce.number().positive().max(600).default(30),
  NOTICE_RETRY_SECONDS: z.coerce.number().positive().max(3600).default(15),
  TRUST_PROXY: z.string().default(''),
  METRICS_ALLOW: z.string().default('loopback'),
  METRICS_TOKEN: z.string().trim().min(16, 'не короче 16 символов').optional(),
  LDAP_URL: z.string().optional(),
  LDAP_STARTTLS: z.enum(['true', 'false', '1', '0', 'on', 'off']).default('false'),
  LDAP_CA_FILE: z.string().min(1).optional(),
  LDAP_BIND_DN: z.string().default(''),
  LDAP_BIND_PASSWORD: z.string().default(''),
  LDAP_BASE_DN: z.string().default(''),
  LDAP_USER_FILTER: z.string().default('(&(objectClass=user)(sAMAccountName={login}))'),
  LDAP_GROUP_ROLES: z.string().default('{}'),
  LDAP_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  AUTH_REQUIRE_2FA: z.string().default(REQUIRE_2FA_DEFAULT),
  BACKUP_DIR: z.string().min(1).optional(),
  BACKUP_SCHEDULE: z.string().default('30 2 * * *'),
  BACKUP_KEEP: z.string().default('7d,4w,12m'),
  BACKUP_PASSPHRASE: z.string().min(1).optional(),
  BACKUP_KEY_FILE: z.string().min(1).optional(),
  PG_BIN_DIR: z.string().min(1).optional(),
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
  const auditKey = keyFrom('AUDIT_HMAC_KEY', e.AUDIT_HMAC_KEY, e.AUDIT_HMAC_KEY_FILE)
  const secretKey = keyFrom('SECRET_KEY', e.SECRET_KEY, e.SECRET_KEY_FILE)
  const migrationDatabase = e.MIGRATION_DATABASE_URL ? parseDatabaseUrl(e.MIGRATION_DATABASE_URL, dataDir) : undefined
  if (migrationDatabase && migrationDatabase.kind !== 'postgres') {
    throw new ConfigError('MIGRATION_DATABASE_URL нужен только для PostgreSQL и должен начинаться с postgres://')
  }
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
  const max: MaxConfig = e.MAX_BOT_TOKEN
    ? {
        enabled: true,
        token: e.MAX_BOT_TOKEN,
        mode: e.MAX_MODE,
        webhookSecret: e.MAX_WEBHOOK_SECRET,
        apiRoot: e.MAX_API_ROOT,
        proxy: e.TELEGRAM_PROXY,
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
    max,
    auditKey: auditKey ?? secrets.auditKey,
    secretKey: secretKey ?? secrets.secretKey,
    workerEnabled: e.WORKER === 'on',
    noticeRetryMs: e.NOTICE_RETRY_SECONDS * 1000,
    auditCheckpointFile: path.resolve(e.AUDIT_CHECKPOINT_FILE ?? path.join(dataDir, 'audit-checkpoints.log')),
    auditArchiveDir: path.resolve(e.AUDIT_ARCHIVE_DIR ?? path.join(dataDir, 'audit-archive')),
    auditKeySource: e.AUDIT_HMAC_KEY ? 'env' : e.AUDIT_HMAC_KEY_FILE ? 'file' : 'generated',
    production: e.NODE_ENV === 'production',
    ...(migrationDatabase ? { migrationDatabase } : {}),
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    metricsAllow: parseAddressList('METRICS_ALLOW', e.METRICS_ALLOW),
    ...(e.METRICS_TOKEN ? { metricsToken: e.METRICS_TOKEN } : {}),
    ...(e.LDAP_URL?.trim() ? { ldap: parseLdap(e) } : {}),
    require2fa: parseRequire2fa(e.AUTH_REQUIRE_2FA),
    ...(e.TELEGRAM_BOT_USERNAME ? { telegramBotUsername: e.TELEGRAM_BOT_USERNAME } : {}),
    backup: parseBackup(e, dataDir),
  })
}

/**
 * BACKUP_*: the schedule and the rotation are checked here, so that a mistyped value stops the start
 * instead of silently leaving the hospital without backups. The passphrase may come from a file (a
 * root-owned 0400 file, a systemd credential); one trailing newline is not part of it.
 */
function parseBackup(e: z.infer<typeof envSchema>, dataDir: string): BackupConfig {
  if (e.BACKUP_PASSPHRASE !== undefined && e.BACKUP_KEY_FILE !== undefined) {
    throw new ConfigError('Задайте что-то одно: BACKUP_PASSPHRASE или BACKUP_KEY_FILE')
  }
  let passphrase = e.BACKUP_PASSPHRASE
  if (e.BACKUP_KEY_FILE !== undefined) {
    try {
      passphrase = readFileSync(e.BACKUP_KEY_FILE, 'utf8').replace(/\r?\n$/, '')
    } catch {
      throw new ConfigError(`BACKUP_KEY_FILE: файл ${e.BACKUP_KEY_FILE} не читается`)
    }
    if (passphrase === '') throw new ConfigError(`BACKUP_KEY_FILE: файл ${e.BACKUP_KEY_FILE} пуст`)
  }
  const schedule = e.BACKUP_SCHEDULE.trim()
  const off = schedule === '' || schedule === 'off'
  if (!off) {
    const problem = cronProblem(schedule, e.TZ_DISPLAY)
    if (problem) throw new ConfigError(`Неверная настройка BACKUP_SCHEDULE: ${problem}`)
  }
  const keepProblem = keepRulesProblem(e.BACKUP_KEEP)
  if (keepProblem) throw new ConfigError(`Неверная настройка BACKUP_KEEP: ${keepProblem}`)
  return {
    dir: path.resolve(e.BACKUP_DIR ?? path.join(dataDir, 'backups')),
    schedule: off ? null : schedule,
    keep: e.BACKUP_KEEP,
    ...(passphrase !== undefined ? { passphrase } : {}),
    ...(e.PG_BIN_DIR ? { pgBinDir: path.resolve(e.PG_BIN_DIR) } : {}),
  }
}

/**
 * A key from the environment or from a file (a root-owned 0400 file, a systemd credential), so that it
 * need not live in DATA_DIR beside the database it protects. One trailing newline is not part of it.
 */
function keyFrom(name: string, value: string | undefined, file: string | undefined): string | undefined {
  if (value !== undefined && file !== undefined) throw new ConfigError(`Задайте что-то одно: ${name} или ${name}_FILE`)
  if (file === undefined) return value
  let key: string
  try {
    key = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
  } catch {
    throw new ConfigError(`${name}_FILE: файл ${file} не читается`)
  }
  if (key.length < 32) throw new ConfigError(`${name}_FILE: ключ в файле ${file} короче 32 символов`)
  return key
}

/**
 * Someone who can read DATA_DIR (a copy of the disk, a backup of the folder) can then re-sign the whole
 * journal. In production the key belongs elsewhere; said once at start, without the key itself.
 */
export function auditKeyWarning(config: Pick<Config, 'auditKeySource' | 'production' | 'dataDir'>): string | undefined {
  if (!config.production || config.auditKeySource !== 'generated') return undefined
  return `the audit journal's HMAC key is the one generated into ${path.join(config.dataDir, 'secrets.json')}: anyone who reads the data folder can re-sign the journal; set AUDIT_HMAC_KEY or AUDIT_HMAC_KEY_FILE outside DATA_DIR`
}

/**
 * Roles separated by commas (`curator,admin`, the default), or `none` said outright: an empty value keeps
 * the default rather than quietly turning the second factor off. An unknown role stops the start.
 */
export function parseRequire2fa(text: string): Role[] {
  const items = (text.trim() === '' ? REQUIRE_2FA_DEFAULT : text)
    .split(',')
    .map((r) => r.trim().toLowerCase())
    .filter((r) => r !== '')
  if (items.length === 1 && items[0] === 'none') return []
  for (const item of items) {
    if (!(roles as readonly string[]).includes(item)) {
      throw new ConfigError(
        `Неверная настройка AUTH_REQUIRE_2FA: неизвестная роль ${item} (ожидается none или роли через запятую)`,
      )
    }
  }
  return items as Role[]
}

/** LDAP_*: the URLs, the service account and the group → role map, checked at start rather than at a login. */
function parseLdap(e: z.infer<typeof envSchema>): LdapConfig {
  const urls = (e.LDAP_URL ?? '').split(/\s+/).filter((u) => u !== '')
  for (const url of urls) {
    if (!/^ldaps?:\/\/[^\s/]+\/?$/i.test(url)) throw new ConfigError(`Неверная настройка LDAP_URL: ${url}`)
  }
  if (e.LDAP_BASE_DN.trim() === '') throw new ConfigError('Для входа через LDAP нужен LDAP_BASE_DN')
  if (!e.LDAP_USER_FILTER.includes('{login}')) throw new ConfigError('LDAP_USER_FILTER должен содержать {login}')
  let raw: unknown
  try {
    raw = JSON.parse(e.LDAP_GROUP_ROLES)
  } catch {
    throw new ConfigError('LDAP_GROUP_ROLES: не JSON-объект вида {"<DN группы>": "executor"}')
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('LDAP_GROUP_ROLES: не JSON-объект вида {"<DN группы>": "executor"}')
  }
  const groupRoles: Record<string, Role> = {}
  for (const [dn, role] of Object.entries(raw)) {
    if (!(roles as readonly unknown[]).includes(role)) {
      throw new ConfigError(`LDAP_GROUP_ROLES: неизвестная роль ${String(role)} у группы ${dn}`)
    }
    groupRoles[dn.trim().toLowerCase()] = role as Role
  }
  if (e.LDAP_CA_FILE !== undefined && !existsSync(e.LDAP_CA_FILE)) {
    throw new ConfigError(`LDAP_CA_FILE: файл ${e.LDAP_CA_FILE} не найден`)
  }
  return Object.freeze({
    urls,
    startTls: ['true', '1', 'on'].includes(e.LDAP_STARTTLS),
    ...(e.LDAP_CA_FILE !== undefined ? { caFile: e.LDAP_CA_FILE } : {}),
    bindDn: e.LDAP_BIND_DN,
    bindPassword: e.LDAP_BIND_PASSWORD,
    baseDn: e.LDAP_BASE_DN,
    userFilter: e.LDAP_USER_FILTER,
    groupRoles: Object.freeze(groupRoles),
    timeoutMs: e.LDAP_TIMEOUT_MS,
  })
}

/** TRUST_PROXY: entries separated by commas or spaces, each checked, frozen. */
export function parseTrustProxy(value: string): readonly string[] {
  return parseAddressList('TRUST_PROXY', value)
}

/** A list of addresses, CIDR ranges and `loopback` (TRUST_PROXY, METRICS_ALLOW): commas or spaces, each checked. */
export function parseAddressList(name: string, value: string): readonly string[] {
  const entries = value.split(/[\s,]+/).filter((entry) => entry !== '')
  for (const entry of entries) {
    const problem = trustProxyProblem(entry)
    if (problem) throw new ConfigError(`Неверная настройка ${name}: ${problem}`)
  }
  return Object.freeze(entries)
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
