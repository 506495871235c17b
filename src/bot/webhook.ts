import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import { z } from 'zod'
import type { Config } from '#src/config.ts'
import type { Logger } from '#src/logger.ts'
import type { UpdateApplier } from './apply-update.ts'

/**
 * Webhook mode (TELEGRAM_MODE=webhook; COMPLIANCE.md §6): Telegram posts each update to
 * `${BASE_URL}/telegram/webhook` with the secret in `X-Telegram-Bot-Api-Secret-Token`. The header is
 * checked in constant time before the body is read; then the update is applied (inbox, effects,
 * replies in one transaction) and 200 tells Telegram it is done. A failure answers 500 so that
 * Telegram delivers the update again; the inbox makes that harmless.
 */

export const WEBHOOK_PATH = '/telegram/webhook'
const SECRET_HEADER = 'X-Telegram-Bot-Api-Secret-Token'

/** TELEGRAM_WEBHOOK_SECRET, or one derived from the instance's secret key (Telegram allows [A-Za-z0-9_-]). */
export function webhookSecretOf(config: Config): string {
  if (config.telegram.enabled && config.telegram.webhookSecret) return config.telegram.webhookSecret
  return createHmac('sha256', config.secretKey).update('telegram-webhook-secret').digest('hex')
}

/** Compares secrets in constant time (hashes first, so that lengths differ harmlessly). */
export function secretMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false
  const a = createHash('sha256').update(given, 'utf8').digest()
  const b = createHash('sha256').update(expected, 'utf8').digest()
  return timingSafeEqual(a, b)
}

const updateSchema = z.looseObject({ update_id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) })

export interface WebhookDeps {
  applier: UpdateApplier
  secret: string
  logger: Logger
  /** False until the bot knows itself (getMe): updates are refused with 503 and come again. */
  ready?: () => boolean
}

/** The route's handler, for `app.post(WEBHOOK_PATH, …)`. */
export function telegramWebhookHandler(deps: WebhookDeps): (c: Context) => Promise<Response> {
  return async (c) => {
    if (!secretMatches(c.req.header(SECRET_HEADER), deps.secret)) return c.text('Unauthorized', 401)
    if (deps.ready && !deps.ready()) return c.text('Not ready', 503)
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      return c.text('Bad Request', 400)
    }
    const parsed = updateSchema.safeParse(body)
    if (!parsed.success) return c.text('Bad Request', 400)
    try {
      // grammY's Update type: Telegram's own fields are read by grammY's getters, each optional.
      await deps.applier.apply(parsed.data as Parameters<UpdateApplier['apply']>[0])
    } catch {
      // Logged by the applier; Telegram delivers the update again.
      return c.text('Retry', 500)
    }
    return c.body(null, 200)
  }
}
