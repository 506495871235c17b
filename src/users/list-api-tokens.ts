import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { can } from './permissions.ts'

/** A token as lists show it: never the token nor its hash. */
export interface ApiTokenRow {
  id: number
  userId: number
  login: string | null
  fullName: string
  name: string
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

/**
 * API tokens of one person (`userId`) or of everyone (admins and the console only). A person lists their
 * own; another's list is the admin's, journaled as a read.
 */
export async function listApiTokens(
  db: Db,
  actor: Actor,
  input: { userId?: number | undefined },
): Promise<ApiTokenRow[]> {
  const own = input.userId !== undefined && actor.id === input.userId && actor.status === 'active'
  if (!own && !can(actor, 'user.manage')) {
    await auditDenied(db, actor, {
      action: 'token.list',
      objectType: 'user',
      objectId: input.userId ?? null,
      subjectId: input.userId ?? null,
      description: 'Отказано в просмотре API-токенов',
    })
    throw new DomainError('forbidden', 'Нет прав просматривать чужие API-токены')
  }
  let query = db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id', 't.user_id', 'u.login', 'u.full_name', 't.name', 't.created_at', 't.last_used_at', 't.revoked_at'])
    .orderBy('t.id', 'desc')
  if (input.userId !== undefined) query = query.where('t.user_id', '=', input.userId)
  const rows = await query.execute()
  if (!own) {
    await audit(db, actor, {
      action: 'token.list',
      objectType: 'user',
      objectId: input.userId ?? null,
      subjectId: input.userId ?? null,
      description:
        input.userId === undefined
          ? `Просмотр всех API-токенов, записей: ${rows.length}`
          : `Просмотр API-токенов пользователя № ${input.userId}, записей: ${rows.length}`,
    })
  }
  return rows.map((r) => ({
    id: r.id,
    userId: r.user_id,
    login: r.login,
    fullName: r.full_name,
    name: r.name,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  }))
}
