import { describe, expect, test } from 'vitest'
import { type Role, type TicketStatus, ticketStatuses, type UserStatus } from '#src/db/schema.ts'
import { type Actor, systemActor } from './actor.ts'
import { type Action, actions, can, type TicketSubject } from './permissions.ts'

/**
 * The permission table of PRODUCT.md §1, written out by hand — never computed from permissions.ts.
 *   yes      — allowed, for any ticket (or none)
 *   no       — refused
 *   own      — only on the actor's own ticket (they are its requester)
 *   own_new  — only on the actor's own ticket while it is `new` («cancel own while new») or awaiting approval
 * State rules that hold for everyone (only a resolved ticket can be confirmed) belong to the ticket
 * rules, not to permissions; «cancel» is here because staff may cancel in other states.
 * Admin may do everything, except rate a ticket that is not theirs (the rating is the requester's).
 */
type Cell = 'yes' | 'no' | 'own' | 'own_new'
type Row = Record<Role, Cell>

const table: Record<Action, Row> = {
  'ticket.create': { requester: 'yes', executor: 'yes', curator: 'yes', admin: 'yes' },
  'ticket.create_on_behalf': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'ticket.view': { requester: 'own', executor: 'yes', curator: 'yes', admin: 'yes' },
  'ticket.view_internal': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'ticket.take': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'ticket.assign': { requester: 'no', executor: 'no', curator: 'yes', admin: 'yes' },
  'ticket.message': { requester: 'own', executor: 'yes', curator: 'yes', admin: 'yes' },
  'ticket.note': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'ticket.update': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'ticket.set_status': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'ticket.cancel': { requester: 'own_new', executor: 'yes', curator: 'yes', admin: 'yes' },
  'ticket.confirm': { requester: 'own', executor: 'yes', curator: 'yes', admin: 'yes' },
  'ticket.reopen': { requester: 'own', executor: 'yes', curator: 'yes', admin: 'yes' },
  'ticket.reopen_closed': { requester: 'no', executor: 'no', curator: 'yes', admin: 'yes' },
  'ticket.rate': { requester: 'own', executor: 'own', curator: 'own', admin: 'own' },
  // Decided by the ticket's approver (approver_id, tested below); a subject without one: nobody but an admin.
  'ticket.approve': { requester: 'no', executor: 'no', curator: 'no', admin: 'yes' },
  'category.manage': { requester: 'no', executor: 'no', curator: 'yes', admin: 'yes' },
  'department.manage': { requester: 'no', executor: 'no', curator: 'yes', admin: 'yes' },
  'group.manage': { requester: 'no', executor: 'no', curator: 'yes', admin: 'yes' },
  'registration.decide': { requester: 'no', executor: 'no', curator: 'yes', admin: 'yes' },
  'consent.manage': { requester: 'no', executor: 'no', curator: 'yes', admin: 'yes' },
  'report.view_all': { requester: 'no', executor: 'no', curator: 'yes', admin: 'yes' },
  'report.view_own': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'user.view': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'user.create': { requester: 'no', executor: 'no', curator: 'no', admin: 'yes' },
  'user.manage': { requester: 'no', executor: 'no', curator: 'no', admin: 'yes' },
  'audit.view': { requester: 'no', executor: 'no', curator: 'no', admin: 'yes' },
  'audit.archive': { requester: 'no', executor: 'no', curator: 'no', admin: 'yes' },
  'settings.manage': { requester: 'no', executor: 'no', curator: 'no', admin: 'yes' },
  'backup.manage': { requester: 'no', executor: 'no', curator: 'no', admin: 'yes' },
  'pdn.destroy': { requester: 'no', executor: 'no', curator: 'no', admin: 'yes' },
  'pdn.access_list': { requester: 'no', executor: 'no', curator: 'no', admin: 'yes' },
  'subject_request.manage': { requester: 'no', executor: 'no', curator: 'no', admin: 'yes' },
  'saved_view.manage': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'saved_view.share': { requester: 'no', executor: 'no', curator: 'yes', admin: 'yes' },
  'macro.use': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'macro.manage_shared': { requester: 'no', executor: 'no', curator: 'yes', admin: 'yes' },
  'equipment.use': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'equipment.manage': { requester: 'no', executor: 'no', curator: 'yes', admin: 'yes' },
  'article.manage': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'article.view_internal': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'plan.view': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'plan.manage': { requester: 'no', executor: 'no', curator: 'yes', admin: 'yes' },
  'plan.raw_cron': { requester: 'no', executor: 'no', curator: 'no', admin: 'yes' },
  'duty.view': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'duty.manage': { requester: 'no', executor: 'no', curator: 'yes', admin: 'yes' },
  'outage.view': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
  'outage.manage': { requester: 'no', executor: 'yes', curator: 'yes', admin: 'yes' },
}

