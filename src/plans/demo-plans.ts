import type { Category, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { nextRunAfter } from './plan-rules.ts'

/** What the demo generator knows of its hospital: groups by name, leaf categories, the curators and their groups. */
export interface DemoPlanContext {
  groups: ReadonlyMap<string, number>
  categories: ReadonlyArray<{ row: Category }>
  curators: ReadonlyArray<{ id: number; groups: readonly string[] }>
}

const demoPlans = [
  {
    title: 'Обход картриджей — {{месяц}}',
    description:
      'Плановый обход отделений: проверить остаток тонера в принтерах и МФУ, заменить картриджи на исходе, пустые собрать на заправку. Месяц: {{месяц}}.',
    group: 'Оргтехника',
    category: 'Замена картриджа',
    priority: 'normal' as const,
    // 1-го числа каждого месяца в 09:00.
    schedule: '0 9 1 * *',
  },
  {
    title: 'Проверка резервных копий сервера МИС',
    description:
      'Еженедельно: убедиться, что ночные резервные копии базы МИС созданы, не пустые и восстанавливаются на тестовом сервере ({{дата}}).',
    group: 'МИС',
    category: null,
    priority: 'high' as const,
    // По понедельникам в 08:00.
    schedule: '0 8 * * 1',
  },
]

/**
 * The demo's two plans («Плановые работы»): the monthly cartridge round and the weekly check of the МИС server's
 * backups, each in the name of a curator of its group, active from now on. Kept when they exist (a second run).
 */
export async function addDemoPlans(tx: Tx, context: DemoPlanContext, timeZone: string): Promise<number> {
  let added = 0
  const at = now()
  for (const plan of demoPlans) {
    const groupId = context.groups.get(plan.group)
    const category =
      context.categories.find((c) => c.row.name === plan.category) ??
      context.categories.find((c) => c.row.default_group_id === groupId)
    const curator = context.curators.find((c) => c.groups.includes(plan.group)) ?? context.curators[0]
    if (groupId === undefined || !category || !curator) continue
    const exists = await tx.selectFrom('plans').select('id').where('title', '=', plan.title).executeTakeFirst()
    if (exists) continue
    await tx
      .insertInto('plans')
      .values({
        title: plan.title,
        description: plan.description,
        category_id: category.row.id,
        group_id: groupId,
        priority: plan.priority,
        schedule: plan.schedule,
        active: 1,
        requester_id: curator.id,
        next_run_at: nextRunAfter(plan.schedule, timeZone, at),
        last_run_at: null,
        last_ticket_id: null,
        created_by: curator.id,
        created_at: at,
        updated_at: at,
      })
      .execute()
    added++
  }
  return added
}
