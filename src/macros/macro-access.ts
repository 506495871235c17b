import { auditDenied } from '#src/audit/denied.ts'
import type { Db, Tx } from '#src/db/schema.ts'
import { DomainError, isDomainError } from '#src/errors.ts'
import { memberGroupIds } from '#src/groups/group-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { can } from '#src/users/permissions.ts'
import { type MacroScope, mayUseMacro } from './macro-rules.ts'
import { findMacro, type MacroRow } from './macro-store.ts'

/**
 * The steps the macro use cases share: the door (IT staff only), loading a macro the actor may see, and
 * journaling a refusal after its transaction has rolled back.
 */

/** Refuses (journaled, 403) anyone who may not use macros at all: requesters, accounts that may not act. */
export async function requireMacroUse(db: Db, actor: Actor, action: string, macroId?: number): Promise<void> {
  await authorize(
    db,
    actor,
    'macro.use',
    {
      action,
      objectType: 'macro',
      objectId: macroId ?? null,
      description:
        macroId === undefined ? 'Отказано в доступе к шаблонам ответов' : `Отказано в действии с шаблоном № ${macroId}`,
    },
    'Шаблоны ответов — для сотрудников ИТ-отдела',
  )
}

/**
 * The macro, if the actor may see it. Someone else's personal macro (or a group's the actor is not in) does not
 * exist for them: not_found, so that ids cannot be probed.
 */
export async function loadVisibleMacro(tx: Tx, actor: Actor, macroId: number): Promise<MacroRow> {
  const macro = await findMacro(tx, macroId)
  if (!macro || !mayUseMacro(actor, macro, await memberGroupIds(tx, actor.id))) {
    throw new DomainError('not_found', 'Шаблон не найден')
  }
  return macro
}

/**
 * Runs a macro use case; a refusal for lack of rights, or a macro that exists but is hidden from the actor, is
 * journaled as denied in a transaction of its own (the use case's has rolled back), then rethrown.
 */
export async function journalingMacroDenials<T>(
  db: Db,
  actor: Actor,
  attempt: { action: string; macroId: number },
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (!isDomainError(error) || (error.code !== 'forbidden' && error.code !== 'not_found')) throw error
    const exists = error.code === 'not_found' && (await findMacro(db, attempt.macroId)) !== undefined
    if (error.code === 'forbidden' || exists) {
      await auditDenied(db, actor, {
        action: attempt.action,
        objectType: 'macro',
        objectId: attempt.macroId,
        description: `Отказано в действии ${attempt.action} с шаблоном № ${attempt.macroId}`,
        details: exists ? { reason: 'not_visible' } : null,
      })
    }
    throw error
  }
}

/** Shared macros are the curators' and admins': anyone else is refused (journaled, 403). */
export async function requireScopeRight(db: Db, actor: Actor, scope: MacroScope, action: string): Promise<void> {
  if (scope === 'personal' || can(actor, 'macro.manage_shared')) return
  await auditDenied(db, actor, {
    action,
    objectType: 'macro',
    description: 'Отказано в изменении общих шаблонов ответов',
    details: { scope },
  })
  throw new DomainError('forbidden', 'Общие шаблоны (для группы или для всех) ведут кураторы и администраторы')
}

/** The group of a group's macro: it must exist and be active; other scopes have none. */
export async function checkedGroup(
  tx: Tx,
  scope: MacroScope,
  groupId: number | null | undefined,
): Promise<number | null> {
  if (scope !== 'group') return null
  if (groupId === null || groupId === undefined) throw new DomainError('validation', 'Выберите группу исполнителей')
  const group = await tx.selectFrom('executor_groups').select('active').where('id', '=', groupId).executeTakeFirst()
  if (!group) throw new DomainError('validation', 'Группа не найдена')
  if (Number(group.active) !== 1) throw new DomainError('validation', 'Группа отключена')
  return groupId
}
