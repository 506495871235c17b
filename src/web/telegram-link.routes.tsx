import { Hono } from 'hono'
import QRCode from 'qrcode'
import { issueTelegramLink, TELEGRAM_LINK_PREFIX, telegramLinkUrl, unlinkTelegram } from '#src/users/telegram-link.ts'
import { attempt, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { requireSession } from './session.ts'
import { TelegramLinkPage, type TelegramLinkViewProps } from './views/telegram-link.tsx'

/** /profile/telegram: a one-time code that links a Telegram chat to one's account (issue 9), and unlinking. */
export function telegramLinkRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)

  routes.post('/link', async (c) => {
    const deps = c.get('deps')
    let issued: TelegramLinkViewProps['issued']
    const refused = await attempt(
      async () => {
        const { code, expiresAt } = await issueTelegramLink(deps.db, c.get('actor'), {
          secretKey: deps.config.secretKey,
        })
        // TELEGRAM_BOT_USERNAME, else what the bot of this process learnt from getMe; else only the command.
        const bot = deps.config.telegramBotUsername ?? deps.botUsername?.()
        const link = bot ? telegramLinkUrl(bot, code) : null
        // Server-rendered SVG: the code never leaves for a QR service.
        const qrSvg = link ? await QRCode.toString(link, { type: 'svg', margin: 2 }) : null
        issued = { code, expiresAt, command: `/start ${TELEGRAM_LINK_PREFIX}${code}`, link, qrSvg }
      },
      (message) => render(c, { error: message }, 422),
    )
    return refused ?? render(c, { issued })
  })

  routes.post('/unlink', async (c) => {
    const refused = await attempt(
      () => unlinkTelegram(c.get('deps').db, c.get('actor')),
      (message) => render(c, { error: message }, 422),
    )
    return refused ?? c.redirect('/profile?done=telegram_unlinked', 303)
  })
  return routes
}

async function render(c: WebContext, extras: Pick<TelegramLinkViewProps, 'issued' | 'error'>, status: 200 | 422 = 200) {
  // A code on the page: never cached.
  c.header('cache-control', 'no-store')
  return c.html(
    <TelegramLinkPage user={c.get('user')} csrf={c.get('csrf')} tz={c.get('deps').config.tzDisplay} {...extras} />,
    status,
  )
}
