import type { Db } from '#src/db/schema.ts'
import { now, nowDate } from '#src/db/time.ts'

/**
 * Leases: a named row that one holder owns until `expires_at`, so that among several instances only
 * one runs the schedules (ARCHITECTURE.md, scaling out). Taking a lease is one upsert that succeeds
 * only where the row is absent, expired, or already ours — atomic on both databases.
 */

function expiry(ttlMs: number): string {
  return new Date(nowDate().getTime() + ttlMs).toISOString()
}

/** Takes (or extends) the lease for `ttlMs`. True when `holder` owns it afterwards. */
export async function acquireLease(db: Db, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const at = now()
  const taken = await db
    .insertInto('leases')
    .values({ name, holder, expires_at: expiry(ttlMs) })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet((eb) => ({ holder: eb.ref('excluded.holder'), expires_at: eb.ref('excluded.expires_at') }))
        .where((eb) => eb.or([eb('leases.expires_at', '<=', at), eb('leases.holder', '=', holder)])),
    )
    .returning('holder')
    .executeTakeFirst()
  return taken?.holder === holder
}

/** Extends a lease this holder owns. False when it has been taken over (or released) meanwhile. */
export async function renewLease(db: Db, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const result = await db
    .updateTable('leases')
    .set({ expires_at: expiry(ttlMs) })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** Gives the lease up at once (a graceful stop), if this holder owns it. */
export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute()
}
