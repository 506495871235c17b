import { Hono } from 'hono'
import { z } from 'zod'
import { roles, userStatuses } from '#src/db/schema.ts'
import { changeRole } from '#src/users/change-role.ts'
import { confirmUser } from '#src/users/confirm-user.ts'
import { createUser } from '#src/users/create-user.ts'
import { deactivateUser } from '#src/users/deactivate-user.ts'
import { reactivateUser } from '#src/users/reactivate-user.ts'
import { REJECTION_REASON_MAX, rejectUser } from '#src/users/reject-user.ts'
import { searchUsers } from '#src/users/search-users.ts'
import { USERS_PER_PAGE, USERS_PER_PAGE_MAX } from '#src/users/user-store.ts'
import { viewUser } from '#src/users/view-user.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { presentUser } from './present.ts'
import { dbId, idParam, jsonBody, q, queryOf, text } from './validate.ts'

export const createUserBody = z
  .object({
    full_name: text(200),
    role: z.enum(roles),
    login: text(100).nullable().optional(),
    password: text(256).nullable().optional(),
    department_id: dbId().nullable().optional(),
    phone: text(50).nullable().optional(),
    position: text(200).nullable().optional(),
    room: text(200).nullable().optional(),
    telegram_chat_id: text(30).nullable().optional(),
  })
  .strict()

export const userListQuery = z
  .object({
    status: z.enum(userStatuses).optional(),
    role: z.enum(roles).optional(),
    q: text(200).optional(),
    department_id: q.int().optional(),
    page: q.int(1, 1_000_000).optional(),
    per_page: q.int(1, USERS_PER_PAGE_MAX).optional(),
  })
  .strict()

export const rejectBody = z.object({ reason: text(REJECTION_REASON_MAX) }).strict()
export const roleBody = z.object({ role: z.enum(roles) }).strict()

/** /users: accounts — creation by an admin, the registration queue, the lifecycle and roles. */
export function userRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)

  routes.post('/', async (c) => {
    const body = await jsonBody(c, createUserBody)
    const user = await createUser(c.get('deps').db, c.get('actor'), {
      fullName: body.full_name,
      role: body.role,
      login: body.login,
      password: body.password,
      departmentId: body.department_id,
      phone: body.phone,
      position: body.position,
      room: body.room,
      telegramChatId: body.telegram_chat_id,
    })
    return c.json(presentUser(user), 201)
  })

  routes.get('/', async (c) => {
    const query = queryOf(c, userListQuery)
    const page = query.page ?? 1
    const perPage = query.per_page ?? USERS_PER_PAGE
    const result = await searchUsers(c.get('deps').db, c.get('actor'), {
      status: query.status,
      role: query.role,
      q: query.q,
      departmentId: query.department_id,
      page,
      perPage,
    })
    return c.json({ items: result.items.map(presentUser), total: result.total, page, per_page: perPage })
  })

  routes.get('/:id', async (c) => {
    return c.json(presentUser(await viewUser(c.get('deps').db, c.get('actor'), { userId: idParam(c) })))
  })

  routes.post('/:id/confirm', async (c) => {
    return c.json(presentUser(await confirmUser(c.get('deps').db, c.get('actor'), { userId: idParam(c) })))
  })

  routes.post('/:id/reject', async (c) => {
    const userId = idParam(c)
    const body = await jsonBody(c, rejectBody)
    return c.json(presentUser(await rejectUser(c.get('deps').db, c.get('actor'), { userId, reason: body.reason })))
  })

  routes.post('/:id/deactivate', async (c) => {
    return c.json(presentUser(await deactivateUser(c.get('deps').db, c.get('actor'), { userId: idParam(c) })))
  })

  routes.post('/:id/reactivate', async (c) => {
    return c.json(presentUser(await reactivateUser(c.get('deps').db, c.get('actor'), { userId: idParam(c) })))
  })

  routes.post('/:id/role', async (c) => {
    const userId = idParam(c)
    const body = await jsonBody(c, roleBody)
    return c.json(presentUser(await changeRole(c.get('deps').db, c.get('actor'), { userId, role: body.role })))
  })

  return routes
}
