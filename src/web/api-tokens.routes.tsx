import { Hono } from 'hono'
import { now } from '#src/db/time.ts'
import { createApiToken, revokeApiToken } from '#src/users/api-tokens.ts'
import { listApiTokens } from '#src/users/list-api-tokens.ts'
import { attempt, FormProblem, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { requireSession } from './session.ts'
import { ApiTokensPage } from './views/api-tokens.tsx'

/** /profile/tokens: one's own API tokens (issue 9): list, issue (shown once), revoke. */
export function apiTokenRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)

  routes.get('/', async (c) => render(c, { done: c.req.query('done') }))

  routes.post('/', async (c) => {
    const form = await readForm(c)
    let token: string | undefined
    const refused = await attempt(
      async () => {
        const user = c.get('user')
        token = (
          await createApiToken(c.get('deps').db, c.get('actor'), {
            userId: user.id,
            name: form.text('name', 200) ?? '',
          })
        ).token
      },
      (message) => render(c, { error: message }, 422),
    )
    if (refused) return refused
    c.header('cache-control', 'no-store')
    return render(c, { created: token })
  })

  routes.post('/revoke', async (c) => {
    const form = await readForm(c)
    const tokenId = form.id('token')
    const refused = await attempt(
      async () => {
        if (tokenId === undefined) throw new FormProblem('Токен не выбран')
        const mine = await listApiTokens(c.get('deps').db, c.get('actor'), { userId: c.get('user').id })
        // Someone else's token is as missing as one that does not exist.
        if (!mine.some((t) => t.id === tokenId)) throw new FormProblem('Токен не найден')
        await revokeApiToken(c.get('deps').db, c.get('actor'), { tokenId })
      },
      (message) => render(c, { error: message }, 422),
    )
    return refused ?? c.redirect('/profile/tokens?done=revoked', 303)
  })
  return routes
}

async function render(
  c: WebContext,
  extras: { created?: string | undefined; done?: string | undefined; error?: string | undefined },
  status: 200 | 422 = 200,
) {
  const { db, config } = c.get('deps')
  const user = c.get('user')
  return c.html(
    <ApiTokensPage
      user={user}
      csrf={c.get('csrf')}
      tokens={await listApiTokens(db, c.get('actor'), { userId: user.id })}
      created={extras.created}
      done={extras.done}
      error={extras.error}
      now={now()}
      tz={config.tzDisplay}
    />,
    status,
  )
}
