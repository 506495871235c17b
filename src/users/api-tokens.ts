import { randomBytes } from 'node:crypto'
import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import { prepared } from '#src/db/prepared.ts'
import type { Db, Tx, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { hashToken } from './sessions.ts'

/**
 * Personal API tokens for integrations: `hd_` + 256 random bits, shown once, stored as sha256.
 * A token acts as its user, and stops working with the user's deactivation or its own revocation.
 */

export const API_TOKEN_PREFIX = 'hd_'
const TOUCH_INTERVAL_MS = 60_000

export interface CreateApiTokenInput {
  userId: number
  name: string
}

export interface CreatedApiToken {
  id: number
  /** The plaintext token: returned once, never stored. */
  token: string
}

function mayManageTokensOf(actor: Actor, userId: number): boolean {
  if (actor.role === 'system') return true
  if (actor.status !== 'active') return false
  return actor.role === 'admin' || actor.id === userId
}

/** Issues a token for a user: an admin for anyone, any active user for themself. */
export async function createApiToken(db: Db, actor: Actor, input: CreateApiTokenInput): Promise<CreatedApiToken> {
  const name = input.name.trim()
  if (name.length === 0 || name.length > 100) {
    throw new DomainError('validation', 'Название токена: от 1 до 100 символов')
  }
  if (!mayManageTokensOf(actor, input.userId)) {
    await auditDenied(db, actor, {
      action: 'token.create',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      description: 'Отказано в выпуске API-токена',
    })
    throw new DomainError('forbidden', 'Нет прав выпускать токены для другого пользователя')
  }
  return transact(db, async (tx) => {
    const user = await tx.selectFrom('users').select(['id', 'status']).where('id', '=', input.userId).executeTakeFirst()
    if (!user) throw new DomainError('not_found', 'Пользователь не найден')
    if (user.status !== 'active')
      throw new DomainError('conflict', 'Токен можно выпустить только активному пользователю')
    const token = API_TOKEN_PREFIX + randomBytes(32).toString('base64url')
    const row = await tx
      .insertInto('api_tokens')
      .values({
        user_id: user.id,
        name,
        token_hash: hashToken(token),
        created_at: now(),
        last_used_at: null,
        revoked_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'token.create',
      objectType: 'api_token',
      objectId: row.id,
      subjectId: user.id,
      description: `Выпущен API-токен № ${row.id} для пользователя № ${user.id}`,
    })
    return { id: row.id, token }
  })
}

/** Revokes a token: its owner or an admin. */
export async function revokeApiToken(db: Db, actor: Actor, input: { tokenId: number }): Promise<void> {
  const found = await db
    .selectFrom('api_tokens')
    .select(['id', 'user_id'])
    .where('id', '=', input.tokenId)
    .executeTakeFirst()
  if (!found) throw new DomainError('not_found', 'Токен не найден')
  if (!mayManageTokensOf(actor, found.user_id)) {
    await auditDenied(db, actor, {
      action: 'token.revoke',
      objectType: 'api_token',
      objectId: found.id,
      subjectId: found.user_id,
      description: 'Отказано в отзыве API-токена',
    })
    // Someone else's token is reported as missing: its existence is not the actor's business.
    throw new DomainError('not_found', 'Токен не найден')
  }
  await transact(db, async (tx) => {
    await tx
      .updateTable('api_tokens')
      .set({ revoked_at: now() })
      .where('id', '=', found.id)
      .where('revoked_at', 'is', null)
      .execute()
    await audit(tx, actor, {
      action: 'token.revoke',
      objectType: 'api_token',
      objectId: found.id,
      subjectId: found.user_id,
      description: `Отозван API-токен № ${found.id}`,
    })
  })
}

/** An active token with its user, in one query (every API request asks it). */
const activeToken = prepared((db, p: { hash: string }) =>
  db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .selectAll('users')
    .select(['api_tokens.id as token_id', 'api_tokens.last_used_at as token_last_used_at'])
    .where('api_tokens.token_hash', '=', p.hash)
    .where('api_tokens.revoked_at', 'is', null),
)

/** The token's active user, or undefined for an unknown, revoked or foreign-looking token. */
export async function resolveApiToken(db: Tx, token: string): Promise<User | undefined> {
  if (!/^hd_[A-Za-z0-9_-]{43}$/.test(token)) return undefined
  const found = await activeToken.first(db, { hash: hashToken(token) })
  if (!found) return undefined
  const { token_id: tokenId, token_last_used_at: lastUsedAt, ...user } = found
  if (user.status !== 'active') return undefined
  const at = now()
  if (lastUsedAt === null || Date.parse(at) - Date.parse(lastUsedAt) >= TOUCH_INTERVAL_MS) {
    await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', tokenId).execute()
  }
  return user
}
