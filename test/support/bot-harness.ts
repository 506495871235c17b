import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Api } from 'grammy'
import pino from 'pino'
import { createUpdateApplier, type UpdateApplier } from '#src/bot/apply-update.ts'
import { createBot } from '#src/bot/create-bot.ts'
import { createFileDownloader } from '#src/bot/download-files.ts'
import { type Poller, type PollingDeps, startPolling } from '#src/bot/polling.ts'
import type { Config } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'
import type { NoticeChannel } from '#src/notify/channel.ts'
import { drainOutbox } from '#src/notify/deliver.ts'
import { createTelegramChannel } from '#src/notify/telegram-channel.ts'
import { testConfig } from './api.ts'
import { testDatabase } from './database.ts'
import { type FakeTelegram, startFakeTelegram } from './fake-telegram.ts'

/**
 * The real bot against the fake Telegram Bot API server: updates arrive by long polling (or are applied
 * directly), replies leave through the outbox and T1's Telegram channel, and a test reads what a person
 * sees in the fake's transcript. Nothing of ours is faked.
 */
export interface BotHarness {
  fake: FakeTelegram
  db: Db
  config: Config
  logger: Logger
  /** Every line logged, parsed. */
  logs: Array<Record<string, unknown>>
  channel: NoticeChannel
  /** A new bot instance and applier over the same database (a restart). */
  newBot(): Promise<{ applier: UpdateApplier }>
  applier: UpdateApplier
  /** Starts a poller with this instance's applier (or the given one). */
  poll(options?: Partial<PollingDeps>): Poller
  /** Waits until every update is applied (polled past) and the outbox is delivered. */
  settle(): Promise<void>
  /** Delivers the outbox now, ignoring the rate limits. */
  deliver(): Promise<void>
  close(): Promise<void>
}

export async function botHarness(options: { db?: Db; config?: Partial<Config> } = {}): Promise<BotHarness> {
  const fake = await startFakeTelegram()
  const db = options.db ?? (await testDatabase()).db
  // Files the bot downloads land here (removed by close()).
  const dataDir = await mkdtemp(path.join(tmpdir(), 'helpdesk-bot-'))
  const config = testConfig({
    dataDir,
    telegram: {
      enabled: true,
      token: fake.token,
      mode: 'polling',
      webhookSecret: 'test-webhook-secret',
      apiRoot: fake.apiRoot,
      proxy: undefined,
    },
    ...options.config,
  })
  const logs: Array<Record<string, unknown>> = []
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        logs.push(JSON.parse(line) as Record<string, unknown>)
      },
    },
  )
  const pollers: Poller[] = []
  const newBot = async () => {
    const bot = createBot({ db, config, logger, token: fake.token, apiRoot: fake.apiRoot })
    await bot.init()
    const prepare = createFileDownloader({
      api: bot.api,
      token: fake.token,
      apiRoot: fake.apiRoot,
      dataDir: config.dataDir,
      logger,
      db,
    })
    return { bot, applier: createUpdateApplier({ db, bot, config, logger, prepare }) }
  }
  const first = await newBot()
  const channel = createTelegramChannel({ db, config, logger, api: new Api(fake.token, { apiRoot: fake.apiRoot }) })
  const deliver = async () => {
    for (;;) {
      const result = await drainOutbox(db, [channel], {
        perChatIntervalMs: 0,
        globalPerSecond: 10_000,
        perRecipientPerCall: 1000,
        limit: 1000,
        concurrency: 1,
      })
      if (result.claimed === 0) return
    }
  }
  let current = first
  return {
    fake,
    db,
    config,
    logger,
    logs,
    channel,
    get applier() {
      return current.applier
    },
    async newBot() {
      current = await newBot()
      return current
    },
    poll(extra = {}) {
      const poller = startPolling({
        db,
        bot: current.bot,
        logger,
        holder: `test-${pollers.length + 1}`,
        applier: current.applier,
        pollTimeoutSeconds: 1,
        minBackoffMs: 20,
        maxBackoffMs: 200,
        conflictBackoffMs: 50,
        ...extra,
      })
      pollers.push(poller)
      return poller
    },
    async settle() {
      await fake.waitForConfirmed()
      await deliver()
    },
    deliver,
    async close() {
      for (const poller of pollers.splice(0)) await poller.stop()
      await fake.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
