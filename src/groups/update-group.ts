import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { NAME_MAX, optionalText, requiredText } from '#src/users/fields.ts'
import { refuseDuplicate } from '#src/users/unique.ts'
import { GROUP_DESCRIPTION_MAX } from './create-group.ts'
import {
  checkedMemberIds,
  findGroup,
  type GroupWithMembers,
  groupMemberIds,
  groupNamed,
  replaceMembers,
} from './group-store.ts'

export interface UpdateGroupInput {
  id: number
  name?: string
  /** null clears it. */
  description?: string | null
  active?: boolean
  /** The complete new member list. */
  memberIds?: number[]
}

/** Renames, describes, disables or re-staffs an executor group (curator or admin). */
export async function updateGroup(db: Db, actor: Actor, input: UpdateGroupInput): Promise<GroupWithMembers> {
  await authorize(
    db,
    actor,
    'group.manage',
    {
      action: 'group.update',
      objectType: 'executor_group',
      objectId: input.id,
      description: `Отказано в изменении группы исполнителей № ${input.id}`,
    },
    'Нет прав изменять группы исполнителей',
  )
  const name = input.name === undefined ? undefined : requiredText(input.name, { label: 'Название', max: NAME_MAX })
  const description =
    input.description === undefined
      ? undefined
      : optionalText(input.description, { label: 'Описание', max: GROUP_DESCRIPTION_MAX })
  return refuseDuplicate('Группа с таким названием уже есть', () =>
    transact(db, async (tx) => {
      const group = await findGroup(tx, input.id)
      if (!group) throw new DomainError('not_found', 'Группа исполнителей не найдена')
      if (name !== undefined && (await groupNamed(tx, name, group.id))) {
        throw new DomainError('conflict', 'Группа с таким названием уже есть')
      }
      const before = await groupMemberIds(tx, group.id)
      const memberIds = input.memberIds === undefined ? before : await checkedMemberIds(tx, input.memberIds, before)
      const membersChanged = memberIds.join(',') !== before.join(',')
      const changes = {
        ...(name !== undefined && name !== group.name ? { name } : {}),
        ...(description !== undefined && description !== group.description ? { description } : {}),
        ...(input.active !== undefined && Number(input.active) !== Number(group.active)
          ? { active: input.active ? (1 as const) : (0 as const) }
          : {}),
      }
      if (Object.keys(changes).length === 0 && !membersChanged) return { ...group, memberIds }
      const updated = await tx
        .updateTable('executor_groups')
        .set({ ...changes, updated_at: now() })
        .where('id', '=', group.id)
        .returningAll()
        .executeTakeFirstOrThrow()
      if (membersChanged) await replaceMembers(tx, group.id, memberIds)
      await audit(tx, actor, {
        action: 'group.update',
        objectType: 'executor_group',
        objectId: group.id,
        description: `Изменена группа исполнителей № ${group.id}`,
        details: { changes, ...(membersChanged ? { memberIds: { from: before, to: memberIds } } : {}) },
      })
      return { ...updated, memberIds }
    }),
  )
}
