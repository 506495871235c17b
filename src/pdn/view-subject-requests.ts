import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorizeSubjectRequests } from './authorize-requests.ts'
import {
  findSubjectRequest,
  listRequestDocuments,
  listSubjectRequests,
  type SubjectRequestItem,
} from './subject-request-store.ts'

/** «Запросы субъектов»: every request with the person it is about (a read of ПДн, journaled). */
export async function viewSubjectRequests(db: Db, actor: Actor): Promise<SubjectRequestItem[]> {
  await authorizeSubjectRequests(db, actor, 'subject_request.list')
  const items = await listSubjectRequests(db)
  await audit(db, actor, {
    action: 'subject_request.list',
    objectType: 'subject_request',
    pdn: true,
    description: `Просмотр списка запросов субъектов, записей: ${items.length}`,
  })
  return items
}

export interface SubjectRequestDetail {
  request: SubjectRequestItem
  documents: Awaited<ReturnType<typeof listRequestDocuments>>
  /** Whether the person's data is blocked now. */
  subjectBlocked: boolean
}

/** One request's page (journaled: it shows whose request it is and what they wrote). */
export async function viewSubjectRequest(db: Db, actor: Actor, requestId: number): Promise<SubjectRequestDetail> {
  await authorizeSubjectRequests(db, actor, 'subject_request.view', requestId)
  const request = await findSubjectRequest(db, requestId)
  if (!request) throw new DomainError('not_found', 'Запрос не найден')
  const subject = await db
    .selectFrom('users')
    .select('blocked_at')
    .where('id', '=', request.subject_id)
    .executeTakeFirstOrThrow()
  await audit(db, actor, {
    action: 'subject_request.view',
    objectType: 'subject_request',
    objectId: request.id,
    subjectId: request.subject_id,
    pdn: true,
    description: `Просмотр запроса субъекта № ${request.id}`,
  })
  return { request, documents: await listRequestDocuments(db, request.id), subjectBlocked: subject.blocked_at !== null }
}
