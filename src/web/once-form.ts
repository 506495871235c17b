import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Context, Next } from 'hono'
import { now } from '#src/db/time.ts'
import { isUniqueViolation } from '#src/users/unique.ts'
import type { WebEnv } from './env.ts'
import { t } from './i18n.ts'
import { refusedPage } from './pages.tsx'

/**
 * Forms that create something are sent once (issue 13: a double click on «Отправить заявку» filed two
 * tickets). Such a form carries `ONCE_FIELD`, a token made when the page was rendered (`onceToken`). The first
 * request with it claims the token (a row of `form_submissions`) and, once it has answered with a redirect
 * (the thing was created), keeps where it went; a repeat — the second click, a resend after a lost answer —
 * waits for the first and goes to the same place, creating nothing. A first request that did not create
 * (refused, or it failed) gives the token back: the corrected form may be sent again. The browser's own
 * guard (app.js disables the buttons of a form being sent) is a courtesy: this is the rule.
 */
export const ONCE_FIELD = '_once'

/** How long a repeat waits for the first request's answer before it says the form is being sent. */
const WAIT_MS = 15_000
const POLL_MS = 50

/** A new token for a form of a page. */
export function onceToken(): string {
  return randomUUID()
}

const TOKEN = /^[0-9a-f-]{36}$/

/** Runs the request once per token (see above); a request without a token runs as it is. */
export async function submitOnce(c: Context<WebEnv>, userId: number, next: Next): Promise<Response | undefined> {
  const token = await givenOnceToken(c)
  if (token === undefined) {
    await next()
    return undefined
  }
  const { db } = c.get('deps')
  const mine = { user_id: userId, token }
  for (const deadline = Date.now() + WAIT_MS; ; ) {
    try {
      await db
        .insertInto('form_submissions')
        .values({ ...mine, location: null, created_at: now() })
        .execute()
      break
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
    }
    // Sent before: where it went, once the first request has answered.
    const first = await db
      .selectFrom('form_submissions')
      .select('location')
      .where('user_id', '=', userId)
      .where('token', '=', token)
      .executeTakeFirst()
    if (first?.location) return c.redirect(first.location, 303)
    if (first && Date.now() > deadline) {
      const refusal = t('Форма уже отправлена и ещё обрабатывается: обновите страницу через минуту')
      return c.html(refusedPage(refusal, c.get('user'), c.get('csrf')), 409)
    }
    // Under way (wait), or given back by a first request that created nothing (claim it again).
    if (first) await sleep(POLL_MS)
  }
  let location: string | null = null
  try {
    await next()
    const status = c.res.status
    if (status >= 300 && status < 400) location = c.res.headers.get('location')
  } finally {
    if (location) {
      await db
        .updateTable('form_submissions')
        .set({ location })
        .where('user_id', '=', userId)
        .where('token', '=', token)
        .execute()
    } else {
      await db.deleteFrom('form_submissions').where('user_id', '=', userId).where('token', '=', token).execute()
    }
  }
  return undefined
}

async function givenOnceToken(c: Context): Promise<string | undefined> {
  if (c.req.method !== 'POST') return undefined
  const type = c.req.header('content-type') ?? ''
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return undefined
  const value = (await c.req.parseBody())[ONCE_FIELD]
  return typeof value === 'string' && TOKEN.test(value) ? value : undefined
}
