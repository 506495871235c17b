import type { Category, Priority, Tx } from '#src/db/schema.ts'
import { type SettingValue, settingDefaults, settingSchemas } from '#src/settings/settings.ts'
import { computeDeadlines, type Deadlines } from './rules.ts'

type Terms = { deadlines: SettingValue<'tickets.deadlines'>; hours: SettingValue<'tickets.working_hours'> }

/**
 * A ticket's deadlines counted from `from` by the settings in force: the terms (`tickets.deadlines`) on the clock
 * of the priority (`tickets.working_hours`), both read in one query — filing, a change of priority or category
 * and an approval all count them so.
 */
export async function ticketDeadlines(
  tx: Tx,
  from: string,
  priority: Priority,
  category: Pick<Category, 'response_minutes' | 'resolution_minutes'> | null,
): Promise<Deadlines> {
  const { deadlines, hours } = await deadlineTerms(tx)
  return computeDeadlines(from, priority, category, deadlines, hours)
}

async function deadlineTerms(tx: Tx): Promise<Terms> {
  const rows = await tx
    .selectFrom('settings')
    .select(['key', 'value'])
    .where('key', 'in', ['tickets.deadlines', 'tickets.working_hours'])
    .execute()
  const stored = (key: 'tickets.deadlines' | 'tickets.working_hours') => {
    const row = rows.find((r) => r.key === key)
    const parsed = row ? settingSchemas[key].safeParse(JSON.parse(row.value)) : undefined
    return parsed?.success ? parsed.data : settingDefaults[key]
  }
  return {
    deadlines: stored('tickets.deadlines') as Terms['deadlines'],
    hours: stored('tickets.working_hours') as Terms['hours'],
  }
}
