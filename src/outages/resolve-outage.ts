import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import type { Actor } from '#src/users/actor.ts'
import { loadOutage, requireOutageManage } from './outage-access.ts'
import { findOutage, type OutageRow } from './outage-store.ts'

export interface ResolveOutageInput {
  outageId: number
  /** The result, as for any resolution: the children get it too. */
  resolution: string
}

/**
 * «Сбой устранён» (IT staff): resolves the parent ticket through the ordinary resolution (changeStatus; a ticket
 * still «Новая» or «Ожидает ответа» is taken into work first), whose end-outage.ts resolves the children, one
 * message each. One transaction.
 */
export async function resolveOutage(db: Db, actor: Actor, input: ResolveOutageInput): Promise<OutageRow> {
  await requireOutageManage(db, actor, 'outage.resolve', input.outageId)
  return transact(db, async (tx) => {
    const outage = await loadOutage(tx, input.outageId)
    if (outage.resolved_at !== null) throw new DomainError('conflict', `Массовый сбой № ${outage.id} уже устранён`)
    if (!(input.resolution ?? '').trim()) throw new DomainError('validation', 'Заполните поле «Результат»')
    if (outage.ticket_status === 'new' || outage.ticket_status === 'waiting') {
      await changeStatus(tx, actor, { ticketId: outage.ticket_id, status: 'in_progress' })
    }
    await changeStatus(tx, actor, { ticketId: outage.ticket_id, status: 'resolved', resolution: input.resolution })
    const resolved = await findOutage(tx, outage.id)
    if (!resolved) throw new Error(`outage ${outage.id} vanished in its own transaction`)
    return resolved
  })
}
