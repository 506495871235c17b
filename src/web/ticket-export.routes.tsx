import { open } from 'node:fs/promises'
import { Readable } from 'node:stream'
import type { Context } from 'hono'
import { Hono } from 'hono'
import { readDbOf } from '#src/api/env.ts'
import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import { DomainError } from '#src/errors.ts'
import { isStaff } from '#src/tickets/rules.ts'
import type { WebEnv } from './env.ts'
import {
  countExported,
  EXPORT_STREAM_LIMIT,
  type ExportFormat,
  type ExportSource,
  exportFileName,
  exportFilter,
  exportTypes,
  journalExport,
  ticketCsv,
  ticketXlsx,
} from './ticket-export.ts'
import { findTicketExport, queueTicketExport, type TicketExport } from './ticket-export-job.ts'
import { contentDisposition } from './ticket-files.routes.tsx'
import { listHref, parseListQuery } from './ticket-query.ts'
import { TicketExportPage } from './views/ticket-export.tsx'

type WebContext = Context<WebEnv>

/** How often the page of an export being made reloads itself. */
const REFRESH_SECONDS = 3

/**
 * Under /tickets (its session check): the list's exports, `export.csv` and `export.xlsx`, with the list's
 * filters; and a background export's page and file, `exports/:token`, for the person who asked for it.
 */
export function ticketExportRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()

  routes.get('/export.csv', (c) => exportList(c, 'csv'))
  routes.get('/export.xlsx', (c) => exportList(c, 'xlsx'))

  routes.get('/exports/:token', async (c) => {
    const { config } = c.get('deps')
    const token = c.req.param('token')
    const found = await ownExport(c, token)
    // Reloaded by the browser itself while the file is made: no script, and the page works without one.
    if (found.state === 'waiting') c.header('refresh', String(REFRESH_SECONDS))
    c.header('cache-control', 'no-store')
    return c.html(
      <TicketExportPage
        user={c.get('user')}
        csrf={c.get('csrf')}
        state={found.state}
        format={found.format}
        rows={found.rows}
        download={`/tickets/exports/${token}/file`}
        list={listHref(parseListQuery(new URLSearchParams(found.query)))}
        until={found.until}
        tz={config.tzDisplay}
      />,
      found.state === 'gone' ? 410 : 200,
    )
  })

  routes.get('/exports/:token/file', async (c) => {
    const { db } = c.get('deps')
    const token = c.req.param('token')
    const found = await ownExport(c, token)
    // Opened before it is journaled: the sweep may have taken it since the page was shown.
    const handle = found.state === 'ready' ? await open(found.file).catch(() => undefined) : undefined
    if (!handle) return c.redirect(`/tickets/exports/${token}`, 303)
    const size = (await handle.stat()).size
    await audit(db, c.get('actor'), {
      action: 'ticket.export_download',
      objectType: 'ticket_export',
      objectId: found.jobId,
      pdn: true,
      description: `Скачана выгрузка списка заявок в ${found.format.toUpperCase()}: ${found.rows} строк`,
      details: { format: found.format, rows: found.rows },
    })
    c.header('content-type', exportTypes[found.format])
    c.header(
      'content-disposition',
      contentDisposition('attachment', exportFileName(found.format, found.finishedAt ?? undefined)),
    )
    c.header('content-length', String(size))
    c.header('cache-control', 'no-store')
    c.header('x-content-type-options', 'nosniff')
    return c.body(Readable.toWeb(handle.createReadStream()) as ReadableStream<Uint8Array>)
  })

  return routes
}

/**
 * The list's export with its filters, every matching row: streamed in the request up to the limit, the
 * pages read as the download takes them; past it, queued for the background and the person sent to its page.
 */
async function exportList(c: WebContext, format: ExportFormat): Promise<Response> {
  const { db, config } = c.get('deps')
  const actor = c.get('actor')
  const params = new URL(c.req.url).searchParams
  // The pages are read on the read-only handle (threads on SQLite); the export is journaled on the main db.
  const source: ExportSource = {
    reads: readDbOf(c.get('deps')),
    actor,
    filter: exportFilter(params, config.tzDisplay, isStaff(actor)),
    tz: config.tzDisplay,
    failed: (error) => c.get('log').error({ err: error, path: c.req.path }, 'export cut short'),
  }
  const rows = await countExported(source)
  if (rows > (config.exportStreamLimit ?? EXPORT_STREAM_LIMIT)) {
    // The list's own parameters, tidied: what the job parses again, and the page's way back to the list.
    const query = listHref(parseListQuery(params, { staff: isStaff(actor) }), {
      cursor: undefined,
    }).replace(/^\/tickets\??/, '')
    const token = await queueTicketExport(db, actor, { format, query, rows })
    return c.redirect(`/tickets/exports/${token}`, 303)
  }
  await journalExport(db, actor, { format, rows })
  c.header('content-type', exportTypes[format])
  c.header('content-disposition', `attachment; filename="${exportFileName(format)}"`)
  c.header('cache-control', 'no-store')
  return c.body(
    format === 'csv' ? ticketCsv(source) : (Readable.toWeb(ticketXlsx(source)) as ReadableStream<Uint8Array>),
  )
}

/** The person's own background export; anyone else's (or none) is not found, and the attempt journaled. */
async function ownExport(c: WebContext, token: string): Promise<TicketExport> {
  const { db, config } = c.get('deps')
  const actor = c.get('actor')
  const found = await findTicketExport(db, config.dataDir, token)
  if (found && found.ownerId === actor.id) return found
  await auditDenied(db, actor, {
    action: 'ticket.export_download',
    objectType: 'ticket_export',
    objectId: found?.jobId ?? null,
    pdn: true,
    description: found ? 'Отказ: выгрузка списка заявок другого пользователя' : 'Отказ: выгрузки списка заявок нет',
  })
  throw new DomainError('not_found', 'Выгрузка не найдена')
}
