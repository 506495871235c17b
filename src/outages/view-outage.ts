import type { Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { loadOutage, requireOutageView } from './outage-access.ts'
import { type OutageDetails, outageDetails } from './outage-store.ts'

/** An outage's page (IT staff): its parent ticket, departments, categories, children and recipients counted. */
export async function viewOutage(db: Db, actor: Actor, input: { id: number }): Promise<OutageDetails> {
  await requireOutageView(db, actor, 'outage.view', input.id)
  return outageDetails(db, await loadOutage(db, input.id))
}
