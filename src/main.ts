import { randomBytes } from 'node:crypto'
import { Server } from 'node:http'
import { hostname } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { serve as serveHttp } from '@hono/node-server'
import { Api, type Bot } from 'grammy'
import { createApp } from '#src/app.ts'
import { type JournalChainer, startJournalChainer } from '#src/audit/chainer.ts'
import { checkpointFileOf } from '#src/audit/checkpoints.ts'
import { setAuditKey } from '#src/audit/journal.ts'
import { backupSchedule } from '#src/backup/schedule.ts'
import { createUpdateApplier, type UpdateApplier } from '#src/bot/apply-update.ts'
import type { BotContext } from '#src/bot/context.ts'
import { createBot } from '#src/bot/create-bot.ts'
import { createFileDownloader } from '#src/bot/download-files.ts'
import { botHousekeeping } from '#src/bot/housekeeping.ts'
import { type RunningBot, startBot } from '#src/bot/start-bot.ts'
import { auditKeyWarning, type Config } from '#src/config.ts'
import { migrateDatabase } from '#src/db/app-role.ts'
import { secureDataDir } from '#src/db/data-dir-permissions.ts'
import { openDatabase } from '#src/db/database.ts'
import { closeReadOnlyDb, openReadOnlyDb } from '#src/db/read-only.ts'
import type { Db } from '#src/db/schema.ts'
import {
  auditCheckpointSchedule,
  defaultSchedules,
  duePlansSchedule,
  fileSweepSchedule,
  statsDailySchedule,
} from '#src/jobs/schedules.ts'
import { startWorker, type Worker, type WorkerDeps } from '#src/jobs/worker.ts'
import { createLogger, type Logger } from '#src/logger.ts'
import { createMaxChannel } from '#src/max/max-channel.ts'
import type { MaxUpdate } from '#src/max/max-types.ts'
import { maxApiOf, type RunningMaxBot, startMaxBot } from '#src/max/start-max.ts'
import type { NoticeChannel } from '#src/notify/channel.ts'
import { createLoggingChannel } from '#src/notify/logging-channel.ts'
import { createTelegramChannel, telegramClientOptions } from '#src/notify/telegram-channel.ts'
import { LdapDirectory } from '#src/users/ldap-directory.ts'
import { useDirectory } from '#src/users/login.ts'
import { stopLiveUpdates } from '#src/web/live-updates.ts'
import { TICKET_EXPORT_JOB, ticketExportJob, ticketExportSweepSchedule } from '#src/web/ticket-export-job.ts'

/**
 * The process: open the database, migrate it, serve HTTP, run the worker; stop gracefully on
 * SIGTERM/SIGINT. Returns a handle so that tests (and the CLI) can stop it themselves.
 */

export interface ServeOptions {
  /** Stop on SIGTERM/SIGINT (default). Tests that start several servers turn it off. */
  handleSignals?: boolean
  /** How long open connections (live updates, keep-alive) may hold the stop up. */
  shutdownGraceMs?: number
}

export interface Running {
  /** Where the server listens, with the actual port (PORT=0 picks a free one). */
  url: string
  db: Db
  stop(): Promise<void>
}

export const FIRST_ADMIN_HINT = 'Создайте первого администратора: npx helpdesk users create-admin --login admin'

