import { createHash } from 'node:crypto'
import { categoryWithParentApproval, requiresApproval } from '#src/approvals/approval-store.ts'
import { askForApproval } from '#src/approvals/ask-for-approval.ts'
import { checkFiles, insertAttachments } from '#src/attachments/attach-files.ts'
import type { StoredFile } from '#src/attachments/file-store.ts'
import { checkDefaultGroup } from '#src/categories/category-store.ts'
import type { Db, Priority, Ticket, TicketSource, Tx } from '#src/db/schema.ts'
import { priorities } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { reachColumns } from '#src/notify/chat-key.ts'
import { notifyPeople } from '#src/notify/outbox.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { isUniqueViolation } from '#src/users/unique.ts'
import { ticketDeadlines } from './deadline-terms.ts'
import { limits, priorityLabels, sourceOfChannel, textLength, titleFromDescription } from './rules.ts'
import { auditTicket, journalingDenials, requireText } from './ticket-access.ts'
import { insertIndexedTicket } from './ticket-search.ts'
import { findTicket, groupStaffToTell, recordTicketEvent } from './ticket-store.ts'

export interface CreateTicketInput {
  /** Empty: the first line of the description (the bot files tickets without a title). */
  title?: string
  description: string
  categoryId: number
  /** Default: the category's default priority. */
  priority?: Priority
  /** Filing on behalf of someone else (a phone call) needs `ticket.create_on_behalf`. */
  requesterId?: number
  /** Default: the requester's department. */
  departmentId?: number | null
  /** Default: the requester's room. */
  location?: string | null
  /** Where it was filed, when the actor's channel does not say it (the bot: Telegram or MAX). */
  source?: TicketSource
  /**
   * A repeated request with the same key (per actor) returns the first ticket and creates nothing; the
   * same key with a different request is refused (`idempotency_key_reused`).
   */
  idempotencyKey?: string
  /** Files of the description (photos, documents, an album), already stored (attachments/file-store.ts). */
  attachments?: readonly StoredFile[]
  /**
   * The device it is about (issue 14: filed from its QR sticker): it must exist and not be written off; its
   * department and room are the ticket's unless given.
   */
  equipmentId?: number | null
  /** The executor group it goes to; default: the category's (a plan's tickets go to the plan's group). */
  groupId?: number
}

/** Files a ticket, routes it to the category's group and tells the requester and the group. */
export async function createTicket(db: Db, actor: Actor, input: CreateTicketInput): Promise<Ticket> {
  const requesterId = input.requesterId ?? actor.id
  const key = actor.id === null ? undefined : input.idempotencyKey?.trim() || undefined
  if (key !== undefined && textLength(key) > limits.idempotencyKey) {
    throw new DomainError('validation', 'Слишком длинный ключ идемпотентности')
  }
  const idempotency = key === undefined ? undefined : { key, requestHash: requestHash(actor, input) }
  const attempt = { action: 'ticket.create', ticketId: null, subjectId: requesterId }
  try {
    return await journalingDenials(db, actor, attempt, () =>
      transact(db, (tx) => create(tx, actor, input, idempotency)),
    )
  } catch (error) {
    // A concurrent request with the same key committed first: answer with its ticket.
    if (idempotency !== undefined && actor.id !== null && isUniqueViolation(error)) {
      const first = await ticketByKey(db, actor.id, idempotency)
      if (first) return first
    }
    throw error
  }
}

/**
 * The refusals for lack of rights createTicket would give before it writes anything, journaled as it
 * journals them. The web asks this before it stores a new ticket's files; createTicket checks again.
 */
export async function checkCreateTicket(
  db: Db,
  actor: Actor,
  input: Pick<CreateTicketInput, 'requesterId'>,
): Promise<void> {
  const attempt = { action: 'ticket.create', ticketId: null, subjectId: input.requesterId ?? actor.id }
  await journalingDenials(db, actor, attempt, async () => {
    requireMayCreate(actor)
    requireMayFileFor(actor, input.requesterId)
  })
}

function requireMayCreate(actor: Actor): void {
  if (!can(actor, 'ticket.create')) throw new DomainError('forbidden', 'Нет прав создавать заявки')
}

