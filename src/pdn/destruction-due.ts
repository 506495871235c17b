import { sql } from 'kysely'
import { audit } from '#src/audit/journal.ts'
import type { Db, Tx, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { getSetting } from '#src/settings/settings.ts'
import { type Actor, systemActor } from '#src/users/actor.ts'

/**
 * «К уничтожению» (COMPLIANCE.md §3, issue 10): whose data falls due for destruction, why, and by when.
 * Computed from the data each time (withdrawn consents, deactivations, rejections, closed tickets, against
 * the retention settings), plus the destructions asked for outright: a destruction request registered under
 * «Запросы субъектов» (`subject_requests`, not refused) and `destruction_queue` (queueDestruction). Nothing here destroys anything: an admin approves each destruction (destroy-subject.ts).
 */

export const dueReasons = [
  'consent_withdrawn',
  'retention_deactivated',
  'retention_closed_tickets',
  'rejected',
  'request',
] as const
export type DueReason = (typeof dueReasons)[number]

/** Russian labels of the reasons, as the list and the act print them. */
export const dueReasonLabels: Record<DueReason, string> = {
  consent_withdrawn: 'Отзыв согласия на обработку персональных данных',
  retention_deactivated: 'Истёк срок хранения после отключения учётной записи',
  retention_closed_tickets: 'Истёк срок хранения заявок после их закрытия',
  rejected: 'Истёк срок хранения отклонённой регистрации',
  request: 'Требование субъекта об уничтожении персональных данных',
}

export interface DueReasonItem {
  reason: DueReason
  /** When the data must be destroyed by (consent, request) or became due (retention). */
  dueAt: string
  /** A few words without personal data, for a queued request. */
  note: string | null
}

export interface DueSubject {
  userId: number
  reasons: DueReasonItem[]
  /** The earliest of the reasons' dates. */
  dueAt: string
}

const DAY_MS = 24 * 60 * 60_000

function plusDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString()
}

function plusYears(iso: string, years: number): string {
  const d = new Date(iso)
  d.setUTCFullYear(d.getUTCFullYear() + years)
  return d.toISOString()
}

/**
 * Everyone whose data is due, oldest due first. A withdrawn consent and a request appear at once with
 * their deadline; the retention reasons appear once their period has ended. People already destroyed
 * never appear.
 */
export async function listDueForDestruction(db: Tx, at: string = now()): Promise<DueSubject[]> {
  const withdrawnDays = await getSetting(db, 'retention.withdrawn_consent_days')
  const deactivatedYears = await getSetting(db, 'retention.deactivated_users_years')
  const closedYears = await getSetting(db, 'retention.closed_tickets_years')
  const rejectedDays = await getSetting(db, 'retention.rejected_registrations_days')
  const found = new Map<number, DueReasonItem[]>()
  const add = (userId: number, item: DueReasonItem) => {
    const list = found.get(userId) ?? []
    list.push(item)
    found.set(userId, list)
  }

  // The latest consent record of each person says «withdrawn» (a later agreement would cancel it).
  const withdrawn = await db
    .selectFrom('consent_records as r')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .select(['r.user_id', 'r.created_at'])
    .where('r.status', '=', 'withdrawn')
    .where('u.pseudonymised_at', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('consent_records as later')
            .select(sql`1`.as('one'))
            .whereRef('later.user_id', '=', 'r.user_id')
            .whereRef('later.id', '>', 'r.id'),
        ),
      ),
    )
    .execute()
  for (const row of withdrawn) {
    if (row.user_id === null) continue
    add(row.user_id, { reason: 'consent_withdrawn', dueAt: plusDays(row.created_at, withdrawnDays), note: null })
  }

  // Deactivated people: their own period after deactivation, and the period of the tickets they filed.
  const deactivated = await db
    .selectFrom('users')
    .select(['id', 'deactivated_at', 'updated_at'])
    .where('status', '=', 'deactivated')
    .where('pseudonymised_at', 'is', null)
    .execute()
  const lastClosed = await lastTicketEnds(
    db,
    deactivated.map((u) => u.id),
  )
  for (const user of deactivated) {
    const ownEnd = plusYears(user.deactivated_at ?? user.updated_at, deactivatedYears)
    const tickets = lastClosed.get(user.id)
    if (tickets === 'open') continue
    const ticketsEnd = tickets === undefined ? null : plusYears(tickets, closedYears)
    const item: DueReasonItem =
      ticketsEnd !== null && ticketsEnd > ownEnd
        ? { reason: 'retention_closed_tickets', dueAt: ticketsEnd, note: null }
        : { reason: 'retention_deactivated', dueAt: ownEnd, note: null }
    if (item.dueAt <= at) add(user.id, item)
  }

  // Rejected registrations: the rejection is the last change of the row.
  const rejected = await db
    .selectFrom('users')
    .select(['id', 'updated_at'])
    .where('status', '=', 'rejected')
    .where('pseudonymised_at', 'is', null)
    .execute()
  for (const user of rejected) {
    const dueAt = plusDays(user.updated_at, rejectedDays)
    if (dueAt <= at) add(user.id, { reason: 'rejected', dueAt, note: null })
  }

  // A destruction request registered under «Запросы субъектов» and not refused: due by its legal deadline.
  const requested = await db
    .selectFrom('subject_requests as r')
    .innerJoin('users as u', 'u.id', 'r.subject_id')
    .select(['r.id', 'r.subject_id', 'r.due_on'])
    .where('r.kind', '=', 'destruction')
    .where('r.status', '<>', 'refused')
    .where('u.pseudonymised_at', 'is', null)
    .orderBy('r.id')
    .execute()
  for (const row of requested) {
    add(row.subject_id, {
      reason: 'request',
      dueAt: new Date(`${row.due_on}T00:00:00Z`).toISOString(),
      note: `запрос № ${row.id}`,
    })
  }
  const fromRequests = new Set(requested.map((r) => r.id))

  const queued = await db
    .selectFrom('destruction_queue as q')
    .innerJoin('users as u', 'u.id', 'q.user_id')
    .select(['q.user_id', 'q.due_at', 'q.note', 'q.request_id'])
    .where('q.done_at', 'is', null)
    .where('u.pseudonymised_at', 'is', null)
    .orderBy('q.id')
    .execute()
  for (const row of queued) {
    if (row.request_id !== null && fromRequests.has(row.request_id)) continue
    add(row.user_id, { reason: 'request', dueAt: row.due_at, note: row.note })
  }

  return [...found.entries()]
    .map(([userId, reasons]) => {
      const sorted = reasons.sort((a, b) => a.dueAt.localeCompare(b.dueAt))
      return { userId, reasons: sorted, dueAt: sorted[0]?.dueAt ?? at }
    })
    .sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.userId - b.userId)
}

