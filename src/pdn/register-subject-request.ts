import { audit } from '#src/audit/journal.ts'
import {
  type Db,
  type SubjectRequestChannel,
  type SubjectRequestKind,
  subjectRequestChannels,
  subjectRequestKinds,
  type Tx,
} from '#src/db/schema.ts'
import { now, nowDate } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { parseDay } from '#src/format/zone-days.ts'
import type { Actor } from '#src/users/actor.ts'
import { blockInTransaction } from '#src/users/block-user.ts'
import { findUser } from '#src/users/user-store.ts'
import { authorizeSubjectRequests } from './authorize-requests.ts'
import { dueOn } from './subject-request-rules.ts'
import type { SubjectRequest } from './subject-request-store.ts'
import { calendarToday } from './working-days.ts'

export interface RegisterSubjectRequestInput {
  kind: string
  channel: string
  subjectId: number
  /** `YYYY-MM-DD`: the day the request reached the operator (the term counts from it). */
  receivedOn: string
  comment?: string | null
}

export const COMMENT_MAX = 5000

/**
 * Registers a person's request (admin) with its legal deadline in working days. A blocking request blocks
 * the person's data at once (ст. 21 ч. 1: «с момента обращения»), in the same transaction.
 */
export async function registerSubjectRequest(
  db: Db,
  actor: Actor,
  input: RegisterSubjectRequestInput,
): Promise<SubjectRequest> {
  await authorizeSubjectRequests(db, actor, 'subject_request.register')
  const kind = subjectRequestKinds.find((k) => k === input.kind)
  if (!kind) throw new DomainError('validation', 'Выберите вид запроса')
  const channel = subjectRequestChannels.find((c) => c === input.channel)
  if (!channel) throw new DomainError('validation', 'Выберите, как поступил запрос')
  if (!parseDay(input.receivedOn)) throw new DomainError('validation', 'Укажите дату поступления в виде ГГГГ-ММ-ДД')
  if (input.receivedOn > calendarToday(nowDate())) {
    throw new DomainError('validation', 'Дата поступления не может быть позже сегодняшней')
  }
  const comment = input.comment?.trim() || null
  if (comment !== null && comment.length > COMMENT_MAX) {
    throw new DomainError('validation', `Текст запроса — не длиннее ${COMMENT_MAX} символов`)
  }
  return transact(db, (tx) =>
    insertRequest(tx, actor, { kind, channel, subjectId: input.subjectId, receivedOn: input.receivedOn, comment }),
  )
}

async function insertRequest(
  tx: Tx,
  actor: Actor,
  input: {
    kind: SubjectRequestKind
    channel: SubjectRequestChannel
    subjectId: number
    receivedOn: string
    comment: string | null
  },
): Promise<SubjectRequest> {
  const subject = await findUser(tx, input.subjectId)
  if (!subject) throw new DomainError('not_found', 'Пользователь не найден')
  const at = now()
  const request = await tx
    .insertInto('subject_requests')
    .values({
      kind: input.kind,
      channel: input.channel,
      subject_id: subject.id,
      received_on: input.receivedOn,
      comment: input.comment,
      status: 'new',
      due_on: dueOn(input.receivedOn, input.kind),
      extended_reason: null,
      answer: null,
      answered_on: null,
      reminded_at: null,
      created_by: actor.id,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  await audit(tx, actor, {
    action: 'subject_request.register',
    objectType: 'subject_request',
    objectId: request.id,
    subjectId: subject.id,
    pdn: true,
    description: `Зарегистрирован запрос субъекта № ${request.id} (пользователь № ${subject.id})`,
    details: { kind: request.kind, channel: request.channel, receivedOn: request.received_on, dueOn: request.due_on },
  })
  if (input.kind === 'blocking' && subject.blocked_at === null) {
    await blockInTransaction(tx, actor, {
      userId: subject.id,
      reason: `Запрос субъекта № ${request.id}`,
      requestId: request.id,
    })
  }
  return request
}
