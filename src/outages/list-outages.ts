import type { Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { requireOutageView } from './outage-access.ts'
import { listOutageRows, type OutageRow } from './outage-store.ts'

/** The outages, open ones first (IT staff). */
export async function listOutages(db: Db, actor: Actor, options: { openOnly?: boolean } = {}): Promise<OutageRow[]> {
  await requireOutageView(db, actor, 'outage.list')
  return listOutageRows(db, options)
}
