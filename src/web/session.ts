import { getCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import { clientIp } from '#src/api/request.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { resolveSession, SESSION_COOKIE } from '#src/users/sessions.ts'
import { enrolmentRequired } from '#src/users/totp.ts'
import { csrfToken, foreignOrigin, givenToken, isSafeMethod, sameToken } from './csrf.ts'
import type { WebEnv } from './env.ts'
import { inLanguage, t } from './i18n.ts'
import { readNavCounts, withNavCounts } from './nav-counts.ts'
import { submitOnce } from './once-form.ts'
import { refusedPage } from './pages.tsx'

/**
 * Every page behind the login: the session cookie names an active user, or a page request goes to
 * /login?next=…; a state change must carry the session's CSRF token and come from our own origin.
 */
export const requireSession = createMiddleware<WebEnv>(async (c, next) => {
  const { db, config } = c.get('deps')
  const token = getCookie(c, SESSION_COOKIE)
  const session = token ? await resolveSession(db, token) : undefined
  if (!session || !token) {
    if (!isSafeMethod(c.req.method)) return c.html(refusedPage(t('Сессия закончилась: войдите снова')), 401)
    const url = new URL(c.req.url)
    const next = `${url.pathname}${url.search}`
    if (c.req.header('hx-request')) {
      c.header('HX-Redirect', `/login?next=${encodeURIComponent(next)}`)
      return c.body(null, 401)
    }
    return c.redirect(`/login?next=${encodeURIComponent(next)}`, 303)
  }
  const csrf = csrfToken(config.secretKey, session.sessionId)
  if (!isSafeMethod(c.req.method)) {
    if (foreignOrigin(c, config.baseUrl) || !sameToken(csrf, await givenToken(c))) {
      // Refused before the request's language scope: the page is rendered in the person's language here.
      const refusal = () =>
        refusedPage(
          t('Запрос отклонён: форма устарела или пришла с чужого сайта. Обновите страницу'),
          session.user,
          csrf,
        )
      return inLanguage(session.user.language, () => c.html(refusal(), 403))
    }
  }
  // AUTH_REQUIRE_2FA: until this person enrols, every page leads to the enrolment (signing out still works).
  if (enrolmentRequired(session.user, config.require2fa) && !/^\/(profile\/2fa(\/.*)?|logout)$/.test(c.req.path)) {
    if (isSafeMethod(c.req.method)) return c.redirect('/profile/2fa', 303)
    return inLanguage(session.user.language, () =>
      c.html(
        refusedPage(
          t('Для Вашей роли обязательна двухфакторная защита: подключите приложение-аутентификатор в профиле'),
          session.user,
          csrf,
        ),
        403,
      ),
    )
  }
  // Issue 10: signed in without consent to the current text — the consent page comes first (after the 2FA
  // enrolment, which has its own pages), and only it, signing out and the consent text stay reachable.
  if (
    session.consentDue &&
    !enrolmentRequired(session.user, config.require2fa) &&
    !/^\/(consent(\/.*)?|logout)$/.test(c.req.path)
  ) {
    if (isSafeMethod(c.req.method)) {
      const url = new URL(c.req.url)
      return c.redirect(`/consent?next=${encodeURIComponent(`${url.pathname}${url.search}`)}`, 303)
    }
    return inLanguage(session.user.language, () =>
      c.html(refusedPage(t('Сначала подтвердите согласие на обработку персональных данных'), session.user, csrf), 403),
    )
  }
  c.set('user', session.user)
  c.set('actor', actorFromUser(session.user, 'web', clientIp(c)))
  c.set('csrf', csrf)
  c.set('sessionToken', token)
  // Only a page has the navigation: what a browser navigates to asks for HTML. Not a form's answer, a fragment
  // htmx swaps in, what app.js fetches (`*/*`), an image's preview, nor a live-update stream; nor a download,
  // which a browser asks for as a page. Nor the pages of a person still being let in (2FA enrolment, consent):
  // the rest, the bell's stream included, leads back to them.
  const admitted = !enrolmentRequired(session.user, config.require2fa) && !session.consentDue
  const page =
    admitted &&
    isSafeMethod(c.req.method) &&
    c.req.header('hx-request') === undefined &&
    (c.req.header('accept') ?? '').includes('text/html') &&
    !/^\/tickets\/[^/]+\/files\//.test(c.req.path)
  const counts = page ? await readNavCounts(db, session.user.role, session.user.id) : undefined
  const run = () => submitOnce(c, session.user.id, next)
  const repeated = await inLanguage(session.user.language, () => (counts ? withNavCounts(counts, run) : run()))
  if (repeated) return repeated
  // What is behind the login shows personal data: on a shared ward PC, «Back» after the sign-out must not
  // bring it back from the browser's cache. A route that chose its own caching (a file) keeps it.
  if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store')
})

/**
 * A `next` that stays on this site, or the ticket list. Only a clean path is kept: printable ASCII (a
 * browser drops tabs and line breaks, so `/\t/evil.example` would be `//evil.example`; CR/LF in Location is
 * a 500), no `//host` or `/\\host`, no backslash at all, no scheme, at most 2 000 characters. Our own
 * `next` (path and query of a URL) is always percent-encoded, so nothing real is lost.
 */
export function safeNext(next: string | undefined): string {
  if (next === undefined || next.length > 2_000 || !/^\/(?![/\\])[\x21-\x5b\x5d-\x7e]*$/.test(next)) return '/tickets'
  // The browser's own reading decides: the path must land on the origin it came from.
  return new URL(next, 'http://helpdesk.invalid').origin === 'http://helpdesk.invalid' ? next : '/tickets'
}
