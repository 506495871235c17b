import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { type ConsentRecord, type ConsentText, currentConsentText } from './consent.ts'
import { requireUser } from './user-store.ts'

/** A consent record with the version of the text it names. */
export interface UserConsent extends ConsentRecord {
  version: number
}

export interface UserConsents {
  records: UserConsent[]
  current: ConsentText
}

function refusal(userId: number, description: string) {
  return { action: 'consent.view', objectType: 'user', objectId: userId, subjectId: userId, pdn: true, description }
}

/**
 * A person's consent history for the admin (issue 10): every record, newest first, with its version,
 * channel, time and evidence, and the text in force. A read of their ПДн: journaled.
 */
export async function listUserConsents(db: Db, actor: Actor, userId: number): Promise<UserConsents> {
  await authorize(
    db,
    actor,
    'user.manage',
    refusal(userId, `Отказано в просмотре согласий пользователя № ${userId}`),
    'Согласия видит только администратор',
  )
  return transact(db, async (tx) => {
    await requireUser(tx, userId)
    const current = await currentConsentText(tx)
    const records = await tx
      .selectFrom('consent_records')
      .innerJoin('consent_texts', 'consent_texts.id', 'consent_records.consent_text_id')
      .selectAll('consent_records')
      .select('consent_texts.version')
      .where('consent_records.user_id', '=', userId)
      .orderBy('consent_records.id', 'desc')
      .execute()
    await audit(tx, actor, {
      action: 'consent.view',
      objectType: 'user',
      objectId: userId,
      subjectId: userId,
      pdn: true,
      description: `Просмотр согласий пользователя № ${userId}, записей: ${records.length}`,
    })
    return { records, current }
  })
}

/** The scan of one of the person's paper records, to download; journaled as a read of their ПДн. */
export async function viewConsentScan(
  db: Db,
  actor: Actor,
  input: { userId: number; recordId: number },
): Promise<{ sha256: string; fileName: string; mimeType: string }> {
  await authorize(
    db,
    actor,
    'user.manage',
    refusal(input.userId, `Отказано в просмотре скана согласия пользователя № ${input.userId}`),
    'Сканы согласий видит только администратор',
  )
  return transact(db, async (tx) => {
    const record = await tx
      .selectFrom('consent_records')
      .select(['id', 'evidence_file', 'evidence_file_name', 'evidence_file_type'])
      .where('id', '=', input.recordId)
      .where('user_id', '=', input.userId)
      .executeTakeFirst()
    if (!record?.evidence_file) throw new DomainError('not_found', 'Скан не найден')
    await audit(tx, actor, {
      action: 'consent.scan_view',
      objectType: 'consent_record',
      objectId: record.id,
      subjectId: input.userId,
      pdn: true,
      description: `Просмотр скана согласия пользователя № ${input.userId}`,
    })
    return {
      sha256: record.evidence_file,
      fileName: record.evidence_file_name ?? `scan-${record.id}`,
      mimeType: record.evidence_file_type ?? 'application/octet-stream',
    }
  })
}