export async function serve(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
  options: ServeOptions = {},
): Promise<Running> {
  // Before the database opens: its files (and the WAL, backups, uploads) are created private.
  secureDataDir(config.dataDir, config.database, logger)
  // A serving process checkpoints SQLite's WAL in a thread, never in a request's COMMIT.
  const db = openDatabase(config.database, { checkpointThread: true })
  // Reports, the journal and exports read here: on SQLite in threads (nothing on the event loop), opened on first use.
  const readDb = openReadOnlyDb(config.database, db)
  let worker: Worker | undefined
  let server: Server | undefined
  let runningBot: RunningBot | undefined
  let maxBot: RunningMaxBot | undefined
  let chainer: JournalChainer | undefined
  try {
    // Several instances may start at once: Kysely's migration lock lets one migrate, the others wait.
    // MIGRATION_DATABASE_URL: the journal's owner migrates; this process's role owns nothing.
    const applied = await migrateDatabase(db, config)
    for (const m of applied) logger.info({ migration: m.migrationName, status: m.status }, 'migration')
    setAuditKey(config.auditKey)
    chainer = startJournalChainer(db, logger)
    useDirectory(config.ldap ? new LdapDirectory(config.ldap) : undefined)
    if (config.ldap) logger.info({ urls: config.ldap.urls }, 'LDAP sign-in on')
    const keyWarning = auditKeyWarning(config)
    if (keyWarning) logger.warn(keyWarning)
    // Backups hold every person's data: unencrypted, a copied backup file is the whole database.
    if (config.backup && config.backup.passphrase === undefined) {
      logger.warn(
        { backupDir: config.backup.dir },
        'backups are NOT encrypted: set BACKUP_PASSPHRASE or BACKUP_KEY_FILE (age, passphrase) before backups leave this server',
      )
    }

    // The bot (TELEGRAM_BOT_TOKEN set) exists before the app, which mounts its webhook in webhook mode.
    const telegram = telegramBot(db, config, logger, () => worker?.wake())
    const app = createApp(
      {
        db,
        readDb,
        config,
        logger,
        ...(telegram
          ? { botUsername: () => (telegram.bot.isInited() ? telegram.bot.botInfo.username : undefined) }
          : {}),
        ...(config.max?.enabled ? { maxBotUsername: () => maxBot?.username } : {}),
      },
      {
        ...(telegram ? { telegram: { applier: telegram.applier, ready: () => telegram.bot.isInited() } } : {}),
        // The MAX bot starts once the server listens; its webhook answers 503 (MAX retries) until it is ready.
        ...(config.max?.enabled
          ? {
              max: {
                applier: { apply: (update: MaxUpdate) => requireMaxBot(maxBot).applier.apply(update) },
                ready: () => maxBot?.ready ?? false,
              },
            }
          : {}),
      },
    )
    server = await listen(app.fetch, config)
    server.on('error', (error) => logger.error({ err: error }, 'http server error'))
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : config.port
    const url = `http://${hostForUrl(config.host)}:${port}`

    const backups = backupSchedule(config, logger)
    if (config.workerEnabled)
      worker = startWorker({
        db,
        config,
        logger,
        channels: noticeChannels(db, config, logger),
        // Exports too big for their request (issue 13), read on the read-only handle as the streamed ones are.
        handlers: { [TICKET_EXPORT_JOB]: ticketExportJob(readDb) },
        schedules: [
          ...defaultSchedules,
          ...botHousekeeping,
          auditCheckpointSchedule(checkpointFileOf(config)),
          fileSweepSchedule(config.dataDir),
          ticketExportSweepSchedule(config.dataDir),
          statsDailySchedule(config.tzDisplay, readDb),
          duePlansSchedule(config.tzDisplay),
          ...(backups ? [backups] : []),
        ],
        outbox: outboxOptions(config),
      })
    // In the background: while Telegram is unreachable the bot keeps trying and the web works meanwhile.
    if (telegram) runningBot = startBot({ db, config, logger, ...telegram, holder: instanceName() })
    maxBot = startMaxBot({ db, config, logger, holder: instanceName(), onCommitted: () => worker?.wake() })
    logger.info({ url, database: config.database.kind, worker: config.workerEnabled }, 'helpdesk is up')
    if (!(await hasAdmin(db))) logger.warn(FIRST_ADMIN_HINT)
    // BENCH_LOOP_LAG=1 (bench/api-bench.ts): on SIGUSR2 a JSON line on stderr gives the event loop's delay
    // since the previous signal, measured in here; off by default.
    if (process.env.BENCH_LOOP_LAG === '1') {
      const lag = monitorEventLoopDelay({ resolution: 10 })
      lag.enable()
      process.on('SIGUSR2', () => {
        process.stderr.write(
          `${JSON.stringify({ loopLagMs: { max: lag.max / 1e6, p99: lag.percentile(99) / 1e6 } })}\n`,
        )
        lag.reset()
      })
    }

    let stopping: Promise<void> | undefined
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping')
      void stop().catch((error: unknown) => {
        logger.error({ err: error }, 'stop failed')
        process.exitCode = 1
      })
    }
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        process.off('SIGTERM', onSignal)
        process.off('SIGINT', onSignal)
        await runningBot?.stop()
        await maxBot?.stop()
        // Live-update streams never end by themselves: end them first, so the server can close.
        await stopLiveUpdates(db)
        if (server) await closeServer(server, options.shutdownGraceMs ?? 10_000)
        await worker?.stop()
        // A backup under way finishes (and is recorded) before the database closes under it.
        await backups?.idle()
        await chainer?.stop()
        await closeReadOnlyDb(readDb, db)
        await db.destroy()
        logger.info('stopped')
      })()
      return stopping
    }
    if (options.handleSignals !== false) {
      process.once('SIGTERM', onSignal)
      process.once('SIGINT', onSignal)
    }
    return { url, db, stop }
  } catch (error) {
    // Leave nothing open behind a failed start, so the process can exit with the error.
    await runningBot?.stop()
    await maxBot?.stop()
    if (server) await closeServer(server, 0)
    await worker?.stop()
    await chainer?.stop()
    await closeReadOnlyDb(readDb, db)
    await db.destroy()
    throw error
  }
}

