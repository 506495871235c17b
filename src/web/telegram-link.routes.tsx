import type { Hono } from 'hono'
import { telegramLinkUrl, unlinkTelegram } from '#src/users/telegram-link.ts'
import type { WebEnv } from './env.ts'
import { messengerLinkRoutes } from './messenger-link.routes.tsx'
import { TelegramLinkPage } from './views/telegram-link.tsx'

/** /profile/telegram: a one-time code that links a Telegram chat to one's account (issue 9), and unlinking. */
export function telegramLinkRoutes(): Hono<WebEnv> {
  return messengerLinkRoutes({
    // TELEGRAM_BOT_USERNAME, else what the bot of this process learnt from getMe; else only the command.
    linkOf: (deps, code) => {
      const bot = deps.config.telegramBotUsername ?? deps.botUsername?.()
      return bot ? telegramLinkUrl(bot, code) : null
    },
    unlink: unlinkTelegram,
    unlinked: 'telegram_unlinked',
    Page: TelegramLinkPage,
  })
}
