import { createHmac } from 'node:crypto'
import type { Agent } from 'node:http'
import type { Bot } from 'grammy'
import type { UserFromGetMe } from 'grammy/types'
import type { Context } from 'hono'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { SocksProxyAgent } from 'socks-proxy-agent'
import type { UpdateApplier } from '#src/bot/apply-update.ts'
import type { BotContext } from '#src/bot/context.ts'
import { createBot } from '#src/bot/create-bot.ts'
import { botCommands } from '#src/bot/start-bot.ts'
import type { Config, MaxConfig } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'
import { MaxApi, MaxApiError, webhookSecretMatches } from './max-api.ts'
import { createMaxFileDownloader } from './max-files.ts'
import { createMaxUpdateApplier } from './max-inbox.ts'
import { MAX_SERVED_TYPES, type MaxPoller, startMaxPolling } from './max-polling.ts'
import type { MaxBotInfo, MaxUpdate } from './max-types.ts'

/**
 * The MAX bot of this process (issue 15): the same dialogues as Telegram's (src/bot/create-bot.ts), fed MAX's
 * updates through the mapping into the conversation model (max-conversation.ts). Brought up in the background so
 * that the web never waits for MAX: GET /me is retried with backoff, then the command hints are set and either the
 * webhook subscribed (MAX_MODE=webhook, `${BASE_URL}/max/webhook`) or long polling started.
 */

export const MAX_WEBHOOK_PATH = '/max/webhook'

type EnabledMax = Extract<MaxConfig, { enabled: true }>

export interface MaxBot {
  readonly api: MaxApi
  readonly bot: Bot<BotContext>
  readonly applier: UpdateApplier<MaxUpdate>
  /** The bot's MAX name once known (deep links); undefined before GET /me succeeded. */
  readonly username: string | undefined
  readonly ready: boolean
}

export interface RunningMaxBot extends MaxBot {
  stop(): Promise<void>
}

export function maxApiOf(max: EnabledMax, timeoutMs?: number): MaxApi {
  const agent = max.proxy ? proxyAgent(max.proxy) : undefined
  return new MaxApi({
    token: max.token,
    ...(max.apiRoot ? { apiRoot: max.apiRoot } : {}),
    ...(agent ? { agent } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  })
}

/** MAX_WEBHOOK_SECRET, or one derived from the instance's secret key (MAX allows 5–256 of [A-Za-z0-9_-]). */
export function maxWebhookSecretOf(config: Config): string {
  if (config.max?.enabled && config.max.webhookSecret) return config.max.webhookSecret
  return createHmac('sha256', config.secretKey).update('max-webhook-secret').digest('hex')
}

export interface StartMaxDeps {
  db: Db
  config: Config
  logger: Logger
  holder: string
  onCommitted?: () => void
  /** Seconds MAX holds a long poll (tests: 1). */
  pollTimeoutSeconds?: number
  minRetryMs?: number
  maxRetryMs?: number
  /** Polling's backoff (tests: short). */
  minBackoffMs?: number
  maxBackoffMs?: number
}

/** The MAX bot, its applier and its start; undefined without MAX_BOT_TOKEN. */
export function startMaxBot(deps: StartMaxDeps): RunningMaxBot | undefined {
  const { db, config } = deps
  if (!config.max?.enabled) return undefined
  const max = config.max
  const logger = deps.logger.child({ component: 'max-bot' })
  const api = maxApiOf(max)
  // The dialogues never call a messenger's API themselves (replies are outbox rows): this grammY bot is their
  // router only; its token is never used.
  const bot = createBot({ db, config, logger: deps.logger, token: 'max-dialogues' })
  const prepare = createMaxFileDownloader({ api, dataDir: config.dataDir, logger: deps.logger, db })
  const applier = createMaxUpdateApplier({
    db,
    bot,
    api,
    config,
    logger: deps.logger,
    prepare,
    ...(deps.onCommitted ? { onCommitted: deps.onCommitted } : {}),
  })
  const minRetryMs = deps.minRetryMs ?? 1000
  const maxRetryMs = deps.maxRetryMs ?? 60_000
  let me: MaxBotInfo | undefined
  let stopped = false
  let poller: MaxPoller | undefined
  let wake: (() => void) | undefined

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })

  const retrying = async (step: string, run: () => Promise<unknown>): Promise<boolean> => {
    let delay = minRetryMs
    while (!stopped) {
      try {
        await run()
        return true
      } catch (error) {
        logger.warn(
          {
            step,
            retryInMs: delay,
            error: error instanceof Error ? error.name : 'unknown',
            ...(error instanceof MaxApiError ? { status: error.status, code: error.code } : {}),
          },
          'MAX bot start step failed',
        )
        await pause(delay)
        delay = Math.min(maxRetryMs, delay * 2)
      }
    }
    return false
  }

  const starting = (async () => {
    const known = await retrying('getMe', async () => {
      me = await api.getMe()
    })
    if (!known || !me) return
    bot.botInfo = dialoguesBotInfo(me)
    logger.info({ botId: me.user_id, mode: max.mode }, 'MAX bot initialised')
    try {
      await api.setCommands(botCommands.map((c) => ({ name: c.command, description: c.description })))
    } catch {
      logger.warn('could not set the MAX command hints')
    }
    if (stopped) return
    if (max.mode === 'webhook') {
      const url = `${config.baseUrl}${MAX_WEBHOOK_PATH}`
      await retrying('subscribe', () => api.subscribe(url, maxWebhookSecretOf(config), MAX_SERVED_TYPES))
      if (!stopped) logger.info('MAX webhook subscribed')
      return
    }
    poller = startMaxPolling({
      db,
      api,
      logger: deps.logger,
      holder: deps.holder,
      applier,
      ...(deps.pollTimeoutSeconds !== undefined ? { pollTimeoutSeconds: deps.pollTimeoutSeconds } : {}),
      ...(deps.minBackoffMs !== undefined ? { minBackoffMs: deps.minBackoffMs } : {}),
      ...(deps.maxBackoffMs !== undefined ? { maxBackoffMs: deps.maxBackoffMs } : {}),
    })
  })()

  return {
    api,
    bot,
    applier,
    get username() {
      return me?.username ?? undefined
    },
    get ready() {
      return bot.isInited()
    },
    async stop() {
      stopped = true
      wake?.()
      await starting
      await poller?.stop()
    },
  }
}

