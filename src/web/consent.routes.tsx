import { Hono } from 'hono'
import { deleteCookie } from 'hono/cookie'
import { clientIp, userAgentOf } from '#src/api/request.ts'
import { isDomainError } from '#src/errors.ts'
import { currentConsentText, latestConsent } from '#src/users/consent.ts'
import { logout } from '#src/users/login.ts'
import { renewConsent } from '#src/users/renew-consent.ts'
import { SESSION_COOKIE, sessionCookieOptions } from '#src/users/sessions.ts'
import { withdrawConsent } from '#src/users/withdraw-consent.ts'
import type { WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { requireSession, safeNext } from './session.ts'
import { ConsentPage, ConsentRefusedPage } from './views/consent.tsx'

/**
 * /consent: the person's own consent to the current text (issue 10). requireSession sends here whoever
 * signed in without it (an account made by an admin or on the web, or a newer text since); «Согласен»
 * records it with the browser's address and user agent, «Не согласен» withdraws an older consent (the
 * account goes off, as with the profile's button) or, with none to withdraw, signs the person out.
 */
export function consentRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)

  routes.get('/', (c) => renderConsent(c, safeNext(c.req.query('next'))))

  routes.post('/agree', async (c) => {
    const { db } = c.get('deps')
    const form = await readForm(c)
    const next = safeNext(c.req.query('next'))
    const user = c.get('user')
    try {
      await renewConsent(db, c.get('actor'), {
        userId: user.id,
        consentTextId: form.id('text') ?? 0,
        channel: 'web',
        evidence: { ip: clientIp(c), user_agent: userAgentOf(c) },
      })
    } catch (error) {
      if (!isDomainError(error) || error.code !== 'conflict') throw error
      return renderConsent(c, next, error.message, 409)
    }
    return c.redirect(next, 303)
  })

  routes.post('/refuse', async (c) => {
    const { db, config } = c.get('deps')
    const user = c.get('user')
    const latest = await latestConsent(db, user.id)
    if (latest?.status === 'given') {
      // Refusing a newer text is withdrawing the consent given to the older one (its sessions end with it).
      await withdrawConsent(db, c.get('actor'), {
        userId: user.id,
        evidence: { ip: clientIp(c), user_agent: userAgentOf(c), refused_text_id: (await readForm(c)).id('text') },
      })
    } else {
      await logout(db, c.get('actor'), c.get('sessionToken'))
    }
    deleteCookie(c, SESSION_COOKIE, sessionCookieOptions(config.baseUrl))
    return c.html(<ConsentRefusedPage />)
  })

  return routes
}

async function renderConsent(c: WebContext, next: string, error?: string, status: 200 | 409 = 200) {
  const { db, config } = c.get('deps')
  const user = c.get('user')
  const text = await currentConsentText(db)
  const latest = await latestConsent(db, user.id)
  const given = latest?.status === 'given' && latest.consent_text_id === text.id ? { at: latest.created_at } : undefined
  return c.html(
    <ConsentPage
      user={user}
      csrf={c.get('csrf')}
      text={text}
      given={given}
      hadOlder={latest?.status === 'given' && !given}
      next={next}
      error={error}
      tz={config.tzDisplay}
    />,
    status,
  )
}
