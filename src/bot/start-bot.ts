import type { Bot } from 'grammy'
import type { Config } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'
import type { UpdateApplier } from './apply-update.ts'
import type { BotContext } from './context.ts'
import { type Poller, startPolling } from './polling.ts'
import { WEBHOOK_PATH, webhookSecretOf } from './webhook.ts'

/**
 * Brings the bot up in the background so that the web never waits for Telegram: getMe (bot.init) is
 * retried with backoff while Telegram is unreachable, then polling starts (or the webhook is set).
 */
export interface StartBotDeps {
  db: Db
  config: Config
  logger: Logger
  bot: Bot<BotContext>
  applier: UpdateApplier
  holder: string
  pollTimeoutSeconds?: number
  /** Retry delays of the start: from `minRetryMs` doubling to `maxRetryMs`. */
  minRetryMs?: number
  maxRetryMs?: number
}

export interface RunningBot {
  /** True once getMe succeeded: updates can be applied. */
  readonly ready: boolean
  stop(): Promise<void>
}

export const botCommands = [
  { command: 'start', description: 'Начать, главное меню' },
  { command: 'new', description: 'Новая заявка' },
  { command: 'my', description: 'Мои заявки' },
  { command: 'duty', description: 'Кто дежурит сейчас' },
  { command: 'help', description: 'Помощь' },
  { command: 'cancel', description: 'Отменить действие' },
  { command: 'login', description: 'Ссылка для входа на сайт' },
  { command: 'revoke', description: 'Отозвать согласие на обработку ПДн' },
]

export function startBot(deps: StartBotDeps): RunningBot {
  const { bot, config } = deps
  const logger = deps.logger.child({ component: 'bot' })
  const minRetryMs = deps.minRetryMs ?? 1000
  const maxRetryMs = deps.maxRetryMs ?? 60_000
  const mode = config.telegram.enabled ? config.telegram.mode : 'polling'
  let stopped = false
  const abort = new AbortController()
  // grammY types the signal as its abort-controller shim's; node-fetch takes Node's own at run time.
  const signal = abort.signal as unknown as Parameters<typeof bot.api.getMe>[0]
  let poller: Poller | undefined
  let timer: NodeJS.Timeout | undefined
  let wake: (() => void) | undefined

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms)
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })

  /** Retries `step` until it succeeds or the bot stops; false when stopped first. */
  const retrying = async (what: string, step: () => Promise<unknown>): Promise<boolean> => {
    let delay = minRetryMs
    while (!stopped) {
      try {
        await step()
        return true
      } catch (error) {
        logger.warn(
          { step: what, retryInMs: delay, error: error instanceof Error ? error.name : 'unknown' },
          'bot start step failed',
        )
        await pause(delay)
        delay = Math.min(maxRetryMs, delay * 2)
      }
    }
    return false
  }

  const starting = (async () => {
    // Not bot.init(): it retries by itself for up to 20 minutes between tries and cannot be stopped.
    const known = await retrying('getMe', async () => {
      bot.botInfo = await bot.api.getMe(signal)
    })
    if (!known) return
    logger.info({ botId: bot.botInfo.id, mode }, 'bot initialised')
    try {
      await bot.api.setMyCommands(botCommands, undefined, signal)
    } catch {
      logger.warn('could not set the command menu')
    }
    if (stopped) return
    if (mode === 'webhook') {
      const url = `${config.baseUrl}${WEBHOOK_PATH}`
      await retrying('setWebhook', () =>
        bot.api.setWebhook(
          url,
          {
            secret_token: webhookSecretOf(config),
            allowed_updates: ['message', 'edited_message', 'callback_query', 'my_chat_member'],
          },
          signal,
        ),
      )
      if (!stopped) logger.info('webhook set')
      return
    }
    poller = startPolling({
      db: deps.db,
      bot,
      logger: deps.logger,
      holder: deps.holder,
      applier: deps.applier,
      ...(deps.pollTimeoutSeconds !== undefined ? { pollTimeoutSeconds: deps.pollTimeoutSeconds } : {}),
    })
  })()

  return {
    get ready() {
      return bot.isInited()
    },
    async stop() {
      stopped = true
      abort.abort()
      wake?.()
      await starting
      await poller?.stop()
    },
  }
}
