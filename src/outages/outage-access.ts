import type { Db, Tx } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { findOutage, type OutageRow } from './outage-store.ts'

/**
 * The doors of «Массовые сбои»: IT staff see the outages, declare and end them. Refusals are journaled before
 * anything is done (the rights do not depend on the row).
 */

export async function requireOutageView(db: Db, actor: Actor, action: string, outageId?: number): Promise<void> {
  await authorize(
    db,
    actor,
    'outage.view',
    {
      action,
      objectType: 'outage',
      objectId: outageId ?? null,
      description:
        outageId === undefined
          ? 'Отказано в доступе к массовым сбоям'
          : `Отказано в действии ${action} с массовым сбоем № ${outageId}`,
    },
    'Массовые сбои — для сотрудников ИТ-отдела',
  )
}

export async function requireOutageManage(db: Db, actor: Actor, action: string, objectId?: number): Promise<void> {
  await authorize(
    db,
    actor,
    'outage.manage',
    {
      action,
      objectType: 'outage',
      objectId: objectId ?? null,
      description: `Отказано в действии ${action} с массовым сбоем`,
    },
    'Массовый сбой объявляют и снимают сотрудники ИТ-отдела',
  )
}

export async function loadOutage(db: Tx, outageId: number): Promise<OutageRow> {
  const outage = await findOutage(db, outageId)
  if (!outage) throw new DomainError('not_found', 'Массовый сбой не найден')
  return outage
}
