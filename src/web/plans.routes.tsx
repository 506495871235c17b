import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { listCategories } from '#src/categories/category-store.ts'
import { isDomainError } from '#src/errors.ts'
import { parseId } from '#src/format/ids.ts'
import { listGroups } from '#src/groups/group-store.ts'
import { createPlan } from '#src/plans/create-plan.ts'
import { listPlans } from '#src/plans/list-plans.ts'
import {
  PLAN_DESCRIPTION_MAX,
  PLAN_TITLE_MAX,
  presetOf,
  presetToCron,
  type SchedulePreset,
} from '#src/plans/plan-rules.ts'
import type { PlanRow } from '#src/plans/plan-store.ts'
import { previewSchedule } from '#src/plans/preview-schedule.ts'
import { runPlanNow } from '#src/plans/run-plan-now.ts'
import { updatePlan } from '#src/plans/update-plan.ts'
import { viewPlan } from '#src/plans/view-plan.ts'
import { can } from '#src/users/permissions.ts'
import { attempt, FormProblem, onlyWith, outcomeOf, type WebContext, wantedActive } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { msg, t } from './i18n.ts'
import { requireSession } from './session.ts'
import {
  NewPlanPage,
  type PlanFormProps,
  PlanPage,
  PlansPage,
  type PlanValues,
  SchedulePreview,
  type SchedulePreviewProps,
  scheduleLabel,
} from './views/plans.tsx'

/** The outcome line after a redirect: a fixed code in the URL, never text from it. */
const outcomes: Record<string, string> = {
  created: msg('Плановая работа создана'),
  saved: msg('Изменения сохранены'),
  paused: msg('Плановая работа приостановлена: заявки по расписанию не создаются'),
  resumed: msg('Плановая работа возобновлена'),
  ran: msg('Заявка создана и направлена группе'),
}

const blank: PlanValues = {
  title: '',
  description: '',
  categoryId: '',
  groupId: '',
  priority: 'normal',
  kind: 'monthly',
  time: '09:00',
  weekday: '1',
  day: '1',
  cron: '',
}

/**
 * /plans («Плановые работы»): IT staff see the plans, their runs and tickets; curators and admins create, edit,
 * pause and run them now. The schedule editor offers presets (raw cron to admins) and shows the next five runs
 * before saving: swapped by htmx as the schedule changes, or by the «Показать ближайшие запуски» button.
 */
