import { Hono } from 'hono'
import type { FC } from 'hono/jsx'
import QRCode from 'qrcode'
import type { AppDeps } from '#src/api/env.ts'
import type { Db, User } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { issueTelegramLink, TELEGRAM_LINK_PREFIX } from '#src/users/telegram-link.ts'
import { attempt, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { requireSession } from './session.ts'
import type { TelegramLinkViewProps } from './views/telegram-link.tsx'

/**
 * /profile/<messenger> (issue 9, issue 15): a one-time code that links a chat of that messenger to one's account, as
 * the bot's deep link (`link_<code>` as the start payload) with its QR, or the command `/start link_<code>` when the
 * bot's name is not known; and unlinking. The code is the same for every messenger (users/telegram-link.ts): the
 * chat it arrives from is the one linked.
 */
export interface MessengerLinkOptions {
  /** The bot's deep link carrying this code (`link_<code>`), or null when the bot's name is not known. */
  linkOf(deps: AppDeps, code: string): string | null
  unlink(db: Db, actor: Actor): Promise<User>
  /** The profile's notice after unlinking (`/profile?done=…`). */
  unlinked: string
  Page: FC<TelegramLinkViewProps>
}

export function messengerLinkRoutes(options: MessengerLinkOptions): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)

  const render = async (
    c: WebContext,
    extras: Pick<TelegramLinkViewProps, 'issued' | 'error'>,
    status: 200 | 422 = 200,
  ) => {
    // A code on the page: never cached.
    c.header('cache-control', 'no-store')
    const { Page } = options
    return c.html(
      <Page user={c.get('user')} csrf={c.get('csrf')} tz={c.get('deps').config.tzDisplay} {...extras} />,
      status,
    )
  }

  routes.post('/link', async (c) => {
    const deps = c.get('deps')
    let issued: TelegramLinkViewProps['issued']
    const refused = await attempt(
      async () => {
        const { code, expiresAt } = await issueTelegramLink(deps.db, c.get('actor'), {
          secretKey: deps.config.secretKey,
        })
        const link = options.linkOf(deps, code)
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
      () => options.unlink(c.get('deps').db, c.get('actor')),
      (message) => render(c, { error: message }, 422),
    )
    return refused ?? c.redirect(`/profile?done=${options.unlinked}`, 303)
  })
  return routes
}
