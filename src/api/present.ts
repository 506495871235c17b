import type { AuditRow, Category, Department, User } from '#src/db/schema.ts'
import type { GroupWithMembers } from '#src/groups/group-store.ts'
import type { TicketListItem } from '#src/tickets/ticket-store.ts'
import type { TicketDetail } from '#src/tickets/view-ticket.ts'
import { maskBlocked } from '#src/users/blocking.ts'

/**
 * What the API shows of a row: snake_case, booleans as booleans, and never a secret
 * (password hash, TOTP secret, lockout counters).
 */

export interface UserView {
  id: number
  role: User['role']
  status: User['status']
  full_name: string
  login: string | null
  phone: string | null
  /** From the LDAP directory's `mail`; null for other accounts. */
  email: string | null
  position: string | null
  room: string | null
  department_id: number | null
  telegram_chat_id: string | null
  telegram_username: string | null
  rejection_reason: string | null
  totp_enabled: boolean
  created_at: string
  confirmed_at: string | null
  deactivated_at: string | null
  last_login_at: string | null
}

/** A blocked person's identifying fields (ст. 21) come out as «Данные заблокированы». */
export function presentUser(row: User): UserView {
  const user = maskBlocked(row)
  return {
    id: user.id,
    role: user.role,
    status: user.status,
    full_name: user.full_name,
    login: user.login,
    phone: user.phone,
    email: user.email,
    position: user.position,
    room: user.room,
    department_id: user.department_id,
    telegram_chat_id: user.telegram_chat_id,
    telegram_username: user.telegram_username,
    rejection_reason: user.rejection_reason,
    totp_enabled: Number(user.totp_enabled) === 1,
    created_at: user.created_at,
    confirmed_at: user.confirmed_at,
    deactivated_at: user.deactivated_at,
    last_login_at: user.last_login_at,
  }
}

/** A list row: the ticket's columns, the names a list shows, and whether it is overdue. */
export function presentTicketListItem(item: TicketListItem): TicketListItem {
  return { ...item }
}

export type TicketDetailView = TicketDetail['ticket'] &
  Omit<TicketDetail, 'ticket' | 'events'> & {
    events: Array<Omit<TicketDetail['events'][number], 'details'> & { details: unknown }>
  }

/** The ticket card: the ticket's columns with its people, category, timeline and attachments beside them. */
export function presentTicketDetail(detail: TicketDetail): TicketDetailView {
  const { ticket, events, ...rest } = detail
  return {
    ...ticket,
    ...rest,
    events: events.map((event: TicketDetail['events'][number]) => ({ ...event, details: parseDetails(event.details) })),
  }
}

export interface AuditView extends Omit<AuditRow, 'pdn_related' | 'details'> {
  pdn_related: boolean
  details: unknown
}

export function presentAudit(row: AuditRow): AuditView {
  return { ...row, pdn_related: Number(row.pdn_related) === 1, details: parseDetails(row.details) }
}

function parseDetails(text: string | null): unknown {
  if (text === null) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

export interface DepartmentView extends Omit<Department, 'active'> {
  active: boolean
}

export function presentDepartment(department: Department): DepartmentView {
  return { ...department, active: bool(department.active) }
}

export interface GroupView {
  id: number
  name: string
  description: string | null
  active: boolean
  member_ids: number[]
  created_at: string
  updated_at: string
}

export function presentGroup(group: GroupWithMembers): GroupView {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    active: bool(group.active),
    member_ids: group.memberIds,
    created_at: group.created_at,
    updated_at: group.updated_at,
  }
}

export interface CategoryView extends Omit<Category, 'active' | 'requires_approval'> {
  active: boolean
  requires_approval: boolean
}

export function presentCategory(category: Category): CategoryView {
  return { ...category, active: bool(category.active), requires_approval: bool(category.requires_approval) }
}

/** 0/1 integer columns as booleans. */
export function bool(value: number | boolean): boolean {
  return value === true || Number(value) === 1
}
