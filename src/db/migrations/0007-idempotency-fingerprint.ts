import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * An Idempotency-Key remembers what request it was first used for (a hash of the method, path and
 * body), so that the same key sent with a different request is refused instead of answered with the
 * first ticket (IETF draft «The Idempotency-Key HTTP Header Field»). Keys stored before have none and
 * keep replaying as they did.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('idempotency_keys').addColumn('request_hash', 'text').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('idempotency_keys').dropColumn('request_hash').execute()
}
