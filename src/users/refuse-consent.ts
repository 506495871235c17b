import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'

export interface RefuseConsentInput {
  /** The consent text version the person was shown. */
  consentTextId: number
  channel: 'bot' | 'web'
  /** Proof of the refusal: Telegram `update_id` and `message_id`. Never a name or a chat id. */
  evidence: Record<string, unknown>
}

/**
 * Records that someone refused consent (PRODUCT.md §2: «nothing but the refusal is stored»). The person
 * has no account and the record names nobody, so there is no personal data to journal; the row itself
 * is the proof that the text was shown and refused. Returns the record's id.
 */
export async function refuseConsent(db: Db, input: RefuseConsentInput): Promise<number> {
  return transact(db, async (tx) => {
    const text = await tx
      .selectFrom('consent_texts')
      .select('id')
      .where('id', '=', input.consentTextId)
      .executeTakeFirst()
    if (!text) throw new DomainError('validation', 'Текст согласия не найден')
    const record = await tx
      .insertInto('consent_records')
      .values({
        user_id: null,
        consent_text_id: text.id,
        channel: input.channel,
        status: 'refused',
        evidence: JSON.stringify(input.evidence),
        created_at: now(),
        withdrawn_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    return record.id
  })
}
