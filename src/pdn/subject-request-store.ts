import type { Selectable } from 'kysely'
import type { SubjectRequestsTable, Tx } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { shownName } from '#src/users/blocking.ts'

export type SubjectRequest = Selectable<SubjectRequestsTable>

/** The request's row, or `not_found`: what every change of a request starts from. */
export async function requireSubjectRequest(db: Tx, id: number): Promise<SubjectRequest> {
  const request = await db.selectFrom('subject_requests').selectAll().where('id', '=', id).executeTakeFirst()
  if (!request) throw new DomainError('not_found', 'Запрос не найден')
  return request
}

/** A request with the person it is about, as the admin's pages show them (a blocked person's name is not). */
export interface SubjectRequestItem extends SubjectRequest {
  subject_name: string
}

/** Every request, open ones first by deadline, then the rest newest first. */
export async function listSubjectRequests(db: Tx): Promise<SubjectRequestItem[]> {
  const rows = await db
    .selectFrom('subject_requests as r')
    .innerJoin('users as u', 'u.id', 'r.subject_id')
    .selectAll('r')
    .select(shownName('u').as('subject_name'))
    .orderBy('r.id', 'desc')
    .execute()
  const open = (r: SubjectRequest) => r.status === 'new' || r.status === 'in_progress'
  return [
    ...rows.filter(open).sort((a, b) => a.due_on.localeCompare(b.due_on) || a.id - b.id),
    ...rows.filter((r) => !open(r)),
  ]
}

export async function findSubjectRequest(db: Tx, id: number): Promise<SubjectRequestItem | undefined> {
  return db
    .selectFrom('subject_requests as r')
    .innerJoin('users as u', 'u.id', 'r.subject_id')
    .selectAll('r')
    .select(shownName('u').as('subject_name'))
    .where('r.id', '=', id)
    .executeTakeFirst()
}

/** The documents of a request's answer, without their bytes. */
export async function listRequestDocuments(
  db: Tx,
  requestId: number,
): Promise<Array<{ id: number; file_name: string; mime_type: string; created_at: string }>> {
  return db
    .selectFrom('subject_request_documents')
    .select(['id', 'file_name', 'mime_type', 'created_at'])
    .where('request_id', '=', requestId)
    .orderBy('id')
    .execute()
}