/** Whose ticket it is: the actor's own, or someone else's when the actor may file for others. */
function requireMayFileFor(actor: Actor, requesterId: number | undefined): number {
  const id = requesterId ?? actor.id
  if (id === null) throw new DomainError('validation', 'Укажите заявителя')
  if (id !== actor.id && !can(actor, 'ticket.create_on_behalf')) {
    throw new DomainError('forbidden', 'Нет прав создавать заявки от имени другого пользователя')
  }
  return id
}

interface Idempotency {
  key: string
  requestHash: string
}

async function create(
  tx: Tx,
  actor: Actor,
  input: CreateTicketInput,
  idempotency: Idempotency | undefined,
): Promise<Ticket> {
  requireMayCreate(actor)
  if (idempotency !== undefined && actor.id !== null) {
    const earlier = await ticketByKey(tx, actor.id, idempotency)
    if (earlier) return earlier
  }
  const requesterId = requireMayFileFor(actor, input.requesterId)

  const description = requireText(input.description, 'Описание', limits.description)
  checkFiles(input.attachments)
  const title = requireText(input.title?.trim() || titleFromDescription(description), 'Тема', limits.title)
  if (input.priority !== undefined && !priorities.includes(input.priority)) {
    throw new DomainError('validation', 'Неизвестный приоритет')
  }
  const requester = await tx
    .selectFrom('users')
    // With the chats a notice reaches them in: the new ticket's notice needs no query of its own.
    .select(['id', 'status', 'department_id', 'room', ...reachColumns])
    .where('id', '=', requesterId)
    .executeTakeFirst()
  if (requester?.status !== 'active') {
    throw new DomainError('validation', 'Заявитель не найден или его учётная запись не активна')
  }
  const category = await categoryWithParentApproval(tx, input.categoryId)
  if (category?.active !== 1) {
    throw new DomainError('validation', 'Категория не найдена или отключена')
  }
  const device = await equipmentOf(tx, input.equipmentId)
  const departmentId =
    input.departmentId === undefined ? (device ? device.department_id : requester.department_id) : input.departmentId
  if (departmentId !== null && departmentId !== requester.department_id) {
    const department = await tx.selectFrom('departments').select('id').where('id', '=', departmentId).executeTakeFirst()
    if (!department) throw new DomainError('validation', 'Отделение не найдено')
  }
  const location =
    input.location === undefined ? (device ? device.room : requester.room) : input.location?.trim() || null
  if (location !== null && textLength(location) > limits.location) {
    throw new DomainError('validation', `Поле «Расположение» длиннее ${limits.location} символов`)
  }

  // A group given (a plan's) must be active, as a category's default group must be: nobody sees a disabled one's.
  if (input.groupId !== undefined) await checkDefaultGroup(tx, input.groupId)
  const groupId = input.groupId ?? category.default_group_id
  const at = now()
  const priority = input.priority ?? category.default_priority
  // Issue 14: an access request waits for the head's approval; its deadlines count from the approval.
  const awaiting = requiresApproval(category)
  const deadlines = awaiting ? null : await ticketDeadlines(tx, at, priority, category)
  const ticket = await insertIndexedTicket(tx, {
    title,
    description,
    category_id: category.id,
    priority,
    status: awaiting ? 'approval' : 'new',
    requester_id: requester.id,
    assignee_id: null,
    group_id: groupId,
    department_id: departmentId,
    location,
    source: input.source ?? sourceOfChannel(actor.channel),
    created_by: actor.id ?? requester.id,
    created_at: at,
    updated_at: at,
    first_response_at: null,
    resolved_at: null,
    closed_at: null,
    cancelled_at: null,
    response_due_at: deadlines?.responseDueAt ?? null,
    resolution_due_at: deadlines?.resolutionDueAt ?? null,
    response_breached_at: null,
    resolution_breached_at: null,
    resolution: null,
    cancel_reason: null,
    rating: null,
    rating_comment: null,
    rated_at: null,
    equipment_id: device?.id ?? null,
  })

  if (idempotency !== undefined && actor.id !== null) {
    await tx
      .insertInto('idempotency_keys')
      .values({
        user_id: actor.id,
        key: idempotency.key,
        ticket_id: ticket.id,
        created_at: at,
        request_hash: idempotency.requestHash,
      })
      .execute()
  }
  const files = input.attachments ?? []
  await insertAttachments(tx, { ticketId: ticket.id, messageId: null, uploaderId: actor.id ?? requester.id, at }, files)
  await recordTicketEvent(tx, { ticketId: ticket.id, actorId: actor.id, kind: 'created', to: ticket.status, at })
  const onBehalf = requester.id !== actor.id
  await auditTicket(
    tx,
    actor,
    ticket,
    'ticket.create',
    onBehalf ? `Создана заявка № ${ticket.id} от имени пользователя ${requester.id}` : `Создана заявка № ${ticket.id}`,
    {
      categoryId: category.id,
      priority,
      priorityLabel: priorityLabels[priority],
      source: ticket.source,
      ...(files.length > 0 ? { attachments: files.length } : {}),
      ...(device ? { equipmentId: device.id } : {}),
      ...(awaiting ? { status: ticket.status } : {}),
    },
  )
  if (awaiting) {
    await askForApproval(tx, actor, ticket)
    return ticket
  }
  // Filed in the chat by the requester: the bot's own confirmation is that notice.
  const toldRequester = !(actor.channel === 'bot' && !onBehalf)
  const staff = groupId === null ? [] : await groupStaffToTell(tx, groupId, actor)
  await notifyPeople(tx, [
    { people: toldRequester ? [requester] : [], notice: { kind: 'ticket_created', ticketId: ticket.id } },
    { people: staff, notice: { kind: 'ticket_new_for_group', ticketId: ticket.id } },
  ])
  return ticket
}

