import { Hono } from 'hono'
import { z } from 'zod'
import { setDepartmentHead } from '#src/approvals/set-department-head.ts'
import { transact } from '#src/db/transaction.ts'
import { createDepartment, SORT_ORDER_LIMIT } from '#src/departments/create-department.ts'
import { listDepartments } from '#src/departments/department-store.ts'
import { updateDepartment } from '#src/departments/update-department.ts'
import { isStaff } from '#src/tickets/rules.ts'
import { authorize } from '#src/users/authorize.ts'
import { can } from '#src/users/permissions.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { presentDepartment } from './present.ts'
import { idParam, jsonBody, q, queryOf, text } from './validate.ts'

const sortOrder = z.number().int().min(-SORT_ORDER_LIMIT).max(SORT_ORDER_LIMIT)

export const departmentListQuery = z.object({ active_only: q.bool().optional() }).strict()
export const createDepartmentBody = z.object({ name: text(200), sort_order: sortOrder.optional() }).strict()
export const updateDepartmentBody = z
  .object({
    name: text(200).optional(),
    active: z.boolean().optional(),
    sort_order: sortOrder.optional(),
    /** Issue 14: the head who approves its access requests; null — none, the curators approve. */
    head_user_id: z.number().int().min(1).max(2_147_483_647).nullable().optional(),
  })
  .strict()

/** /departments: the hospital's departments (disable with `{"active": false}`). */
export function departmentRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)

  routes.get('/', async (c) => {
    const query = queryOf(c, departmentListQuery)
    // Those who manage departments see the disabled ones unless they ask otherwise; other staff when they
    // ask (`active_only=false`); a requester never.
    const actor = c.get('actor')
    const activeOnly = !isStaff(actor) || (query.active_only ?? !can(actor, 'department.manage'))
    const items = await listDepartments(c.get('deps').db, { activeOnly })
    return c.json({ items: items.map(presentDepartment) })
  })

  routes.post('/', async (c) => {
    const body = await jsonBody(c, createDepartmentBody)
    const department = await createDepartment(c.get('deps').db, c.get('actor'), {
      name: body.name,
      sortOrder: body.sort_order,
    })
    return c.json(presentDepartment(department), 201)
  })

  routes.patch('/:id', async (c) => {
    const id = idParam(c)
    const body = await jsonBody(c, updateDepartmentBody)
    const { db } = c.get('deps')
    const actor = c.get('actor')
    const change = { id, name: body.name, active: body.active, sortOrder: body.sort_order }
    const headUserId = body.head_user_id
    if (headUserId === undefined) return c.json(presentDepartment(await updateDepartment(db, actor, change)))
    // The fields and the head, both or neither (a refused head leaves the name as it was): one transaction. The
    // permission is checked before it opens, so that a refusal's journal entry is not rolled back with it.
    await authorize(
      db,
      actor,
      'department.manage',
      {
        action: 'department.update',
        objectType: 'department',
        objectId: id,
        description: `Отказано в изменении отделения № ${id}`,
      },
      'Нет прав изменять список отделений',
    )
    const department = await transact(db, async (tx) => {
      await updateDepartment(tx, actor, change)
      return setDepartmentHead(tx, actor, { departmentId: id, headUserId })
    })
    return c.json(presentDepartment(department))
  })

  return routes
}
