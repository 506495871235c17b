import { audit } from '#src/audit/journal.ts'
import type { Category, Db, Priority } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { integerIn, NAME_MAX, optionalText, requiredText } from '#src/users/fields.ts'
import { checkDefaultGroup, checkParent, checkPriority, minutesOrNull, siblingNamed } from './category-store.ts'

export interface CreateCategoryInput {
  name: string
  description?: string | null
  /** A top-level category; categories have one level. */
  parentId?: number | null
  /** The executor group that receives its заявки. */
  defaultGroupId?: number | null
  defaultPriority?: Priority
  /** Overrides of the priority's deadlines, in minutes. */
  responseMinutes?: number | null
  resolutionMinutes?: number | null
  sortOrder?: number
  /** Its tickets wait for the head of the requester's department (issue 14); its subcategories inherit it. */
  requiresApproval?: boolean
}

export const CATEGORY_DESCRIPTION_MAX = 2000
export const CATEGORY_SORT_LIMIT = 1_000_000

/** Creates a category of заявки (curator or admin). */
export async function createCategory(db: Db, actor: Actor, input: CreateCategoryInput): Promise<Category> {
  await authorize(
    db,
    actor,
    'category.manage',
    { action: 'category.create', objectType: 'category', description: 'Отказано в создании категории' },
    'Нет прав изменять категории',
  )
  const name = requiredText(input.name, { label: 'Название', max: NAME_MAX })
  const description = optionalText(input.description, { label: 'Описание', max: CATEGORY_DESCRIPTION_MAX })
  const defaultPriority = checkPriority(input.defaultPriority ?? 'normal')
  const responseMinutes = minutesOrNull(input.responseMinutes ?? null, 'Срок реакции, минут')
  const resolutionMinutes = minutesOrNull(input.resolutionMinutes ?? null, 'Срок решения, минут')
  const sortOrder = integerIn(input.sortOrder ?? 0, -CATEGORY_SORT_LIMIT, CATEGORY_SORT_LIMIT, 'Порядок')
  const parentId = input.parentId ?? null
  const defaultGroupId = input.defaultGroupId ?? null

  return transact(db, async (tx) => {
    if (parentId !== null) await checkParent(tx, parentId)
    if (defaultGroupId !== null) await checkDefaultGroup(tx, defaultGroupId)
    if (await siblingNamed(tx, name, parentId)) {
      throw new DomainError('conflict', 'Категория с таким названием здесь уже есть')
    }
    const at = now()
    const category = await tx
      .insertInto('categories')
      .values({
        name,
        description,
        parent_id: parentId,
        default_group_id: defaultGroupId,
        default_priority: defaultPriority,
        response_minutes: responseMinutes,
        resolution_minutes: resolutionMinutes,
        sort_order: sortOrder,
        requires_approval: input.requiresApproval ? 1 : 0,
        created_at: at,
        updated_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'category.create',
      objectType: 'category',
      objectId: category.id,
      description: `Создана категория № ${category.id}`,
      details: {
        name,
        parentId,
        defaultGroupId,
        defaultPriority,
        responseMinutes,
        resolutionMinutes,
        sortOrder,
        ...(input.requiresApproval ? { requiresApproval: true } : {}),
      },
    })
    return category
  })
}
