import type { Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { addDays, localDay } from '#src/format/zone-days.ts'
import { mondayOf, shiftEnd, wallTimeToUtc } from './duty-rules.ts'

/** What the demo generator knows of its IT staff: groups by name, each group's people, the curators. */
export interface DemoDutyContext {
  groups: ReadonlyMap<string, number>
  byGroup: ReadonlyMap<string, ReadonlyArray<{ id: number; role: 'executor' | 'curator' }>>
  curators: ReadonlyArray<{ id: number; groups: readonly string[] }>
}

/**
 * The demo's roster («Дежурства»): for the current and the next week, each group's executors take turns at the day
 * (08:00–20:00) and the night (20:00–08:00) shifts, and the curators take turns at a day-long shift (08:00–08:00) in
 * their first group. Kept as it is when the weeks already have shifts (a second run).
 */
export async function addDemoDuty(tx: Tx, context: DemoDutyContext, timeZone: string): Promise<number> {
  const at = now()
  const monday = mondayOf(localDay(at, timeZone))
  const from = wallTimeToUtc(monday, '00:00', timeZone) ?? at
  const existing = await tx.selectFrom('duty_shifts').select('id').where('starts_at', '>=', from).executeTakeFirst()
  if (existing) return 0
  const rows: Array<{
    group_id: number
    user_id: number
    day: string
    from: string
    to: string
    kind: 'day' | 'night' | 'other'
  }> = []
  for (let d = 0; d < 14; d++) {
    const day = addDays(monday, d)
    for (const [name, groupId] of context.groups) {
      const executors = (context.byGroup.get(name) ?? []).filter((p) => p.role === 'executor')
      if (executors.length === 0) continue
      const dayPerson = executors[d % executors.length]
      const nightPerson = executors[(d + 1) % executors.length]
      if (dayPerson)
        rows.push({ group_id: groupId, user_id: dayPerson.id, day, from: '08:00', to: '20:00', kind: 'day' })
      if (nightPerson)
        rows.push({ group_id: groupId, user_id: nightPerson.id, day, from: '20:00', to: '08:00', kind: 'night' })
    }
    const curator = context.curators[d % Math.max(1, context.curators.length)]
    const curatorGroup = curator?.groups[0] === undefined ? undefined : context.groups.get(curator.groups[0])
    if (curator && curatorGroup !== undefined) {
      rows.push({ group_id: curatorGroup, user_id: curator.id, day, from: '08:00', to: '08:00', kind: 'other' })
    }
  }
  const values = rows.flatMap((r) => {
    const startsAt = wallTimeToUtc(r.day, r.from, timeZone)
    const endsAt = shiftEnd(r.day, r.from, r.to, timeZone)
    if (startsAt === undefined || endsAt === undefined) return []
    const note = null
    return [
      {
        group_id: r.group_id,
        user_id: r.user_id,
        starts_at: startsAt,
        ends_at: endsAt,
        kind: r.kind,
        note,
        created_by: null,
        created_at: at,
        updated_by: null,
        updated_at: at,
      },
    ]
  })
  if (values.length > 0) await tx.insertInto('duty_shifts').values(values).execute()
  return values.length
}