/** What the dialogues' grammY router is told of its bot: MAX's bot as GET /me describes it. */
export function dialoguesBotInfo(me: MaxBotInfo): UserFromGetMe {
  return {
    id: me.user_id,
    is_bot: true,
    first_name: me.first_name,
    username: me.username ?? 'max_bot',
    can_join_groups: false,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  }
}

/** MAX's webhook body limit: an update is a few KB (a 4 000-character text, a quoted message, attachments). */
export const MAX_WEBHOOK_BODY_LIMIT = 256 * 1024

/**
 * The webhook route (MAX_MODE=webhook): MAX posts each update with our secret in `X-Max-Bot-Api-Secret`, checked in
 * constant time before the body is read. 200 once applied (or recorded as given up); 500 makes MAX deliver it
 * again (60 s, growing), which the inbox makes harmless. MAX unsubscribes a bot whose webhook fails for 8 hours.
 */
export function maxWebhookHandler(deps: {
  applier: UpdateApplier<MaxUpdate>
  secret: string
  ready?: () => boolean
}): (c: Context) => Promise<Response> {
  return async (c) => {
    if (!webhookSecretMatches(c.req.header('X-Max-Bot-Api-Secret'), deps.secret)) return c.text('Unauthorized', 401)
    if (deps.ready && !deps.ready()) return c.text('Not ready', 503)
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      return c.text('Bad Request', 400)
    }
    if (
      typeof body !== 'object' ||
      body === null ||
      typeof (body as { update_type?: unknown }).update_type !== 'string'
    ) {
      return c.text('Bad Request', 400)
    }
    try {
      await deps.applier.apply(body as MaxUpdate)
    } catch {
      // Logged by the applier; MAX delivers the update again.
      return c.text('Retry', 500)
    }
    return c.body(null, 200)
  }
}

function proxyAgent(url: string): Agent {
  if (/^socks/.test(url)) return new SocksProxyAgent(url)
  return new HttpsProxyAgent(url)
}
