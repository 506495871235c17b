import type { StoredFile } from '#src/attachments/file-store.ts'
import type { Db } from '#src/db/schema.ts'
import { now, nowDate } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { parseDay } from '#src/format/zone-days.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { currentConsentText, recordConsentGiven } from './consent.ts'
import { scanTypes } from './consent-scan.ts'
import { requiredText } from './fields.ts'
import { requireUser } from './user-store.ts'
import { type WithdrawnConsent, withdrawConsent } from './withdraw-consent.ts'

export interface PaperConsentInput {
  userId: number
  /** The day written on the signed form, `YYYY-MM-DD`. */
  signedOn: string
  /** The scan of the signed form, already stored (checkScan, then the file store). */
  scan: StoredFile
}

/** The day a paper was signed: a real date, not in the future. */
function paperDay(text: string, what: string): string {
  const day = parseDay(text)
  if (!day) throw new DomainError('validation', `Укажите дату ${what}`)
  // A day that has begun nowhere yet (UTC+14 starts first): the hospital's zone need not be known here.
  if (Date.UTC(day[0], day[1] - 1, day[2]) - 14 * 3_600_000 > nowDate().getTime()) {
    throw new DomainError('validation', `Дата ${what} ещё не наступила`)
  }
  return text
}

function scanFile(scan: StoredFile): { sha256: string; fileName: string; mimeType: string } {
  if (!scanTypes.some((type) => type === scan.mimeType)) {
    throw new DomainError('validation', 'Скан должен быть файлом PDF, JPEG или PNG')
  }
  return { sha256: scan.sha256, fileName: scan.fileName, mimeType: scan.mimeType }
}

/**
 * «Бумажное согласие» (issue 10, COMPLIANCE.md §1): an admin records a consent the person signed on paper,
 * with its scan, to the text in force (channel `paper`). Does not change the account's status: a person
 * whose consent was withdrawn is not let back in by it (reactivation is its own decision). Returns the
 * record's id.
 */
export async function recordPaperConsent(db: Db, actor: Actor, input: PaperConsentInput): Promise<number> {
  await authorize(
    db,
    actor,
    'user.manage',
    {
      action: 'consent.give',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      pdn: true,
      description: `Отказано в записи бумажного согласия пользователя № ${input.userId}`,
    },
    'Записать бумажное согласие может только администратор',
  )
  const signedOn = paperDay(input.signedOn, 'подписания')
  const file = scanFile(input.scan)
  return transact(db, async (tx) => {
    const user = await requireUser(tx, input.userId)
    if (user.status === 'rejected') throw new DomainError('conflict', 'Регистрация этого человека отклонена')
    const text = await currentConsentText(tx)
    return recordConsentGiven(tx, actor, {
      userId: user.id,
      text,
      channel: 'paper',
      evidence: { signed_on: signedOn, recorded_by: actor.id },
      at: now(),
      file,
    })
  })
}

export interface PaperWithdrawalInput {
  userId: number
  /** Why, as the person wrote it (kept with the record, never in the journal). */
  reason: string
  /** The day of the written withdrawal, `YYYY-MM-DD`. */
  withdrawnOn: string
  /** The scan of the statement, if there is one. */
  scan?: StoredFile | undefined
}

export const WITHDRAWAL_REASON_MAX = 1000

/**
 * A withdrawal an admin records on the person's behalf from their written statement (issue 10): the same
 * effect as the person's own (account off at once, sessions and tokens revoked, curators told, destruction
 * due) — it is withdrawConsent, with the reason, the date and the scan as its evidence (channel `paper`).
 */
export async function withdrawConsentOnPaper(
  db: Db,
  actor: Actor,
  input: PaperWithdrawalInput,
): Promise<WithdrawnConsent> {
  await authorize(
    db,
    actor,
    'user.manage',
    {
      action: 'consent.withdraw',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      pdn: true,
      description: `Отказано в отзыве согласия пользователя № ${input.userId}`,
    },
    'Отозвать согласие по заявлению может только администратор',
  )
  const reason = requiredText(input.reason, {
    label: 'Причина отзыва',
    max: WITHDRAWAL_REASON_MAX,
    empty: 'Укажите причину или основание отзыва',
  })
  const withdrawnOn = paperDay(input.withdrawnOn, 'заявления')
  const file = input.scan ? scanFile(input.scan) : undefined
  return withdrawConsent(db, actor, {
    userId: input.userId,
    evidence: { reason, withdrawn_on: withdrawnOn, recorded_by: actor.id },
    ...(file ? { file } : {}),
  })
}
