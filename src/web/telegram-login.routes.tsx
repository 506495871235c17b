import { type Context, Hono } from 'hono'
import type { AppEnv } from '#src/api/env.ts'
import { clientIp, userAgentOf } from '#src/api/request.ts'
import { isDomainError } from '#src/errors.ts'
import {
  consumeLoginLink,
  type LinkThrottle,
  LOGIN_LINK_MINUTES,
  LOGIN_LINK_PATH,
  loginLinkProblem,
} from '#src/users/login-links.ts'
import { t } from './i18n.ts'
import { refusedPage } from './pages.tsx'
import { askForCode, checkPreloginForm, csrfFor, preloginCookie, setSignedIn } from './prelogin.ts'
import { LoginCard, LoginPage } from './views/login.tsx'

/**
 * The bot's one-time login link, `/login/telegram/<token>` (PRODUCT.md §4, COMPLIANCE.md §5). Opening the
 * link only shows a «Войти» button: Telegram and other messengers open links to preview them, and a
 * preview must not use the link up. The button posts the form, which signs in. Before the sign-in there
 * is no session, so the form is bound to the pre-login cookie exactly as the password form is.
 */
export function telegramLoginRoutes(throttle?: LinkThrottle): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()

  routes.get('/:token', async (c) => {
    const { db } = c.get('deps')
    const token = c.req.param('token')
    const problem = await loginLinkProblem(db, token)
    if (problem) return loginPageWith(c, problem, 410)
    const pre = preloginCookie(c)
    return c.html(<LinkLoginPage linkToken={token} csrf={csrfFor(c, pre)} />)
  })

  routes.post('/:token', async (c) => {
    const { db } = c.get('deps')
    const checked = checkPreloginForm(c, await c.req.parseBody())
    if (!checked) return c.html(refusedPage(t('Форма входа устарела — откройте ссылку из Telegram заново')), 403)
    try {
      const result = await consumeLoginLink(
        db,
        { token: c.req.param('token'), ip: clientIp(c), userAgent: userAgentOf(c) },
        throttle,
      )
      // The link stands for the password only: an account with TOTP on is asked its code next.
      if (result.codeRequired) return askForCode(c, checked.pre, result.user.id, '/')
      await setSignedIn(c, result)
      return c.redirect('/', 303)
    } catch (error) {
      if (!isDomainError(error)) throw error
      const status = error.code === 'rate_limited' ? 429 : error.code === 'forbidden' ? 403 : 410
      return loginPageWith(c, error.message, status)
    }
  })
  return routes
}

function LinkLoginPage(props: { linkToken: string; csrf: string }) {
  return (
    <LoginCard
      title={t('Вход по ссылке из Telegram')}
      subtitle={t('ИТ-поддержка КГКБСМП')}
      action={`${LOGIN_LINK_PATH}/${props.linkToken}`}
      csrf={props.csrf}
      footnote={<a href="/login">{t('Войти по логину и паролю')}</a>}
    >
      <p>{t('Нажмите «Войти», чтобы открыть сайт службы поддержки под своей учётной записью.')}</p>
      <p class="muted small">
        {t('Ссылка одноразовая и действует {minutes} минут с момента отправки.', { minutes: LOGIN_LINK_MINUTES })}
      </p>
    </LoginCard>
  )
}

/** The password login page with the reason the link did not work (the person may sign in there instead). */
function loginPageWith(c: Context<AppEnv>, message: string, status: 403 | 410 | 429) {
  const token = csrfFor(c, preloginCookie(c))
  return c.html(<LoginPage token={token} next="/tickets" error={message} />, status)
}
