import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { currentConsentText, latestConsent, recordConsentGiven } from './consent.ts'
import { requireUser } from './user-store.ts'

export interface RenewConsentInput {
  userId: number
  /** The version the person was shown: a consent counts only for the text they read. */
  consentTextId: number
  channel: 'bot' | 'web'
  /** Telegram `update_id` and `message_id`, or the browser's IP and user agent. */
  evidence: Record<string, unknown>
}

/**
 * A person agrees to the current consent text (issue 10): in the bot after a curator published a new
 * version, on the web at the first sign-in of an account made by an admin or on the web, or after a new
 * version. Only the person themself, only while active, only to the text now in force (a page or a button
 * shown before a newer publication is refused); agreeing twice adds nothing. Returns the record's id.
 */
export async function renewConsent(db: Db, actor: Actor, input: RenewConsentInput): Promise<number> {
  if (actor.id !== input.userId) throw new DomainError('forbidden', 'Согласие даёт только сам человек')
  return transact(db, async (tx) => {
    const user = await requireUser(tx, input.userId)
    if (user.status !== 'active') throw new DomainError('conflict', 'Учётная запись не активна')
    const current = await currentConsentText(tx)
    if (current.id !== input.consentTextId) {
      throw new DomainError('conflict', 'Текст согласия изменился: прочитайте новую версию')
    }
    const latest = await latestConsent(tx, user.id)
    if (latest?.status === 'given' && latest.consent_text_id === current.id) {
      await tx.updateTable('sessions').set({ consent_due: 0 }).where('user_id', '=', user.id).execute()
      return latest.id
    }
    return recordConsentGiven(tx, actor, {
      userId: user.id,
      text: current,
      channel: input.channel,
      evidence: input.evidence,
      at: now(),
    })
  })
}
