import { Hono } from 'hono'
import { z } from 'zod'
import { beginTotp } from '#src/users/begin-totp.ts'
import { confirmTotp } from '#src/users/confirm-totp.ts'
import { disableTotp } from '#src/users/disable-totp.ts'
import { issueTelegramLink, telegramLinkUrl } from '#src/users/telegram-link.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { presentUser } from './present.ts'
import { jsonBody, text } from './validate.ts'

export const totpCodeBody = z.object({ code: text(32).min(1) }).strict()

/** GET /me: the signed-in user's own account. */
export function meRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)
  // One's own profile is not journaled: the subject reading their own data is not a disclosure.
  routes.get('/', (c) => c.json(presentUser(c.get('user'))))

  // TOTP enrolment (issue 9): a pending secret, confirmed by a code, which returns the recovery codes once.
  routes.post('/totp', async (c) => {
    const { db, config } = c.get('deps')
    const enrolment = await beginTotp(db, c.get('actor'), config.secretKey)
    return c.json({ secret: enrolment.secret, otpauth_url: enrolment.otpauthUrl }, 201)
  })
  routes.post('/totp/confirm', async (c) => {
    const { db, config } = c.get('deps')
    const { code } = await jsonBody(c, totpCodeBody)
    const codes = await confirmTotp(db, c.get('actor'), config.secretKey, code)
    return c.json({ recovery_codes: codes })
  })
  routes.delete('/totp', async (c) => {
    const { db, config } = c.get('deps')
    const { code } = await jsonBody(c, totpCodeBody)
    await disableTotp(db, c.get('actor'), { code, secretKey: config.secretKey, requiredRoles: config.require2fa ?? [] })
    return c.body(null, 204)
  })

  // Linking Telegram (issue 9): a one-time code for `/start link_<code>`; the link where the bot's name is known.
  routes.post('/telegram-link', async (c) => {
    const deps = c.get('deps')
    const { code, expiresAt } = await issueTelegramLink(deps.db, c.get('actor'), { secretKey: deps.config.secretKey })
    const bot = deps.config.telegramBotUsername ?? deps.botUsername?.()
    c.header('cache-control', 'no-store')
    return c.json({ code, link: bot ? telegramLinkUrl(bot, code) : null, expires_at: expiresAt }, 201)
  })
  return routes
}