/** The device a new ticket is about (issue 14), if any: one that exists and is not written off. */
async function equipmentOf(tx: Tx, equipmentId: number | null | undefined) {
  if (equipmentId === undefined || equipmentId === null) return undefined
  const device = await tx
    .selectFrom('equipment')
    .select(['id', 'status', 'department_id', 'room'])
    .where('id', '=', equipmentId)
    .executeTakeFirst()
  if (!device) throw new DomainError('validation', 'Оборудование не найдено')
  if (device.status === 'written_off') throw new DomainError('validation', 'Оборудование списано')
  return device
}

/**
 * The ticket an earlier request with this key created, if any. The key sent again with another request
 * is a client's mistake that must not pass for success (IETF draft «The Idempotency-Key HTTP Header
 * Field»: 422). Keys stored before requests were hashed carry no hash and replay as before.
 */
async function ticketByKey(db: Tx, userId: number, idempotency: Idempotency): Promise<Ticket | undefined> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['ticket_id', 'request_hash'])
    .where('user_id', '=', userId)
    .where('key', '=', idempotency.key)
    .executeTakeFirst()
  if (!row) return undefined
  if (row.request_hash !== null && row.request_hash !== idempotency.requestHash) {
    throw new DomainError(
      'idempotency_key_reused',
      'Этот Idempotency-Key уже использован для другого запроса: для новой заявки нужен новый ключ',
    )
  }
  return findTicket(db, row.ticket_id)
}

/**
 * What a key stands for: the request as the use case receives it (method and path are those of filing a
 * ticket), so a retry matches whatever the spacing or field order of its JSON.
 */
function requestHash(actor: Actor, input: CreateTicketInput): string {
  const request = {
    operation: 'ticket.create',
    title: input.title?.trim() || null,
    description: input.description,
    categoryId: input.categoryId,
    priority: input.priority ?? null,
    requesterId: input.requesterId ?? actor.id,
    departmentId: input.departmentId === undefined ? 'default' : input.departmentId,
    location: input.location === undefined ? 'default' : input.location,
    // Only when given, so that the keys of requests from before issue 14 hash as they did.
    ...(input.equipmentId ? { equipmentId: input.equipmentId } : {}),
    attachments: (input.attachments ?? []).map((file) => [file.sha256, file.fileName, file.mimeType]),
  }
  return createHash('sha256').update(JSON.stringify(request)).digest('hex')
}
