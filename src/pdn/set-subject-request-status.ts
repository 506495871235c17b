import { audit } from '#src/audit/journal.ts'
import { type Db, type SubjectRequestStatus, subjectRequestStatuses } from '#src/db/schema.ts'
import { now, nowDate } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { parseDay } from '#src/format/zone-days.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorizeSubjectRequests } from './authorize-requests.ts'
import { openSubjectRequestStatuses } from './subject-request-rules.ts'
import { requireSubjectRequest, type SubjectRequest } from './subject-request-store.ts'
import { calendarToday } from './working-days.ts'

export interface SetSubjectRequestStatusInput {
  requestId: number
  status: string
  /** The answer given (answered) or the reasoned refusal (refused): required for both. */
  answer?: string | null
  /** `YYYY-MM-DD` the answer was sent; today when not given. */
  answeredOn?: string | null
}

const ANSWER_MAX = 20_000

/**
 * Moves a request on: into work, or closed with the answer given (or the reasoned refusal), its text and
 * date recorded. A closed request stays closed: a new one is registered instead.
 */
export async function setSubjectRequestStatus(
  db: Db,
  actor: Actor,
  input: SetSubjectRequestStatusInput,
): Promise<SubjectRequest> {
  await authorizeSubjectRequests(db, actor, 'subject_request.status', input.requestId)
  const status = subjectRequestStatuses.find((s) => s === input.status)
  if (!status || status === 'new') throw new DomainError('validation', 'Выберите состояние запроса')
  const closing = status === 'answered' || status === 'refused'
  const answer = input.answer?.trim() || null
  const today = calendarToday(nowDate())
  const answeredOn = input.answeredOn?.trim() || today
  if (closing) {
    if (answer === null) throw new DomainError('validation', 'Запишите текст ответа')
    if (answer.length > ANSWER_MAX) throw new DomainError('validation', `Ответ — не длиннее ${ANSWER_MAX} символов`)
    if (!parseDay(answeredOn) || answeredOn > today) {
      throw new DomainError('validation', 'Дата ответа — день не позже сегодняшнего, в виде ГГГГ-ММ-ДД')
    }
  }
  return transact(db, async (tx) => {
    const request = await requireSubjectRequest(tx, input.requestId)
    if (!openSubjectRequestStatuses.includes(request.status) || request.status === status) {
      throw new DomainError('invalid_transition', 'Запрос уже закрыт или уже в этом состоянии')
    }
    if (closing && answeredOn < request.received_on) {
      throw new DomainError('validation', 'Дата ответа не может быть раньше даты поступления')
    }
    const updated = await tx
      .updateTable('subject_requests')
      .set({
        status: status as SubjectRequestStatus,
        ...(closing ? { answer, answered_on: answeredOn } : {}),
        updated_at: now(),
      })
      .where('id', '=', request.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'subject_request.status',
      objectType: 'subject_request',
      objectId: request.id,
      subjectId: request.subject_id,
      pdn: true,
      description: `Запрос субъекта № ${request.id}: ${closing ? 'записан ответ' : 'взят в работу'}`,
      details: {
        from: request.status,
        to: status,
        answeredOn: closing ? answeredOn : null,
        late: closing && answeredOn > request.due_on,
      },
    })
    return updated
  })
}