function listen(fetch: (request: Request) => Response | Promise<Response>, config: Config): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serveHttp({ fetch, hostname: config.host, port: config.port })
    if (!(server instanceof Server)) {
      reject(new Error('expected an HTTP/1.1 server'))
      return
    }
    server.once('error', reject)
    server.once('listening', () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}

/** Stops accepting, lets requests in progress finish, cuts idle keep-alives at once and the rest after the grace. */
function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve()
      return
    }
    const force = setTimeout(() => server.closeAllConnections(), graceMs)
    server.close(() => {
      clearTimeout(force)
      resolve()
    })
    server.closeIdleConnections()
  })
}

/**
 * Notices go to Telegram when its bot token is set (otherwise its rows go to the log; the web works either way), and
 * to MAX when MAX_BOT_TOKEN is set.
 */
function noticeChannels(db: Db, config: Config, logger: Logger): NoticeChannel[] {
  const telegram = config.telegram.enabled
    ? createTelegramChannel({
        db,
        config,
        logger,
        api: new Api(config.telegram.token, telegramClientOptions(config.telegram)),
      })
    : createLoggingChannel(logger)
  if (!config.max?.enabled) return [telegram]
  return [telegram, createMaxChannel({ db, config, logger, api: maxApiOf(config.max) })]
}

function requireMaxBot(bot: RunningMaxBot | undefined): RunningMaxBot {
  if (!bot) throw new Error('the MAX bot is not started')
  return bot
}

/**
 * The sender gives a hung send up when the Bot API client does (TELEGRAM_TIMEOUT_SECONDS), not later;
 * retries wait NOTICE_RETRY_SECONDS, doubling.
 */
function outboxOptions(config: Config): WorkerDeps['outbox'] {
  const timeoutSeconds = config.telegram.enabled ? config.telegram.timeoutSeconds : undefined
  return {
    ...(timeoutSeconds !== undefined ? { sendTimeoutMs: timeoutSeconds * 1000 } : {}),
    ...(config.noticeRetryMs !== undefined ? { retryBaseMs: config.noticeRetryMs } : {}),
  }
}

/** The Telegram bot and its update applier, when a token is set. */
function telegramBot(
  db: Db,
  config: Config,
  logger: Logger,
  onCommitted: () => void,
): { bot: Bot<BotContext>; applier: UpdateApplier } | undefined {
  if (!config.telegram.enabled) return undefined
  const client = telegramClientOptions(config.telegram)
  const bot = createBot({
    db,
    config,
    logger,
    token: config.telegram.token,
    apiRoot: client.apiRoot,
    fetchAgent: client.baseFetchConfig?.agent,
  })
  // Files of messages are downloaded before each update's transaction opens (download-files.ts).
  const prepare = createFileDownloader({
    api: bot.api,
    token: config.telegram.token,
    apiRoot: client.apiRoot,
    agent: client.baseFetchConfig?.agent,
    dataDir: config.dataDir,
    logger,
    db,
  })
  return { bot, applier: createUpdateApplier({ db, bot, config, logger, onCommitted, prepare }) }
}

function instanceName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

async function hasAdmin(db: Db): Promise<boolean> {
  const admin = await db
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('status', '=', 'active')
    .executeTakeFirst()
  return admin !== undefined
}