const allRoles: readonly Role[] = ['requester', 'executor', 'curator', 'admin']
const allStatuses: readonly UserStatus[] = ['pending', 'active', 'rejected', 'deactivated']
const ACTOR_ID = 10
const SOMEONE_ELSE = 20

type Whose = 'own' | 'foreign' | 'none'

function subject(whose: Whose, status: TicketStatus): TicketSubject | undefined {
  if (whose === 'none') return undefined
  return { requester_id: whose === 'own' ? ACTOR_ID : SOMEONE_ELSE, status }
}

function expected(cell: Cell, userStatus: UserStatus, whose: Whose, ticketStatus: TicketStatus): boolean {
  // A pending, rejected or deactivated account can do nothing at all (PRODUCT.md §1).
  if (userStatus !== 'active') return false
  if (cell === 'yes') return true
  if (cell === 'own') return whose === 'own'
  if (cell === 'own_new') return whose === 'own' && (ticketStatus === 'new' || ticketStatus === 'approval')
  return false
}

function actor(role: Role, status: UserStatus): Actor {
  return { id: ACTOR_ID, role, status, channel: 'web', ip: null }
}

const cases = allRoles.flatMap((role) =>
  allStatuses.flatMap((status) => (Object.keys(table) as Action[]).map((action) => ({ role, status, action }))),
)

describe('can(): the permission table of PRODUCT.md §1', () => {
  test('the table covers exactly the actions permissions.ts knows', () => {
    expect([...actions].sort()).toEqual(Object.keys(table).sort())
  })

  test.each(cases)('$role ($status) → $action', ({ role, status, action }) => {
    const cell = table[action][role]
    for (const whose of ['own', 'foreign', 'none'] as const) {
      for (const ticketStatus of ticketStatuses) {
        const want = expected(cell, status, whose, ticketStatus)
        const got = can(actor(role, status), action, subject(whose, ticketStatus))
        expect({ whose, ticketStatus, allowed: got }).toEqual({ whose, ticketStatus, allowed: want })
      }
    }
  })

  test('the system actor (jobs, CLI bootstrap) may do everything', () => {
    for (const action of Object.keys(table) as Action[]) {
      expect(can(systemActor('cli'), action), action).toBe(true)
    }
  })

  test('a requester may cancel (withdraw) their own ticket only while it is new or awaiting approval', () => {
    const requester = actor('requester', 'active')
    const allowed = ticketStatuses.filter((s) => can(requester, 'ticket.cancel', subject('own', s)))
    expect(allowed).toEqual(['approval', 'new'])
  })

  test('a ticket awaiting approval is decided by its approver, or by the curators when it names none', () => {
    const awaiting = (approver_id: number | null, status: TicketStatus = 'approval'): TicketSubject => ({
      requester_id: SOMEONE_ELSE,
      status,
      approver_id,
    })
    for (const role of ['requester', 'executor', 'curator'] as const) {
      expect(can(actor(role, 'active'), 'ticket.approve', awaiting(ACTOR_ID)), role).toBe(true)
      expect(can(actor(role, 'active'), 'ticket.approve', awaiting(SOMEONE_ELSE)), role).toBe(false)
      expect(can(actor(role, 'active'), 'ticket.approve', awaiting(ACTOR_ID, 'new')), role).toBe(false)
      expect(can(actor(role, 'deactivated'), 'ticket.approve', awaiting(ACTOR_ID)), role).toBe(false)
      expect(can(actor(role, 'active'), 'ticket.approve', awaiting(null)), role).toBe(role === 'curator')
    }
  })
})
