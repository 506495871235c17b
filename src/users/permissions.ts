import type { TicketStatus } from '#src/db/schema.ts'
import type { Actor } from './actor.ts'

/**
 * Every permission of PRODUCT.md §1 in one place. Object rules ("own ticket") are here too;
 * state rules ("only a `new` ticket can be taken") belong to the ticket rules, not to permissions.
 */
export type Action =
  | 'ticket.create'
  | 'ticket.create_on_behalf'
  | 'ticket.view'
  | 'ticket.view_internal'
  | 'ticket.take'
  | 'ticket.assign'
  | 'ticket.message'
  | 'ticket.note'
  | 'ticket.update'
  | 'ticket.set_status'
  | 'ticket.cancel'
  | 'ticket.confirm'
  | 'ticket.reopen'
  | 'ticket.reopen_closed'
  | 'ticket.rate'
  /** «Согласование»: approve or reject a ticket awaiting one's decision (the department's head; no head: curators). */
  | 'ticket.approve'
  | 'category.manage'
  | 'department.manage'
  | 'group.manage'
  | 'registration.decide'
  | 'consent.manage'
  | 'report.view_all'
  | 'report.view_own'
  | 'user.view'
  | 'user.create'
  | 'user.manage'
  | 'audit.view'
  /** Moving the journal's rows past their retention to a signed archive file (admin). */
  | 'audit.archive'
  | 'settings.manage'
  | 'backup.manage'
  | 'pdn.destroy'
  | 'pdn.access_list'
  /** A person's requests under 152-ФЗ ст. 14, 20, 21, their access answer, blocking their data (admin). */
  | 'subject_request.manage'
  /** Saved views of the ticket list: keep one's own, see the shared ones (IT staff). */
  | 'saved_view.manage'
  /** Saved views shared with all IT staff: share, rename, reorder, delete (curator, admin). */
  | 'saved_view.share'
  /** Canned responses («Шаблоны ответов»): use them, and keep one's own (IT staff). */
  | 'macro.use'
  /** Canned responses shared with a group or with all IT staff: create, edit, remove (curator, admin). */
  | 'macro.manage_shared'
  /** «Оборудование»: see the registry, add and edit devices, link tickets to them, print stickers (IT staff). */
  | 'equipment.use'
  /** «Оборудование»: write a device off, import the accounting export (curator, admin). */
  | 'equipment.manage'
  /** «База знаний»: write, edit and remove articles, insert them into replies (IT staff). */
  | 'article.manage'
  /** «База знаний»: read internal articles too (IT staff); public ones are everyone's. */
  | 'article.view_internal'
  /** «Плановые работы»: see the plans, their runs and tickets (IT staff). */
  | 'plan.view'
  /** «Плановые работы»: create, edit, pause, run now (curator, admin). */
  | 'plan.manage'
  /** «Плановые работы»: a schedule in raw cron rather than one of the presets (admin). */
  | 'plan.raw_cron'
  /** «Дежурства»: see the roster (IT staff). */
  | 'duty.view'
  /** «Дежурства»: add, change, swap, delete and import shifts (curator, admin). */
  | 'duty.manage'
  /** «Массовые сбои»: see the outages, their children and recipients (IT staff). */
  | 'outage.view'
  /** «Массовый сбой»: declare one on a ticket, and end it (IT staff). */
  | 'outage.manage'

/** The parts of a ticket that permissions look at. */
export interface TicketSubject {
  requester_id: number
  status: TicketStatus
  /**
   * A ticket awaiting approval: the head who decides on it, null when the curators do (src/approvals fills it in;
   * absent, nobody but an admin may decide).
   */
  approver_id?: number | null
}

const staff = (actor: Actor) => actor.role === 'executor' || actor.role === 'curator'
const own = (actor: Actor, ticket: TicketSubject | undefined) =>
  ticket !== undefined && ticket.requester_id === actor.id

const rules: Record<Action, (actor: Actor, ticket: TicketSubject | undefined) => boolean> = {
  'ticket.create': () => true,
  'ticket.create_on_behalf': staff,
  'ticket.view': (a, t) => staff(a) || own(a, t),
  'ticket.view_internal': staff,
  'ticket.take': staff,
  'ticket.assign': (a) => a.role === 'curator',
  'ticket.message': (a, t) => staff(a) || own(a, t),
  'ticket.note': staff,
  'ticket.update': staff,
  'ticket.set_status': staff,
  'ticket.cancel': (a, t) => staff(a) || (own(a, t) && (t?.status === 'new' || t?.status === 'approval')),
  'ticket.confirm': (a, t) => staff(a) || own(a, t),
  'ticket.reopen': (a, t) => staff(a) || own(a, t),
  'ticket.reopen_closed': (a) => a.role === 'curator',
  'ticket.rate': own,
  'ticket.approve': (a, t) =>
    t?.status === 'approval' &&
    t.approver_id !== undefined &&
    (t.approver_id === null ? a.role === 'curator' : t.approver_id === a.id),
  'category.manage': (a) => a.role === 'curator',
  'department.manage': (a) => a.role === 'curator',
  'group.manage': (a) => a.role === 'curator',
  'registration.decide': (a) => a.role === 'curator',
  /** Publishing a new consent text (COMPLIANCE.md §1: curators and admins). */
  'consent.manage': (a) => a.role === 'curator',
  'report.view_all': (a) => a.role === 'curator',
  'report.view_own': staff,
  'user.view': staff,
  'user.create': () => false,
  'user.manage': () => false,
  'audit.view': () => false,
  'audit.archive': () => false,
  'settings.manage': () => false,
  'backup.manage': () => false,
  'pdn.destroy': () => false,
  /** «Перечень лиц, имеющих доступ к ПДн» (ПП № 1119 п. 13): the admin's document. */
  'pdn.access_list': () => false,
  'subject_request.manage': () => false,
  'saved_view.manage': staff,
  'saved_view.share': (a) => a.role === 'curator',
  'macro.use': staff,
  'macro.manage_shared': (a) => a.role === 'curator',
  'equipment.use': staff,
  'equipment.manage': (a) => a.role === 'curator',
  'article.manage': staff,
  'article.view_internal': staff,
  'plan.view': staff,
  'plan.manage': (a) => a.role === 'curator',
  'plan.raw_cron': () => false,
  'duty.view': staff,
  'duty.manage': (a) => a.role === 'curator',
  'outage.view': staff,
  'outage.manage': staff,
}

/**
 * May this actor do this (to this ticket)? Only active accounts act; an admin may do everything
 * except rate someone else's ticket; the system actor (jobs, CLI bootstrap) is trusted.
 */
export function can(actor: Actor, action: Action, ticket?: TicketSubject): boolean {
  if (actor.role === 'system') return true
  if (actor.status !== 'active') return false
  if (actor.role === 'admin') return action === 'ticket.rate' ? own(actor, ticket) : true
  return rules[action](actor, ticket)
}

export const actions = Object.keys(rules) as Action[]