/** The end of each person's filed tickets: the latest closing or cancelling, or `open` while one is not. */
async function lastTicketEnds(db: Tx, userIds: readonly number[]): Promise<Map<number, string | 'open'>> {
  const ends = new Map<number, string | 'open'>()
  for (let i = 0; i < userIds.length; i += 500) {
    const rows = await db
      .selectFrom('tickets')
      .select(['requester_id', 'status', 'closed_at', 'cancelled_at', 'updated_at'])
      .where('requester_id', 'in', userIds.slice(i, i + 500))
      .execute()
    for (const t of rows) {
      const previous = ends.get(t.requester_id)
      if (previous === 'open') continue
      if (t.status !== 'closed' && t.status !== 'cancelled') {
        ends.set(t.requester_id, 'open')
        continue
      }
      const end = t.closed_at ?? t.cancelled_at ?? t.updated_at
      if (previous === undefined || end > previous) ends.set(t.requester_id, end)
    }
  }
  return ends
}

export interface QueueDestructionInput {
  userId: number
  /** A few words without personal data: «Запрос субъекта № 12». */
  reason: string
  /** The subject request this comes from (subject_requests.id). */
  requestId?: number | null
  /** The deadline; now when not given. */
  dueAt?: string
}

/**
 * Puts a person on «К уничтожению» because they asked for it (ст. 21): R's subject requests call this in
 * their own transaction. Journaled; a person already destroyed is refused. Returns the queue row's id.
 */
export async function queueDestruction(tx: Tx, actor: Actor, input: QueueDestructionInput): Promise<number> {
  const user = await tx
    .selectFrom('users')
    .select(['id', 'pseudonymised_at'])
    .where('id', '=', input.userId)
    .executeTakeFirst()
  if (!user) throw new DomainError('not_found', 'Пользователь не найден')
  if (user.pseudonymised_at !== null) {
    throw new DomainError('conflict', 'Данные этого человека уже уничтожены')
  }
  const at = now()
  const note = input.reason.trim().slice(0, 300) || null
  const row = await tx
    .insertInto('destruction_queue')
    .values({
      user_id: user.id,
      reason: 'request',
      note,
      request_id: input.requestId ?? null,
      due_at: input.dueAt ?? at,
      created_at: at,
      created_by: actor.id,
      done_at: null,
      act_id: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await audit(tx, actor, {
    action: 'pdn.destruction_queue',
    objectType: 'user',
    objectId: user.id,
    subjectId: user.id,
    pdn: true,
    description: `Пользователь № ${user.id} поставлен в очередь на уничтожение ПДн`,
    details: { queueId: row.id, requestId: input.requestId ?? null },
  })
  return row.id
}

/**
 * The daily job: what fell due is computed and, when there is anything, one journal row names the people
 * (ids only) so that the list is on record; admins see it under «К уничтожению». Returns how many.
 */
export async function recordDueDestructions(db: Db): Promise<number> {
  const due = await listDueForDestruction(db)
  const fallen = due.filter((d) => d.dueAt <= now())
  if (fallen.length === 0) return 0
  await audit(db, systemActor(), {
    action: 'pdn.destruction_due',
    objectType: 'user',
    pdn: true,
    description: `К уничтожению: ${fallen.length}`,
    details: { ids: fallen.map((d) => d.userId).slice(0, 1000) },
  })
  return fallen.length
}

/** The people on the list, their rows (for names on the page). */
export async function dueUsers(db: Tx, due: readonly DueSubject[]): Promise<Map<number, User>> {
  if (due.length === 0) return new Map()
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where(
      'id',
      'in',
      due.map((d) => d.userId),
    )
    .execute()
  return new Map(rows.map((u) => [u.id, u]))
}
