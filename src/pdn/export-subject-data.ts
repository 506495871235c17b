import { createHash } from 'node:crypto'
import { audit } from '#src/audit/journal.ts'
import type { Db, Tx } from '#src/db/schema.ts'
import { now, nowDate } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { runInThread } from '#src/documents/pdf-thread.ts'
import { DomainError } from '#src/errors.ts'
import { getSetting } from '#src/settings/settings.ts'
import type { Actor } from '#src/users/actor.ts'
import { type AccessAnswerDocuments, renderAccessAnswer } from './access-answer.ts'
import { authorizeSubjectRequests } from './authorize-requests.ts'
import { collectSubjectData } from './subject-data.ts'
import { requireSubjectRequest } from './subject-request-store.ts'

export interface ExportSubjectDataInput {
  userId: number
  /** Where the attachments are (DATA_DIR). */
  dataDir: string
  timeZone: string
}

/**
 * Everything held about a person as their access answer (PDF and ZIP), without a request (the console's
 * `helpdesk subjects export`): made, journaled, handed back; nothing is stored.
 */
export async function exportSubjectData(
  db: Db,
  actor: Actor,
  input: ExportSubjectDataInput,
): Promise<AccessAnswerDocuments> {
  await authorizeSubjectRequests(db, actor, 'subject.export')
  return transact(db, async (tx) => {
    const documents = await buildAnswer(tx, input, null)
    await audit(tx, actor, {
      action: 'subject.export',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      pdn: true,
      description: `Выгрузка всех данных пользователя № ${input.userId} (ответ на запрос доступа)`,
      details: { pdfBytes: documents.pdf.length, zipBytes: documents.zip.length },
    })
    return documents
  })
}

/**
 * «Сформировать ответ» on an access request: the PDF and the ZIP are made and kept with the request (a later
 * press makes a new pair: the data may have changed), and the making is journaled.
 */
export async function answerAccessRequest(
  db: Db,
  actor: Actor,
  input: { requestId: number; dataDir: string; timeZone: string },
): Promise<Array<{ id: number; file_name: string }>> {
  await authorizeSubjectRequests(db, actor, 'subject_request.answer_documents', input.requestId)
  return transact(db, async (tx) => {
    const request = await requireSubjectRequest(tx, input.requestId)
    if (request.kind !== 'access')
      throw new DomainError('invalid_transition', 'Ответ формируется только на запрос доступа')
    const documents = await buildAnswer(tx, { ...input, userId: request.subject_id }, request.id)
    const at = now()
    const stamp = at.slice(0, 10)
    const stored = []
    for (const [content, name, type] of [
      [documents.pdf, `otvet-${request.id}-${stamp}.pdf`, 'application/pdf'],
      [Buffer.from(documents.zip), `dannye-${request.id}-${stamp}.zip`, 'application/zip'],
    ] as const) {
      const row = await tx
        .insertInto('subject_request_documents')
        .values({
          request_id: request.id,
          file_name: name,
          mime_type: type,
          content,
          sha256: createHash('sha256').update(content).digest('hex'),
          created_by: actor.id,
          created_at: at,
        })
        .returning(['id', 'file_name'])
        .executeTakeFirstOrThrow()
      stored.push(row)
    }
    await audit(tx, actor, {
      action: 'subject_request.answer_documents',
      objectType: 'subject_request',
      objectId: request.id,
      subjectId: request.subject_id,
      pdn: true,
      description: `Сформирован ответ на запрос доступа № ${request.id} (пользователь № ${request.subject_id})`,
      details: { documents: stored.map((d) => d.id) },
    })
    return stored
  })
}

/** A stored document of an answer, for download (journaled: it carries the person's data). */
export async function downloadRequestDocument(
  db: Db,
  actor: Actor,
  input: { requestId: number; documentId: number },
): Promise<{ file_name: string; mime_type: string; content: Buffer }> {
  await authorizeSubjectRequests(db, actor, 'subject_request.document', input.requestId)
  return transact(db, async (tx) => {
    const doc = await tx
      .selectFrom('subject_request_documents as d')
      .innerJoin('subject_requests as r', 'r.id', 'd.request_id')
      .select(['d.id', 'd.file_name', 'd.mime_type', 'd.content', 'r.subject_id'])
      .where('d.id', '=', input.documentId)
      .where('d.request_id', '=', input.requestId)
      .executeTakeFirst()
    if (!doc) throw new DomainError('not_found', 'Документ не найден')
    await audit(tx, actor, {
      action: 'subject_request.document',
      objectType: 'subject_request',
      objectId: input.requestId,
      subjectId: doc.subject_id,
      pdn: true,
      description: `Скачан документ № ${doc.id} ответа на запрос субъекта № ${input.requestId}`,
    })
    return { file_name: doc.file_name, mime_type: doc.mime_type, content: Buffer.from(doc.content) }
  })
}

async function buildAnswer(
  tx: Tx,
  input: ExportSubjectDataInput,
  requestId: number | null,
): Promise<AccessAnswerDocuments> {
  const { data, files } = await collectSubjectData(tx, input.dataDir, input.userId)
  const context = {
    org: await getSetting(tx, 'org.requisites'),
    retentionYears: await getSetting(tx, 'retention.closed_tickets_years'),
    createdAt: nowDate(),
    timeZone: input.timeZone,
    requestId,
  }
  // The PDF's layout and the archive are built off the event loop: a person with years of tickets and files
  // makes a long document.
  const documents = await runInThread<AccessAnswerDocuments>(
    new URL('./access-answer.ts', import.meta.url),
    renderAccessAnswer.name,
    [data, files, context],
  )
  return { pdf: Buffer.from(documents.pdf), zip: documents.zip }
}
