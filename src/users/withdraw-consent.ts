import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Db, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { activeUserIdsWithRoles, notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from './actor.ts'
import { latestConsent } from './consent.ts'
import { type RevokedAccess, revokeAccess } from './deactivate-user.ts'
import { can } from './permissions.ts'
import { requireUser } from './user-store.ts'

export interface WithdrawConsentInput {
  userId: number
  /**
   * Proof of the withdrawal: Telegram `update_id` and `message_id` in the bot, IP and user agent on the
   * web, a document's reference for paper. Never a name or a chat id.
   */
  evidence: Record<string, unknown>
  /** The scan of a written withdrawal an admin recorded (issue 10), in the file store. */
  file?: { sha256: string; fileName: string; mimeType: string }
}

export interface WithdrawnConsent {
  user: User
  /** The consent record that says «withdrawn». */
  recordId: number
}

/** Statuses whose account the withdrawal switches off; a rejected or deactivated one stays as it is. */
const switchedOff = new Set<User['status']>(['active', 'pending'])

/**
 * Withdrawal of consent (152-ФЗ ст. 9 ч. 2, COMPLIANCE.md §1): by the person themself (the bot's /revoke,
 * the web profile) or by an admin (a written statement). The consent records get their withdrawal time
 * and a «withdrawn» record with the evidence is added; the account is deactivated at once (sessions and
 * API tokens die with it); curators and admins are told. Destruction of the data becomes due per the
 * retention settings; the history stays until then.
 */
export async function withdrawConsent(db: Db, actor: Actor, input: WithdrawConsentInput): Promise<WithdrawnConsent> {
  const self = actor.id === input.userId
  if (!self && !can(actor, 'user.manage')) {
    await auditDenied(db, actor, {
      action: 'consent.withdraw',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      pdn: true,
      description: `Отказано в отзыве согласия пользователя № ${input.userId}`,
    })
    throw new DomainError('forbidden', 'Отозвать согласие может только сам человек или администратор')
  }
  return transact(db, async (tx) => {
    const user = await requireUser(tx, input.userId)
    const given = await latestConsent(tx, user.id)
    if (given?.status !== 'given') {
      throw new DomainError('conflict', 'Согласие на обработку персональных данных уже отозвано или не давалось')
    }
    const at = now()
    await tx
      .updateTable('consent_records')
      .set({ withdrawn_at: at })
      .where('user_id', '=', user.id)
      .where('status', '=', 'given')
      .where('withdrawn_at', 'is', null)
      .execute()
    const record = await tx
      .insertInto('consent_records')
      .values({
        user_id: user.id,
        consent_text_id: given.consent_text_id,
        channel: actor.channel === 'bot' ? 'bot' : self ? 'web' : 'paper',
        status: 'withdrawn',
        evidence: JSON.stringify(input.evidence),
        created_at: at,
        withdrawn_at: at,
        evidence_file: input.file?.sha256 ?? null,
        evidence_file_name: input.file?.fileName ?? null,
        evidence_file_type: input.file?.mimeType ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    const access = await switchOff(tx, user, at)
    await audit(tx, actor, {
      action: 'consent.withdraw',
      objectType: 'consent_record',
      objectId: record.id,
      subjectId: user.id,
      pdn: true,
      description: self
        ? `Пользователь № ${user.id} отозвал согласие на обработку ПДн`
        : `Согласие пользователя № ${user.id} на обработку ПДн отозвано по его заявлению`,
      details: {
        channel: actor.channel,
        from: user.status,
        to: access.user.status,
        ...access.revoked,
        ...(input.file ? { file: input.file.sha256 } : {}),
      },
    })
    const staff = await activeUserIdsWithRoles(tx, ['curator', 'admin'])
    await notifyUsers(tx, staff, { kind: 'consent_withdrawn', data: { subjectId: user.id } })
    return { user: access.user, recordId: record.id }
  })
}

/**
 * Deactivates an active or pending account as deactivateUser does (its sessions and API tokens revoked);
 * an account already off keeps its status, and anything still open is revoked anyway.
 */
async function switchOff(tx: Db, user: User, at: string): Promise<{ user: User; revoked: RevokedAccess }> {
  const updated = switchedOff.has(user.status)
    ? await tx
        .updateTable('users')
        .set({ status: 'deactivated', deactivated_at: at, updated_at: at })
        .where('id', '=', user.id)
        .returningAll()
        .executeTakeFirstOrThrow()
    : user
  const revoked = await revokeAccess(tx, user.id, at)
  // A link issued by /login a minute ago must not open a session for a person who has just left.
  await tx.deleteFrom('login_links').where('user_id', '=', user.id).execute()
  return { user: updated, revoked }
}
