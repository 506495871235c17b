import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '#src/api/env.ts'
import { WEBHOOK_PATH } from '#src/bot/webhook.ts'
import { inLanguage, t } from './i18n.ts'
import { refusedPage } from './pages.tsx'
import { MAX_UPLOAD_BYTES } from './ticket-files.routes.tsx'
import { visitorOf } from './web.tsx'

/**
 * The size of what a web form may send, checked before anything parses it — the login form included, so
 * that nobody can make the server hold 200 MB before it knows who is asking (issue 8, item 3).
 *
 * hono's bodyLimit trusts Content-Length when there is one (Node's HTTP parser never passes on more bytes
 * than it declares) and refuses at once; a chunked body (no Content-Length) is counted as it streams and
 * refused as soon as it passes the limit, having held at most the limit in memory. What the client still
 * sends after the 413 is drained and dropped by @hono/node-server, never buffered.
 */

/** A form of fields (the longest is a 10 000-character description, up to 4 bytes each in UTF-8 and %-encoded). */
export const FORM_BODY_LIMIT = 64 * 1024

/**
 * The forms that carry files: a new ticket, a message on a ticket, an import file (issue 11, checked by the route:
 * 10 MB), and an article of the knowledge base with its pictures (issue 14: `/kb`, `/kb/<id>`).
 */
const UPLOAD_ROUTE = /^\/(tickets\/(new|[^/]+\/messages)|users\/import\/preview|kb(\/[^/]+)?)$/

/** Issue 10: a consent's scan (10 MB, checked by the route), and a consent text (50 000 characters, %-encoded). */
const CONSENT_ROUTE = /^\/(users\/[^/]+\/consent\/(paper|withdraw)|settings\/consent)$/

/** The web's answer when a body is over its limit: a page in the person's language (if signed in). */
async function tooLarge(c: Context<AppEnv>, upload: boolean): Promise<Response> {
  const { user, csrf, language } = await visitorOf(c)
  return inLanguage(language, () =>
    c.html(
      refusedPage(
        upload
          ? t(
              'Файлы слишком большие: не больше 20 МБ каждый и 50 МБ вместе. Вернитесь назад и выберите файлы поменьше.',
            )
          : t('Запрос слишком большой. Вернитесь назад и сократите текст.'),
        user,
        csrf,
      ),
      413,
    ),
  )
}

const formLimit = bodyLimit({ maxSize: FORM_BODY_LIMIT, onError: (c) => tooLarge(c, false) })
const uploadLimit = bodyLimit({ maxSize: MAX_UPLOAD_BYTES, onError: (c) => tooLarge(c, true) })

/**
 * Every web request with a body goes through one of the two limits, before the session check (which reads
 * the form for its CSRF token). The API has its own limit with a JSON refusal, and so has the webhook.
 */
export const webBodyLimit = createMiddleware<AppEnv>(async (c, next) => {
  const method = c.req.method
  const path = c.req.path
  if (method === 'GET' || method === 'HEAD' || path.startsWith('/api/') || path === WEBHOOK_PATH) return next()
  return (UPLOAD_ROUTE.test(path) || CONSENT_ROUTE.test(path) ? uploadLimit : formLimit)(c, next)
})