export function planRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('plan.view', 'Плановые работы'))
  const manageOnly = onlyWith('plan.manage', 'Плановые работы: изменение')

  routes.get('/', async (c) => {
    const { db, config } = c.get('deps')
    const actor = c.get('actor')
    return c.html(
      <PlansPage
        user={c.get('user')}
        csrf={c.get('csrf')}
        plans={await listPlans(db, actor)}
        manage={can(actor, 'plan.manage')}
        tz={config.tzDisplay}
        outcome={outcomeOf(c, outcomes)}
      />,
    )
  })

  routes.get('/new', manageOnly, async (c) => renderNew(c, blank))

  routes.post('/preview', async (c) => {
    const values = await formValues(c)
    return c.html(<SchedulePreview {...(await previewOf(c, values))} />)
  })

  routes.post('/', manageOnly, async (c) => {
    const values = await formValues(c)
    if (values.intent === 'preview') return renderNew(c, values)
    const { db, config } = c.get('deps')
    let created: PlanRow | undefined
    const refused = await attempt(
      async () => {
        created = await createPlan(db, c.get('actor'), planInput(values), config.tzDisplay)
      },
      (message) => renderNew(c, values, message),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect(`/plans/${created?.id ?? ''}?done=created`, 303)
  })

  routes.get('/:id', async (c) => renderPlan(c, idParam(c)))

  routes.post('/:id', manageOnly, async (c) => {
    const id = idParam(c)
    const values = await formValues(c)
    if (values.intent === 'preview') return renderPlan(c, id, { values })
    const { db, config } = c.get('deps')
    const refused = await attempt(
      () => updatePlan(db, c.get('actor'), { id, ...planInput(values) }, config.tzDisplay),
      (message) => renderPlan(c, id, { values, error: message }),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect(`/plans/${id}?done=saved`, 303)
  })

  routes.post('/:id/active', manageOnly, async (c) => {
    const id = idParam(c)
    const form = await readForm(c)
    const { db, config } = c.get('deps')
    let active = false
    const refused = await attempt(
      async () => {
        active = wantedActive(form)
        await updatePlan(db, c.get('actor'), { id, active }, config.tzDisplay)
      },
      (message) => renderPlan(c, id, { problem: message }),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect(`/plans/${id}?done=${active ? 'resumed' : 'paused'}`, 303)
  })

  routes.post('/:id/run', manageOnly, async (c) => {
    const id = idParam(c)
    const { db, config } = c.get('deps')
    const refused = await attempt(
      () => runPlanNow(db, c.get('actor'), { id }, config.tzDisplay),
      (message) => renderPlan(c, id, { problem: message }),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect(`/plans/${id}?done=ran#runs`, 303)
  })

  return routes
}

type FormValues = PlanValues & { intent: string }

async function formValues(c: WebContext): Promise<FormValues> {
  const form = await readForm(c)
  const text = (name: string, max: number) => form.text(name, max) ?? ''
  // Cut past the limit (in UTF-16 units, two for an emoji): longer text stays too long, refused by the use case.
  const over = (max: number) => (max + 1) * 2
  return {
    title: text('title', over(PLAN_TITLE_MAX)),
    description: text('description', over(PLAN_DESCRIPTION_MAX)),
    categoryId: text('category_id', 12),
    groupId: text('group_id', 12),
    priority: text('priority', 20),
    kind: text('kind', 20) || 'monthly',
    time: text('time', 10),
    weekday: text('weekday', 2),
    day: text('day', 4),
    cron: text('cron', 120),
    intent: text('intent', 20),
  }
}

/** The editor's parts as a preset; a Russian refusal for what is none. */
function presetOfForm(values: PlanValues): SchedulePreset {
  switch (values.kind) {
    case 'daily':
      return { kind: 'daily', time: values.time }
    case 'weekly':
      return { kind: 'weekly', weekday: Number(values.weekday), time: values.time }
    case 'monthly':
      return { kind: 'monthly', day: Number(values.day), time: values.time }
    case 'cron':
      return { kind: 'cron', cron: values.cron }
    default:
      throw new FormProblem(t('Выберите вид расписания'))
  }
}

function formId(value: string, message: string): number {
  const id = parseId(value)
  if (id === undefined) throw new FormProblem(message)
  return id
}

function planInput(values: PlanValues) {
  return {
    title: values.title,
    description: values.description,
    categoryId: formId(values.categoryId, t('Выберите категорию')),
    groupId: formId(values.groupId, t('Выберите группу исполнителей')),
    priority: values.priority,
    schedule: presetToCron(presetOfForm(values)),
  }
}

function valuesOf(plan: PlanRow): PlanValues {
  const preset = presetOf(plan.schedule)
  return {
    title: plan.title,
    description: plan.description,
    categoryId: String(plan.category_id),
    groupId: String(plan.group_id),
    priority: plan.priority,
    kind: preset.kind,
    time: preset.kind === 'cron' ? '09:00' : preset.time,
    weekday: preset.kind === 'weekly' ? String(preset.weekday) : '1',
    day: preset.kind === 'monthly' ? String(preset.day) : '1',
    cron: plan.schedule,
  }
}

/** The next five runs of the schedule as typed, or why there are none. */
async function previewOf(c: WebContext, values: PlanValues): Promise<SchedulePreviewProps> {
  const { db, config } = c.get('deps')
  const tz = config.tzDisplay
  try {
    const preview = await previewSchedule(db, c.get('actor'), { schedule: presetToCron(presetOfForm(values)) }, tz)
    return { runs: preview.runs, label: scheduleLabel(preview.schedule), tz }
  } catch (error) {
    if (error instanceof FormProblem || (isDomainError(error) && error.code === 'validation')) {
      return { problem: error.message, tz }
    }
    throw error
  }
}

async function formProps(
  c: WebContext,
  values: PlanValues,
  plan: PlanRow | undefined,
  error?: string,
): Promise<PlanFormProps> {
  const { db, config } = c.get('deps')
  // Disabled categories and groups are offered no more, except to the plan that has them still.
  const categories = (await listCategories(db)).filter((x) => Number(x.active) === 1 || x.id === plan?.category_id)
  const groups = (await listGroups(db)).filter((g) => Number(g.active) === 1 || g.id === plan?.group_id)
  return {
    user: c.get('user'),
    csrf: c.get('csrf'),
    plan,
    values,
    categories: categories.map((x) => ({ id: x.id, name: x.name })),
    groups: groups.map((g) => ({ id: g.id, name: g.name })),
    rawCron: can(c.get('actor'), 'plan.raw_cron'),
    tz: config.tzDisplay,
    preview: await previewOf(c, values),
    error,
  }
}

async function renderNew(c: WebContext, values: PlanValues, error?: string) {
  const form = await formProps(c, values, undefined, error)
  return c.html(<NewPlanPage user={c.get('user')} csrf={c.get('csrf')} form={form} />, error ? 422 : 200)
}

async function renderPlan(
  c: WebContext,
  id: number,
  state: { values?: PlanValues; error?: string; problem?: string } = {},
) {
  const { db, config } = c.get('deps')
  const actor = c.get('actor')
  const { plan, runs } = await viewPlan(db, actor, { id })
  const manage = can(actor, 'plan.manage')
  const form = manage ? await formProps(c, state.values ?? valuesOf(plan), plan, state.error) : undefined
  return c.html(
    <PlanPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      plan={plan}
      runs={runs}
      manage={manage}
      tz={config.tzDisplay}
      outcome={outcomeOf(c, outcomes)}
      problem={state.problem}
      form={form}
    />,
    state.error || state.problem ? 422 : 200,
  )
}
