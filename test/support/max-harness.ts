import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import type { UpdateApplier } from '#src/bot/apply-update.ts'
import { createBot } from '#src/bot/create-bot.ts'
import type { Config } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'
import { MaxApi } from '#src/max/max-api.ts'
import { createMaxChannel } from '#src/max/max-channel.ts'
import { createMaxFileDownloader } from '#src/max/max-files.ts'
import { createMaxUpdateApplier } from '#src/max/max-inbox.ts'
import { type MaxPoller, type MaxPollingDeps, startMaxPolling } from '#src/max/max-polling.ts'
import type { MaxUpdate } from '#src/max/max-types.ts'
import { dialoguesBotInfo } from '#src/max/start-max.ts'
import type { NoticeChannel } from '#src/notify/channel.ts'
import { drainOutbox } from '#src/notify/deliver.ts'
import { testConfig } from './api.ts'
import { testDatabase } from './database.ts'
import { type FakeMax, startFakeMax } from './fake-max.ts'

/**
 * The real bot's dialogues against the fake MAX Bot API server (issue 15), as bot-harness.ts does for Telegram:
 * updates arrive by long polling (or are applied directly), pass the MAX inbox and the mapping into the
 * conversation model, replies leave through the outbox's MAX channel, and a test reads what a person sees in the
 * fake's transcript. Nothing of ours is faked.
 */
export interface MaxHarness {
  fake: FakeMax
  db: Db
  config: Config
  logger: Logger
  logs: Array<Record<string, unknown>>
  channel: NoticeChannel
  applier: UpdateApplier<MaxUpdate>
  /** A new applier (and dialogues) over the same database: a restart. */
  newBot(): Promise<{ applier: UpdateApplier<MaxUpdate> }>
  poll(options?: Partial<MaxPollingDeps>): MaxPoller
  /** Waits until every update is applied (passed by a marker) and the outbox is delivered. */
  settle(): Promise<void>
  deliver(): Promise<void>
  close(): Promise<void>
}

export async function maxHarness(options: { db?: Db; config?: Partial<Config> } = {}): Promise<MaxHarness> {
  const fake = await startFakeMax()
  const db = options.db ?? (await testDatabase()).db
  const dataDir = await mkdtemp(path.join(tmpdir(), 'helpdesk-max-'))
  const config = testConfig({
    dataDir,
    max: {
      enabled: true,
      token: fake.token,
      mode: 'polling',
      webhookSecret: 'test-max-webhook-secret',
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
  const api = new MaxApi({ token: fake.token, apiRoot: fake.apiRoot })
  const pollers: MaxPoller[] = []
  const newBot = async () => {
    const me = await api.getMe()
    const bot = createBot({
      db,
      config,
      logger,
      token: 'max-dialogues',
      botInfo: dialoguesBotInfo(me),
    })
    const prepare = createMaxFileDownloader({ api, dataDir, logger, db })
    return { applier: createMaxUpdateApplier({ db, bot, api, config, logger, prepare }) }
  }
  let current = await newBot()
  const channel = createMaxChannel({ db, config, logger, api })
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
      const poller = startMaxPolling({
        db,
        api,
        logger,
        holder: `max-test-${pollers.length + 1}`,
        applier: current.applier,
        pollTimeoutSeconds: 1,
        minBackoffMs: 20,
        maxBackoffMs: 200,
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
