import { Hono } from 'hono'
import { z } from 'zod'
import { listCategories } from '#src/categories/category-store.ts'
import { CATEGORY_DESCRIPTION_MAX, CATEGORY_SORT_LIMIT, createCategory } from '#src/categories/create-category.ts'
import { updateCategory } from '#src/categories/update-category.ts'
import { priorities } from '#src/db/schema.ts'
import { isStaff } from '#src/tickets/rules.ts'
import { can } from '#src/users/permissions.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { presentCategory } from './present.ts'
import { dbId, idParam, jsonBody, q, queryOf, text } from './validate.ts'

const id = dbId()
const minutes = z
  .number()
  .int()
  .positive()
  .max(365 * 24 * 60)
const fields = {
  name: text(200),
  description: text(CATEGORY_DESCRIPTION_MAX).nullable(),
  parent_id: id.nullable(),
  default_group_id: id.nullable(),
  default_priority: z.enum(priorities),
  response_minutes: minutes.nullable(),
  resolution_minutes: minutes.nullable(),
  sort_order: z.number().int().min(-CATEGORY_SORT_LIMIT).max(CATEGORY_SORT_LIMIT),
  requires_approval: z.boolean(),
}

export const categoryListQuery = z.object({ active_only: q.bool().optional() }).strict()
export const createCategoryBody = z
  .object({
    name: fields.name,
    description: fields.description.optional(),
    parent_id: fields.parent_id.optional(),
    default_group_id: fields.default_group_id.optional(),
    default_priority: fields.default_priority.optional(),
    response_minutes: fields.response_minutes.optional(),
    resolution_minutes: fields.resolution_minutes.optional(),
    sort_order: fields.sort_order.optional(),
    requires_approval: fields.requires_approval.optional(),
  })
  .strict()
export const updateCategoryBody = createCategoryBody
  .extend({ name: fields.name.optional(), active: z.boolean().optional() })
  .strict()

type CategoryFields = Omit<z.output<typeof createCategoryBody>, 'name'>

function toInput(body: CategoryFields) {
  return {
    description: body.description,
    parentId: body.parent_id,
    defaultGroupId: body.default_group_id,
    defaultPriority: body.default_priority,
    responseMinutes: body.response_minutes,
    resolutionMinutes: body.resolution_minutes,
    sortOrder: body.sort_order,
    requiresApproval: body.requires_approval,
  }
}

/** /categories: ticket categories with routing and deadlines (disable with `{"active": false}`). */
export function categoryRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)

  routes.get('/', async (c) => {
    const query = queryOf(c, categoryListQuery)
    // Those who manage categories see the disabled ones unless they ask otherwise; other staff when they
    // ask (`active_only=false`); a requester never: they only ever choose among the active ones.
    const actor = c.get('actor')
    const activeOnly = !isStaff(actor) || (query.active_only ?? !can(actor, 'category.manage'))
    const items = await listCategories(c.get('deps').db, { activeOnly })
    return c.json({ items: items.map(presentCategory) })
  })

  routes.post('/', async (c) => {
    const body = await jsonBody(c, createCategoryBody)
    const category = await createCategory(c.get('deps').db, c.get('actor'), { name: body.name, ...toInput(body) })
    return c.json(presentCategory(category), 201)
  })

  routes.patch('/:id', async (c) => {
    const categoryId = idParam(c)
    const body = await jsonBody(c, updateCategoryBody)
    const category = await updateCategory(c.get('deps').db, c.get('actor'), {
      id: categoryId,
      name: body.name,
      active: body.active,
      ...toInput(body),
    })
    return c.json(presentCategory(category))
  })

  return routes
}
