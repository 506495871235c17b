import { Hono } from 'hono'
import { z } from 'zod'
import { priorities } from '#src/db/schema.ts'
import { createPlan } from '#src/plans/create-plan.ts'
import { listPlans } from '#src/plans/list-plans.ts'
import { PLAN_DESCRIPTION_MAX, PLAN_TITLE_MAX } from '#src/plans/plan-rules.ts'
import type { PlanRow, PlanRunRow } from '#src/plans/plan-store.ts'
import { previewSchedule } from '#src/plans/preview-schedule.ts'
import { runPlanNow } from '#src/plans/run-plan-now.ts'
import { updatePlan } from '#src/plans/update-plan.ts'
import { viewPlan } from '#src/plans/view-plan.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { bool } from './present.ts'
import { dbId, idParam, jsonBody, text } from './validate.ts'

const schedule = z
  .string()
  .max(100)
  .describe(
    'Пять полей cron (минута час день месяц день-недели) во времени больницы (TZ_DISPLAY). Куратору — только вида «M H * * *», «M H * * D», «M H D * *» (D месяца 1–28); иное — администратору',
  )

export const createPlanBody = z
  .object({
    title: text(PLAN_TITLE_MAX),
    /** Placeholders: {{дата}}, {{месяц}}, {{год}} — of the run, in the hospital's days. */
    description: text(PLAN_DESCRIPTION_MAX),
    category_id: dbId(),
    group_id: dbId(),
    priority: z.enum(priorities),
    schedule,
    active: z.boolean().optional(),
  })
  .strict()

export const updatePlanBody = createPlanBody
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'Укажите, что изменить')

export const previewScheduleBody = z.object({ schedule }).strict()

/** A body's fields as the use cases name them: all of them to create, those given to change. */
function planInput<B extends Partial<z.output<typeof createPlanBody>>>(
  body: B,
): {
  title: B['title']
  description: B['description']
  categoryId: B['category_id']
  groupId: B['group_id']
  priority: B['priority']
  schedule: B['schedule']
  active: B['active']
} {
  return {
    title: body.title,
    description: body.description,
    categoryId: body.category_id,
    groupId: body.group_id,
    priority: body.priority,
    schedule: body.schedule,
    active: body.active,
  }
}

/** A plan as the API shows it. */
export function presentPlan(plan: PlanRow) {
  return {
    id: plan.id,
    title: plan.title,
    description: plan.description,
    category_id: plan.category_id,
    category_name: plan.category_name,
    group_id: plan.group_id,
    group_name: plan.group_name,
    priority: plan.priority,
    schedule: plan.schedule,
    active: bool(plan.active),
    requester_id: plan.requester_id,
    next_run_at: plan.next_run_at,
    last_run_at: plan.last_run_at,
    last_ticket_id: plan.last_ticket_id,
    created_by: plan.created_by,
    created_at: plan.created_at,
    updated_at: plan.updated_at,
  }
}

export function presentPlanRun(run: PlanRunRow) {
  return {
    id: run.id,
    kind: run.kind,
    due_at: run.due_at,
    missed: Number(run.missed),
    ran_at: run.ran_at,
    ticket_id: run.ticket_id,
    ticket_title: run.ticket_title,
    ticket_status: run.ticket_status,
    error: run.error,
    actor_id: run.actor_id,
  }
}

/** /plans: «Плановые работы» — IT staff read; curators and admins create, change, pause and run them now. */
export function planRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)

  routes.get('/', async (c) => {
    const items = await listPlans(c.get('deps').db, c.get('actor'))
    return c.json({ items: items.map(presentPlan) })
  })

  routes.post('/', async (c) => {
    const body = await jsonBody(c, createPlanBody)
    const { db, config } = c.get('deps')
    const plan = await createPlan(db, c.get('actor'), planInput(body), config.tzDisplay)
    return c.json(presentPlan(plan), 201)
  })

  routes.post('/preview', async (c) => {
    const body = await jsonBody(c, previewScheduleBody)
    const { db, config } = c.get('deps')
    const preview = await previewSchedule(db, c.get('actor'), { schedule: body.schedule }, config.tzDisplay)
    return c.json({ schedule: preview.schedule, time_zone: config.tzDisplay, runs: preview.runs })
  })

  routes.get('/:id', async (c) => {
    const { plan, runs } = await viewPlan(c.get('deps').db, c.get('actor'), { id: idParam(c) })
    return c.json({ ...presentPlan(plan), runs: runs.map(presentPlanRun) })
  })

  routes.patch('/:id', async (c) => {
    const id = idParam(c)
    const body = await jsonBody(c, updatePlanBody)
    const { db, config } = c.get('deps')
    const plan = await updatePlan(db, c.get('actor'), { id, ...planInput(body) }, config.tzDisplay)
    return c.json(presentPlan(plan))
  })

  routes.post('/:id/run', async (c) => {
    const { db, config } = c.get('deps')
    const ticket = await runPlanNow(db, c.get('actor'), { id: idParam(c) }, config.tzDisplay)
    return c.json({ ticket_id: ticket.id, title: ticket.title, group_id: ticket.group_id, status: ticket.status }, 201)
  })

  return routes
}
