import type { Context } from 'hono'
import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { parseId } from '#src/format/ids.ts'
import { linkTickets } from '#src/tickets/link-tickets.ts'
import { mergeTicket } from '#src/tickets/merge-ticket.ts'
import { type LinkRequest, linkRequests } from '#src/tickets/ticket-links-store.ts'
import { unlinkTickets } from '#src/tickets/unlink-tickets.ts'
import { unmergeTicket } from '#src/tickets/unmerge-ticket.ts'
import { attempt, FormProblem } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { t } from './i18n.ts'
import type { TicketForm } from './views/ticket-page.tsx'

type WebContext = Context<WebEnv>

/** A ticket number typed into a form: «№ 12», «12» or « 12 »; undefined when it is none. */
function ticketNumber(value: string | undefined): number | undefined {
  return parseId(value?.trim().replace(/^№\s*/, ''))
}

/** The ticket page again with a refusal beside a form (tickets.routes.tsx's renderTicket). */
export type RenderTicket = (
  c: WebContext,
  ticketId: number,
  extras: { errors?: Partial<Record<TicketForm, string>> },
  status: 422,
) => Promise<Response>

/**
 * The «Связанные заявки» block's forms (issue 13), mounted under /tickets by tickets.routes.tsx (whose session
 * and CSRF checks they pass first): link, unlink, mark as a duplicate (merge), undo a merge. Plain forms with
 * redirects; a refusal shows the ticket page again with the message beside the block (422).
 */
export function ticketLinkRoutes(renderTicket: RenderTicket): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()

  /** Runs a change; back to `to` (PRG), or the page of `ticketId` with the refusal beside the links. */
  const act = async (c: WebContext, ticketId: number, run: () => Promise<unknown>, to = `/tickets/${ticketId}`) => {
    const refused = await attempt(run, (message) => renderTicket(c, ticketId, { errors: { links: message } }, 422), {
      forbiddenBeside: true,
    })
    return refused ?? c.redirect(to, 303)
  }

  routes.post('/:id/links', async (c) => {
    const ticketId = idParam(c)
    const form = await readForm(c)
    const otherId = ticketNumber(form.text('other', 20))
    const kind = linkRequests.find((k): k is LinkRequest => k === form.text('kind', 20))
    return act(c, ticketId, () => {
      if (otherId === undefined) throw new FormProblem(t('Укажите номер заявки'))
      if (kind === undefined) throw new FormProblem(t('Выберите, кем заявка приходится этой'))
      return linkTickets(c.get('deps').db, c.get('actor'), { ticketId, otherId, kind })
    })
  })

  routes.post('/:id/links/:linkId/delete', async (c) => {
    const ticketId = idParam(c)
    const linkId = idParam(c, 'linkId')
    return act(c, ticketId, () => unlinkTickets(c.get('deps').db, c.get('actor'), { ticketId, linkId }))
  })

  routes.post('/:id/merge', async (c) => {
    const ticketId = idParam(c)
    const form = await readForm(c)
    const into = ticketNumber(form.text('into', 20))
    return act(c, ticketId, () => {
      if (into === undefined) throw new FormProblem(t('Укажите номер заявки, дубликатом которой является эта'))
      return mergeTicket(c.get('deps').db, c.get('actor'), { ticketId, intoId: into })
    })
  })

  // From the duplicate's page, the other ticket's page, or the journal: back where the form was.
  routes.post('/:id/unmerge', async (c) => {
    const ticketId = idParam(c)
    const form = await readForm(c)
    const back = form.text('back', 20)
    const backId = parseId(back)
    const to = back === 'audit' ? '/audit' : `/tickets/${backId ?? ticketId}`
    return act(c, ticketId, () => unmergeTicket(c.get('deps').db, c.get('actor'), { ticketId }), to)
  })

  return routes
}
