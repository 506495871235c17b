import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { NAME_MAX, optionalText, requiredText } from '#src/users/fields.ts'
import { refuseDuplicate } from '#src/users/unique.ts'
import { checkedMemberIds, type GroupWithMembers, groupNamed, replaceMembers } from './group-store.ts'

export interface CreateGroupInput {
  name: string
  description?: string | null
  memberIds?: number[]
}

export const GROUP_DESCRIPTION_MAX = 2000

/** Creates an executor group («Сети», «МИС», …) with its members (curator or admin). */
export async function createGroup(db: Db, actor: Actor, input: CreateGroupInput): Promise<GroupWithMembers> {
  await authorize(
    db,
    actor,
    'group.manage',
    { action: 'group.create', objectType: 'executor_group', description: 'Отказано в создании группы исполнителей' },
    'Нет прав изменять группы исполнителей',
  )
  const name = requiredText(input.name, { label: 'Название', max: NAME_MAX })
  const description = optionalText(input.description, { label: 'Описание', max: GROUP_DESCRIPTION_MAX })
  return refuseDuplicate('Группа с таким названием уже есть', () =>
    transact(db, async (tx) => {
      if (await groupNamed(tx, name)) throw new DomainError('conflict', 'Группа с таким названием уже есть')
      const memberIds = await checkedMemberIds(tx, input.memberIds ?? [])
      const at = now()
      const group = await tx
        .insertInto('executor_groups')
        .values({ name, description, created_at: at, updated_at: at })
        .returningAll()
        .executeTakeFirstOrThrow()
      await replaceMembers(tx, group.id, memberIds)
      await audit(tx, actor, {
        action: 'group.create',
        objectType: 'executor_group',
        objectId: group.id,
        description: `Создана группа исполнителей № ${group.id}`,
        details: { name, memberIds },
      })
      return { ...group, memberIds }
    }),
  )
}
