import type { Updateable } from 'kysely'
import { audit } from '#src/audit/journal.ts'
import type { CategoriesTable, Category, Db, Priority } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { integerIn, NAME_MAX, optionalText, requiredText } from '#src/users/fields.ts'
import {
  checkDefaultGroup,
  checkParent,
  checkPriority,
  findCategory,
  minutesOrNull,
  siblingNamed,
} from './category-store.ts'
import { CATEGORY_DESCRIPTION_MAX, CATEGORY_SORT_LIMIT } from './create-category.ts'

/** Fields left out stay as they are; null clears a nullable one. */
export interface UpdateCategoryInput {
  id: number
  name?: string
  description?: string | null
  parentId?: number | null
  defaultGroupId?: number | null
  defaultPriority?: Priority
  responseMinutes?: number | null
  resolutionMinutes?: number | null
  sortOrder?: number
  /** False disables it: not offered for new заявки, kept on old ones. */
  active?: boolean
  /** Its tickets wait for approval (issue 14). */
  requiresApproval?: boolean
}

type CategoryChanges = Omit<Updateable<CategoriesTable>, 'id' | 'created_at' | 'updated_at'>

/** Edits, moves, disables or enables a category (curator or admin). */
export async function updateCategory(db: Db, actor: Actor, input: UpdateCategoryInput): Promise<Category> {
  await authorize(
    db,
    actor,
    'category.manage',
    {
      action: 'category.update',
      objectType: 'category',
      objectId: input.id,
      description: `Отказано в изменении категории № ${input.id}`,
    },
    'Нет прав изменять категории',
  )
  const wanted: CategoryChanges = {}
  if (input.name !== undefined) wanted.name = requiredText(input.name, { label: 'Название', max: NAME_MAX })
  if (input.description !== undefined) {
    wanted.description = optionalText(input.description, { label: 'Описание', max: CATEGORY_DESCRIPTION_MAX })
  }
  if (input.parentId !== undefined) wanted.parent_id = input.parentId
  if (input.defaultGroupId !== undefined) wanted.default_group_id = input.defaultGroupId
  if (input.defaultPriority !== undefined) wanted.default_priority = checkPriority(input.defaultPriority)
  if (input.responseMinutes !== undefined) {
    wanted.response_minutes = minutesOrNull(input.responseMinutes, 'Срок реакции, минут')
  }
  if (input.resolutionMinutes !== undefined) {
    wanted.resolution_minutes = minutesOrNull(input.resolutionMinutes, 'Срок решения, минут')
  }
  if (input.sortOrder !== undefined) {
    wanted.sort_order = integerIn(input.sortOrder, -CATEGORY_SORT_LIMIT, CATEGORY_SORT_LIMIT, 'Порядок')
  }
  if (input.active !== undefined) wanted.active = input.active ? 1 : 0
  if (input.requiresApproval !== undefined) wanted.requires_approval = input.requiresApproval ? 1 : 0

  return transact(db, async (tx) => {
    const category = await findCategory(tx, input.id)
    if (!category) throw new DomainError('not_found', 'Категория не найдена')
    const changes = onlyChanged(category, wanted)
    if (changes.parent_id !== undefined && changes.parent_id !== null) {
      if (changes.parent_id === category.id)
        throw new DomainError('validation', 'Категория не может быть своей родительской')
      await checkParent(tx, changes.parent_id)
      const child = await tx
        .selectFrom('categories')
        .select('id')
        .where('parent_id', '=', category.id)
        .executeTakeFirst()
      if (child) throw new DomainError('validation', 'У категории есть подкатегории: её нельзя вложить в другую')
    }
    if (changes.default_group_id !== undefined && changes.default_group_id !== null) {
      await checkDefaultGroup(tx, changes.default_group_id)
    }
    if (changes.name !== undefined || changes.parent_id !== undefined) {
      const name = changes.name ?? category.name
      const parentId = changes.parent_id === undefined ? category.parent_id : changes.parent_id
      if (await siblingNamed(tx, name, parentId, category.id)) {
        throw new DomainError('conflict', 'Категория с таким названием здесь уже есть')
      }
    }
    if (Object.keys(changes).length === 0) return category
    const updated = await tx
      .updateTable('categories')
      .set({ ...changes, updated_at: now() })
      .where('id', '=', category.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'category.update',
      objectType: 'category',
      objectId: category.id,
      description: `Изменена категория № ${category.id}`,
      details: { changes },
    })
    return updated
  })
}

/** The wanted values that differ from the row: an edit form that resubmits everything changes nothing. */
function onlyChanged(row: Category, wanted: CategoryChanges): CategoryChanges {
  const changed: CategoryChanges = {}
  if (wanted.name !== undefined && wanted.name !== row.name) changed.name = wanted.name
  if (wanted.description !== undefined && wanted.description !== row.description) {
    changed.description = wanted.description
  }
  if (wanted.parent_id !== undefined && wanted.parent_id !== row.parent_id) changed.parent_id = wanted.parent_id
  if (wanted.default_group_id !== undefined && wanted.default_group_id !== row.default_group_id) {
    changed.default_group_id = wanted.default_group_id
  }
  if (wanted.default_priority !== undefined && wanted.default_priority !== row.default_priority) {
    changed.default_priority = wanted.default_priority
  }
  if (wanted.response_minutes !== undefined && wanted.response_minutes !== row.response_minutes) {
    changed.response_minutes = wanted.response_minutes
  }
  if (wanted.resolution_minutes !== undefined && wanted.resolution_minutes !== row.resolution_minutes) {
    changed.resolution_minutes = wanted.resolution_minutes
  }
  if (wanted.sort_order !== undefined && wanted.sort_order !== row.sort_order) changed.sort_order = wanted.sort_order
  if (wanted.active !== undefined && Number(wanted.active) !== Number(row.active)) changed.active = wanted.active
  if (wanted.requires_approval !== undefined && Number(wanted.requires_approval) !== Number(row.requires_approval)) {
    changed.requires_approval = wanted.requires_approval
  }
  return changed
}
