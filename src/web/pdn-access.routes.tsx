import { Hono } from 'hono'
import { renderInThread } from '#src/documents/pdf-thread.ts'
import { accessList } from '#src/pdn/access-list.ts'
import { accessListXlsx } from '#src/pdn/access-list-documents.ts'
import { getSetting } from '#src/settings/settings.ts'
import { XLSX_TYPE } from '#src/stats/workbook.ts'
import { onlyWith, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { requireSession } from './session.ts'
import { AccessListPage, PdnHubPage } from './views/pdn.tsx'

/** /pdn (admin): the hub of the pages about personal data, which the navigation's «ПДн» opens. */
export function pdnHubRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('settings.manage', 'Персональные данные'))
  routes.get('/', (c) => c.html(<PdnHubPage user={c.get('user')} csrf={c.get('csrf')} />))
  return routes
}

/**
 * /pdn/access-list (admin): «Перечень лиц, имеющих доступ к ПДн» on the page, as PDF to sign and as XLSX;
 * each reading journaled by the use case.
 */
export function accessListRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('pdn.access_list', 'Перечень лиц, имеющих доступ к ПДн'))

  routes.get('/', async (c) => {
    const { db, config } = c.get('deps')
    const list = await accessList(db, c.get('actor'))
    return c.html(<AccessListPage user={c.get('user')} csrf={c.get('csrf')} list={list} tz={config.tzDisplay} />)
  })

  routes.get('/export.pdf', async (c) => {
    const { db, config } = c.get('deps')
    const list = await accessList(db, c.get('actor'), 'pdf')
    // Drawn off the event loop: laying out a page of Cyrillic holds it for hundreds of milliseconds.
    const pdf = await renderInThread(new URL('../pdn/access-list-documents.ts', import.meta.url), 'accessListPdf', [
      list,
      await getSetting(db, 'org.requisites'),
      config.tzDisplay,
    ])
    download(c, 'application/pdf', list.generatedAt, 'pdf')
    return c.body(new Uint8Array(pdf))
  })

  routes.get('/export.xlsx', async (c) => {
    const { db, config } = c.get('deps')
    const list = await accessList(db, c.get('actor'), 'xlsx')
    download(c, XLSX_TYPE, list.generatedAt, 'xlsx')
    return c.body(new Uint8Array(await accessListXlsx(list, config.tzDisplay)))
  })

  return routes
}

function download(c: WebContext, type: string, at: string, extension: string) {
  c.header('content-type', type)
  c.header('content-disposition', `attachment; filename="pdn-access-list-${at.slice(0, 10)}.${extension}"`)
  c.header('cache-control', 'no-store')
}
