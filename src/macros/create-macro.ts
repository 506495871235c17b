import { audit } from '#src/audit/journal.ts'
import type { Db, Priority } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from '#src/users/actor.ts'
import { checkedGroup, requireMacroUse, requireScopeRight } from './macro-access.ts'
import {
  checkMacroBody,
  checkMacroKind,
  checkMacroPriority,
  checkMacroStatus,
  checkMacroTitle,
  type MacroScope,
  type MacroStatus,
} from './macro-rules.ts'
import { findMacro, type MacroRow } from './macro-store.ts'

export interface CreateMacroInput {
  title: string
  /** With placeholders: `{{заявитель.имя}}`, `{{заявка.номер}}`, … (macro-rules.ts). */
  body: string
  /** Posted as an internal note (staff only) rather than a reply to the requester. */
  internal?: boolean
  scope: MacroScope
  /** The group, for a group's macro. */
  groupId?: number | null
  setStatus?: MacroStatus | string | null
  setPriority?: Priority | string | null
}

/**
 * Saves a canned response: one's own (any IT staff member), or one shared with a group or with all IT staff
 * (curators and admins). Unknown placeholders are refused before anything is saved.
 */
export async function createMacro(db: Db, actor: Actor, input: CreateMacroInput): Promise<MacroRow> {
  await requireMacroUse(db, actor, 'macro.create')
  await requireScopeRight(db, actor, input.scope, 'macro.create')
  const title = checkMacroTitle(input.title)
  const body = checkMacroBody(input.body)
  const setStatus = checkMacroStatus(input.setStatus)
  const setPriority = checkMacroPriority(input.setPriority)
  checkMacroKind(input.internal === true, setStatus)
  return transact(db, async (tx) => {
    const groupId = await checkedGroup(tx, input.scope, input.groupId)
    const at = now()
    const created = await tx
      .insertInto('macros')
      .values({
        title,
        body,
        internal: input.internal ? 1 : 0,
        owner_id: input.scope === 'personal' ? actor.id : null,
        group_id: groupId,
        set_status: setStatus,
        set_priority: setPriority,
        created_by: actor.id,
        created_at: at,
        updated_at: at,
        archived_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'macro.create',
      objectType: 'macro',
      objectId: created.id,
      description: `Создан шаблон ответа № ${created.id}`,
      details: { scope: input.scope, groupId, setStatus, setPriority, internal: input.internal === true },
    })
    const macro = await findMacro(tx, created.id)
    if (!macro) throw new Error(`macro ${created.id} vanished in its own transaction`)
    return macro
  })
}
