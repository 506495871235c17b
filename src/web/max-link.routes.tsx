import { Hono } from 'hono'
import QRCode from 'qrcode'
import { startLink } from '#src/max/max-api.ts'
import { unlinkMax } from '#src/users/max-link.ts'
import { issueTelegramLink, TELEGRAM_LINK_PREFIX } from '#src/users/telegram-link.ts'
import { attempt, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { requireSession } from './session.ts'
import { MaxLinkPage } from './views/max-link.tsx'
import type { TelegramLinkViewProps } from './views/telegram-link.tsx'

/**
 * /profile/max (issue 15): Telegram's one-time code (src/users/telegram-link.ts) sent to the MAX bot by its deep
 * link, `https://max.ru/<bot>?start=link_<code>`, which the bot reads as `/start link_<code>`; and unlinking.
 */
export function maxLinkRoutes(): Hono<WebEnv> {
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
        // The name the MAX bot of this process learnt from GET /me; before it has, only the command.
        const bot = deps.maxBotUsername?.()
        const link = bot ? startLink(bot, `${TELEGRAM_LINK_PREFIX}${code}`) : null
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
      () => unlinkMax(c.get('deps').db, c.get('actor')),
      (message) => render(c, { error: message }, 422),
    )
    return refused ?? c.redirect('/profile?done=max_unlinked', 303)
  })
  return routes
}

async function render(c: WebContext, extras: Pick<TelegramLinkViewProps, 'issued' | 'error'>, status: 200 | 422 = 200) {
  // A code on the page: never cached.
  c.header('cache-control', 'no-store')
  return c.html(
    <MaxLinkPage user={c.get('user')} csrf={c.get('csrf')} tz={c.get('deps').config.tzDisplay} {...extras} />,
    status,
  )
}
