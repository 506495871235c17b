import type { Hono } from 'hono'
import { startLink } from '#src/max/max-api.ts'
import { unlinkMax } from '#src/users/max-link.ts'
import { TELEGRAM_LINK_PREFIX } from '#src/users/telegram-link.ts'
import type { WebEnv } from './env.ts'
import { messengerLinkRoutes } from './messenger-link.routes.tsx'
import { MaxLinkPage } from './views/max-link.tsx'

/** /profile/max (issue 15): the code by MAX's deep link `https://max.ru/<bot>?start=link_<code>`, and unlinking. */
export function maxLinkRoutes(): Hono<WebEnv> {
  return messengerLinkRoutes({
    // The name the MAX bot of this process learnt from GET /me; before it has, only the command.
    linkOf: (deps, code) => {
      const bot = deps.maxBotUsername?.()
      return bot ? startLink(bot, `${TELEGRAM_LINK_PREFIX}${code}`) : null
    },
    unlink: unlinkMax,
    unlinked: 'max_unlinked',
    Page: MaxLinkPage,
  })
}
