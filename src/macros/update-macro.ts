import type { Updateable } from 'kysely'
import { audit } from '#src/audit/journal.ts'
import type { Db, MacrosTable, Priority } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import {
  checkedGroup,
  journalingMacroDenials,
  loadVisibleMacro,
  requireMacroUse,
  requireScopeRight,
} from './macro-access.ts'
import {
  checkMacroBody,
  checkMacroKind,
  checkMacroPriority,
  checkMacroStatus,
  checkMacroTitle,
  type MacroScope,
  type MacroStatus,
  mayEditMacro,
  scopeOf,
} from './macro-rules.ts'
import { findMacro, type MacroRow } from './macro-store.ts'

export interface UpdateMacroInput {
  id: number
  title?: string
  body?: string
  internal?: boolean
  /** A new scope (with `groupId` for a group); absent: as it was. */
  scope?: MacroScope
  groupId?: number | null
  /** null: sets no status any more. */
  setStatus?: MacroStatus | string | null
  setPriority?: Priority | string | null
}

/**
 * Changes a canned response: one's own, or a shared one (curators and admins). Moving it to another scope needs
 * the right to both.
 */
export async function updateMacro(db: Db, actor: Actor, input: UpdateMacroInput): Promise<MacroRow> {
  await requireMacroUse(db, actor, 'macro.update', input.id)
  if (input.scope !== undefined) await requireScopeRight(db, actor, input.scope, 'macro.update')
  const title = input.title === undefined ? undefined : checkMacroTitle(input.title)
  const body = input.body === undefined ? undefined : checkMacroBody(input.body)
  const setStatus = input.setStatus === undefined ? undefined : checkMacroStatus(input.setStatus)
  const setPriority = input.setPriority === undefined ? undefined : checkMacroPriority(input.setPriority)
  return journalingMacroDenials(db, actor, { action: 'macro.update', macroId: input.id }, () =>
    transact(db, async (tx) => {
      const macro = await loadVisibleMacro(tx, actor, input.id)
      if (!mayEditMacro(actor, macro)) {
        throw new DomainError('forbidden', 'Общие шаблоны (для группы или для всех) ведут кураторы и администраторы')
      }
      const change: Updateable<MacrosTable> = {}
      if (title !== undefined && title !== macro.title) change.title = title
      if (body !== undefined && body !== macro.body) change.body = body
      if (input.internal !== undefined && Number(input.internal) !== Number(macro.internal)) {
        change.internal = input.internal ? (1 as const) : (0 as const)
      }
      if (setStatus !== undefined && setStatus !== macro.set_status) change.set_status = setStatus
      if (setPriority !== undefined && setPriority !== macro.set_priority) change.set_priority = setPriority
      const before = scopeOf(macro)
      if (input.scope !== undefined) {
        const wanted = input.scope === 'group' ? (input.groupId ?? macro.group_id) : null
        // The group is checked (it exists, it is active) only when it changes: a macro shared with a group disabled
        // since keeps it through other changes, as the form offers it.
        const groupId =
          input.scope === before && wanted === macro.group_id
            ? macro.group_id
            : await checkedGroup(tx, input.scope, wanted)
        const ownerId = input.scope === 'personal' ? (before === 'personal' ? macro.owner_id : actor.id) : null
        if (ownerId !== macro.owner_id) change.owner_id = ownerId
        if (groupId !== macro.group_id) change.group_id = groupId
      }
      checkMacroKind(
        Number(change.internal ?? macro.internal) === 1,
        'set_status' in change ? (change.set_status ?? null) : macro.set_status,
      )
      if (Object.keys(change).length === 0) return macro
      await tx
        .updateTable('macros')
        .set({ ...change, updated_at: now() })
        .where('id', '=', macro.id)
        .execute()
      const after = scopeOf({
        owner_id: 'owner_id' in change ? (change.owner_id ?? null) : macro.owner_id,
        group_id: 'group_id' in change ? (change.group_id ?? null) : macro.group_id,
      })
      await audit(tx, actor, {
        action: 'macro.update',
        objectType: 'macro',
        objectId: macro.id,
        description: `Изменён шаблон ответа № ${macro.id}`,
        details: {
          changed: Object.keys(change).filter((key) => key !== 'title' && key !== 'body'),
          ...(change.title !== undefined ? { title: true } : {}),
          ...(change.body !== undefined ? { body: true } : {}),
          ...(after !== before ? { scope: { from: before, to: after } } : {}),
        },
      })
      const updated = await findMacro(tx, macro.id)
      if (!updated) throw new Error(`macro ${macro.id} vanished in its own transaction`)
      return updated
    }),
  )
}
