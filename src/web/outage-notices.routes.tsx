import { Hono } from 'hono'
import { DomainError } from '#src/errors.ts'
import { outageNoticesOn, setOutageNotices } from '#src/outages/set-outage-notices.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { requireSession } from './session.ts'
import { OutageNoticesPage } from './views/outages.tsx'

/** /profile/outage-notices: the person's own «Не присылать такие объявления», on the web (issue 14). */
export function outageNoticeRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)

  routes.get('/', async (c) => {
    const userId = c.get('actor').id
    if (userId === null) throw new DomainError('not_found', 'Страница не найдена')
    const on = await outageNoticesOn(c.get('deps').db, userId)
    return c.html(
      <OutageNoticesPage user={c.get('user')} csrf={c.get('csrf')} on={on} saved={c.req.query('done') === 'saved'} />,
    )
  })

  routes.post('/', async (c) => {
    const form = await readForm(c)
    await setOutageNotices(c.get('deps').db, c.get('actor'), { on: form.text('on') === '1' })
    return c.redirect('/profile/outage-notices?done=saved', 303)
  })

  return routes
}
