import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import type { Actor } from '#src/users/actor.ts'
import { requirePlanView } from './plan-access.ts'
import { checkSchedule, nextRuns, PREVIEW_RUNS, presetOf, type SchedulePreset } from './plan-rules.ts'

export interface SchedulePreview {
  schedule: string
  /** The preset it is, or `cron`. */
  preset: SchedulePreset
  /** The next occurrences after now, UTC. */
  runs: string[]
}

/** The next five runs of a schedule before it is saved (IT staff); a wrong schedule is refused in Russian. */
export async function previewSchedule(
  db: Db,
  actor: Actor,
  input: { schedule: string },
  timeZone: string,
): Promise<SchedulePreview> {
  await requirePlanView(db, actor, 'plan.preview')
  const from = new Date(now())
  const schedule = checkSchedule(input.schedule, timeZone, from)
  return {
    schedule,
    preset: presetOf(schedule),
    runs: nextRuns(schedule, timeZone, from, PREVIEW_RUNS).map((d) => d.toISOString()),
  }
}
