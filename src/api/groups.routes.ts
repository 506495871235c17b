import { Hono } from 'hono'
import { z } from 'zod'
import { createGroup, GROUP_DESCRIPTION_MAX } from '#src/groups/create-group.ts'
import { listGroups } from '#src/groups/group-store.ts'
import { updateGroup } from '#src/groups/update-group.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { presentGroup } from './present.ts'
import { dbId, idParam, jsonBody, text } from './validate.ts'

const memberIds = z.array(dbId()).max(500)

export const createGroupBody = z
  .object({
    name: text(200),
    description: text(GROUP_DESCRIPTION_MAX).nullable().optional(),
    member_ids: memberIds.optional(),
  })
  .strict()
export const updateGroupBody = z
  .object({
    name: text(200).optional(),
    description: text(GROUP_DESCRIPTION_MAX).nullable().optional(),
    active: z.boolean().optional(),
    /** The complete new member list. */
    member_ids: memberIds.optional(),
  })
  .strict()

/** /groups: executor groups and their members (disable with `{"active": false}`). */
export function groupRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)

  routes.get('/', async (c) => {
    const items = await listGroups(c.get('deps').db)
    return c.json({ items: items.map(presentGroup) })
  })

  routes.post('/', async (c) => {
    const body = await jsonBody(c, createGroupBody)
    const group = await createGroup(c.get('deps').db, c.get('actor'), {
      name: body.name,
      description: body.description,
      memberIds: body.member_ids,
    })
    return c.json(presentGroup(group), 201)
  })

  routes.patch('/:id', async (c) => {
    const id = idParam(c)
    const body = await jsonBody(c, updateGroupBody)
    const group = await updateGroup(c.get('deps').db, c.get('actor'), {
      id,
      name: body.name,
      description: body.description,
      active: body.active,
      memberIds: body.member_ids,
    })
    return c.json(presentGroup(group))
  })

  return routes
}
