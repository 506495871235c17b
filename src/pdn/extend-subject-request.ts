import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { requiredText } from '#src/users/fields.ts'
import { authorizeSubjectRequests } from './authorize-requests.ts'
import { canExtend, EXTENSION_WORKING_DAYS } from './subject-request-rules.ts'
import { requireSubjectRequest, type SubjectRequest } from './subject-request-store.ts'
import { addWorkingDays } from './working-days.ts'

const REASON_MAX = 2000

/**
 * Extends a request's deadline by 5 working days (ст. 14 ч. 3), once, with the reason the person is sent
 * in a reasoned notice. A correction's 7 days cannot be extended.
 */
export async function extendSubjectRequest(
  db: Db,
  actor: Actor,
  input: { requestId: number; reason: string },
): Promise<SubjectRequest> {
  await authorizeSubjectRequests(db, actor, 'subject_request.extend', input.requestId)
  const reason = requiredText(input.reason, {
    label: 'Причина продления',
    max: REASON_MAX,
    empty: 'Укажите причину продления срока',
  })
  return transact(db, async (tx) => {
    const request = await requireSubjectRequest(tx, input.requestId)
    if (!canExtend(request)) throw new DomainError('invalid_transition', 'Срок этого запроса продлить нельзя')
    const due = addWorkingDays(request.due_on, EXTENSION_WORKING_DAYS)
    const extended = await tx
      .updateTable('subject_requests')
      // A new deadline deserves its own reminder.
      .set({ due_on: due, extended_reason: reason, reminded_at: null, updated_at: now() })
      .where('id', '=', request.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'subject_request.extend',
      objectType: 'subject_request',
      objectId: request.id,
      subjectId: request.subject_id,
      pdn: true,
      description: `Срок ответа на запрос субъекта № ${request.id} продлён на ${EXTENSION_WORKING_DAYS} рабочих дней`,
      details: { from: request.due_on, to: due },
    })
    return extended
  })
}
