import { audit } from '#src/audit/journal.ts'
import type { Db, Tx, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { requiredText } from './fields.ts'
import { findUser } from './user-store.ts'

export interface BlockUserInput {
  userId: number
  /** Why (a request's number, an inspection): kept on the row, never a name. */
  reason: string
  /** The request that asked for it, when one did. */
  requestId?: number | null
}

const REASON_MAX = 500

/**
 * Blocks a person's data (ст. 21): from now on their name, phone and the rest are shown nowhere and sent
 * nowhere, until unblocked. The account itself is not touched (blocking is not deactivation).
 */
export async function blockUser(db: Db, actor: Actor, input: BlockUserInput): Promise<User> {
  await authorizeBlocking(db, actor, input.userId, 'user.block')
  const reason = requiredText(input.reason, {
    label: 'Основание блокирования',
    max: REASON_MAX,
    empty: 'Укажите основание блокирования',
  })
  return transact(db, (tx) => blockInTransaction(tx, actor, { ...input, reason }))
}

/** The blocking itself, inside a caller's transaction (a blocking request registered blocks at once). */
export async function blockInTransaction(tx: Tx, actor: Actor, input: BlockUserInput): Promise<User> {
  const user = await findUser(tx, input.userId)
  if (!user) throw new DomainError('not_found', 'Пользователь не найден')
  if (user.blocked_at !== null) throw new DomainError('conflict', 'Данные этого человека уже заблокированы')
  const at = now()
  const blocked = await tx
    .updateTable('users')
    .set({ blocked_at: at, blocked_by: actor.id, block_reason: input.reason, updated_at: at })
    .where('id', '=', user.id)
    .returningAll()
    .executeTakeFirstOrThrow()
  await audit(tx, actor, {
    action: 'user.block',
    objectType: 'user',
    objectId: user.id,
    subjectId: user.id,
    pdn: true,
    description: `Заблокированы персональные данные пользователя № ${user.id}`,
    details: { requestId: input.requestId ?? null },
  })
  return blocked
}

/** Lifts a blocking: the person's data is shown and sent again. */
export async function unblockUser(db: Db, actor: Actor, input: { userId: number }): Promise<User> {
  await authorizeBlocking(db, actor, input.userId, 'user.unblock')
  return transact(db, async (tx) => {
    const user = await findUser(tx, input.userId)
    if (!user) throw new DomainError('not_found', 'Пользователь не найден')
    if (user.blocked_at === null) throw new DomainError('conflict', 'Данные этого человека не заблокированы')
    const at = now()
    const unblocked = await tx
      .updateTable('users')
      .set({ blocked_at: null, blocked_by: null, block_reason: null, updated_at: at })
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'user.unblock',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      pdn: true,
      description: `Снята блокировка персональных данных пользователя № ${user.id}`,
      details: { blockedAt: user.blocked_at, blockedBy: user.blocked_by },
    })
    return unblocked
  })
}

async function authorizeBlocking(db: Db, actor: Actor, userId: number, action: string): Promise<void> {
  await authorize(
    db,
    actor,
    'subject_request.manage',
    {
      action,
      objectType: 'user',
      objectId: userId,
      subjectId: userId,
      pdn: true,
      description: `Отказано в блокировании данных пользователя № ${userId}`,
    },
    'Блокировать данные может только администратор',
  )
}
