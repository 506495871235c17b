import type { Selectable } from 'kysely'
import type { DestructionActsTable, Tx } from '#src/db/schema.ts'

/** Stored destruction acts (migration 0015): the list without the PDFs, one act with them. */

export type DestructionAct = Selectable<DestructionActsTable>

export interface DestructionActSummary {
  id: number
  userId: number
  createdAt: string
  reason: string
  textsDeleted: boolean
  keepUntil: string
}

/** Every act kept, newest first. */
export async function listDestructionActs(db: Tx): Promise<DestructionActSummary[]> {
  const rows = await db
    .selectFrom('destruction_acts')
    .select(['id', 'user_id', 'created_at', 'reason', 'texts_deleted', 'keep_until'])
    .orderBy('id', 'desc')
    .execute()
  return rows.map((r) => ({
    id: r.id,
    userId: r.user_id,
    createdAt: r.created_at,
    reason: r.reason,
    textsDeleted: Number(r.texts_deleted) === 1,
    keepUntil: r.keep_until,
  }))
}

export async function findDestructionAct(db: Tx, id: number): Promise<DestructionAct | undefined> {
  return db.selectFrom('destruction_acts').selectAll().where('id', '=', id).executeTakeFirst()
}
