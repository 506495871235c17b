import type { Plan, PlanRun, Priority, TicketStatus, Tx } from '#src/db/schema.ts'

/** A plan with the names of its category and group. */
export interface PlanRow extends Plan {
  category_name: string | null
  group_name: string | null
}

/** A run with its ticket's title and status (none when the run filed nothing). */
export interface PlanRunRow extends PlanRun {
  ticket_title: string | null
  ticket_status: TicketStatus | null
  ticket_priority: Priority | null
}

/** Runs shown with a plan: the newest. */
const PLAN_RUNS_SHOWN = 50

const collator = new Intl.Collator('ru', { sensitivity: 'base', numeric: true })

function plansWithNames(db: Tx) {
  return db
    .selectFrom('plans')
    .leftJoin('categories', 'categories.id', 'plans.category_id')
    .leftJoin('executor_groups', 'executor_groups.id', 'plans.group_id')
    .selectAll('plans')
    .select(['categories.name as category_name', 'executor_groups.name as group_name'])
}

export async function findPlan(db: Tx, id: number): Promise<PlanRow | undefined> {
  return plansWithNames(db).where('plans.id', '=', id).executeTakeFirst()
}

/** Every plan: active ones by their next run, then paused ones by title. */
export async function listPlanRows(db: Tx): Promise<PlanRow[]> {
  const rows = await plansWithNames(db).execute()
  return rows.sort((a, b) => {
    if (a.next_run_at !== null && b.next_run_at !== null) {
      return a.next_run_at.localeCompare(b.next_run_at) || a.id - b.id
    }
    if (a.next_run_at !== null) return -1
    if (b.next_run_at !== null) return 1
    return collator.compare(a.title, b.title) || a.id - b.id
  })
}

/** The plan's newest runs, newest first. */
export async function planRuns(db: Tx, planId: number, limit = PLAN_RUNS_SHOWN): Promise<PlanRunRow[]> {
  return db
    .selectFrom('plan_runs')
    .leftJoin('tickets', 'tickets.id', 'plan_runs.ticket_id')
    .selectAll('plan_runs')
    .select(['tickets.title as ticket_title', 'tickets.status as ticket_status', 'tickets.priority as ticket_priority'])
    .where('plan_runs.plan_id', '=', planId)
    .orderBy('plan_runs.id', 'desc')
    .limit(limit)
    .execute()
}

/** Active plans whose next run is due at `at`, by id from `afterId` on (a batch of the worker's round). */
export async function duePlans(db: Tx, at: string, limit: number, afterId = 0): Promise<Plan[]> {
  return db
    .selectFrom('plans')
    .selectAll()
    .where('active', '=', 1)
    .where('next_run_at', '<=', at)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute()
}
