import { Hono } from 'hono'
import { CONSENT_TEXT_MAX, listConsentTexts, publishConsentText } from '#src/users/consent.ts'
import { attempt, onlyWith, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { requireSession } from './session.ts'
import { ConsentTextsPage } from './views/consent.tsx'

/**
 * /settings/consent — «Согласие на обработку ПДн» (curator, admin; issue 10): the text in force with its
 * version, the history of versions, and «Опубликовать новую версию». Publishing is journaled by the use case.
 */
export function consentTextRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession, onlyWith('consent.manage', 'Согласие на обработку ПДн'))

  routes.get('/', (c) => renderTexts(c, { done: c.req.query('done') }))

  routes.post('/', async (c) => {
    const form = await readForm(c)
    const text = form.text('text', CONSENT_TEXT_MAX + 1) ?? ''
    const refused = await attempt(
      () => publishConsentText(c.get('deps').db, c.get('actor'), { text }),
      (message) => renderTexts(c, { error: message, draft: text }, 422),
    )
    return refused ?? c.redirect('/settings/consent?done=published', 303)
  })

  return routes
}

async function renderTexts(
  c: WebContext,
  extras: { done?: string | undefined; error?: string; draft?: string },
  status: 200 | 422 = 200,
) {
  const { db, config } = c.get('deps')
  const versions = await listConsentTexts(db)
  const ids = [...new Set(versions.flatMap((v) => (v.created_by === null ? [] : [v.created_by])))]
  const authors =
    ids.length === 0
      ? new Map<number, string>()
      : new Map(
          (await db.selectFrom('users').select(['id', 'full_name']).where('id', 'in', ids).execute()).map((u) => [
            u.id,
            u.full_name,
          ]),
        )
  return c.html(
    <ConsentTextsPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      versions={versions}
      authors={authors}
      draft={extras.draft}
      error={extras.error}
      done={extras.done}
      tz={config.tzDisplay}
    />,
    status,
  )
}
