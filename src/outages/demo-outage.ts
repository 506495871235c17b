import type { Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { insertLink } from '#src/tickets/ticket-links-store.ts'
import { defaultAnnouncement } from './outage-rules.ts'

const TITLE = 'МИС не работает в корпусе 2'
const PLACE = 'корпус 2'
const CHILDREN = 3

/**
 * The demo's open outage («Массовый сбой», issue 14): «МИС не работает в корпусе 2» on an open ticket of the МИС
 * errors, affecting the departments of building 2, with a few of their open tickets linked as its children (as
 * «У меня тоже» would; the demo's count of tickets stays as asked). No announcement is queued (the demo's people are
 * not in Telegram). Kept when it exists (a second run).
 */
export async function addDemoOutage(
  tx: Tx,
  context: { departments: ReadonlyArray<{ id: number; building: number }> },
): Promise<number> {
  const exists = await tx.selectFrom('outages').select('id').where('title', '=', TITLE).executeTakeFirst()
  if (exists) return 0
  const category =
    (await tx.selectFrom('categories').selectAll().where('name', '=', 'Ошибка в МИС').executeTakeFirst()) ??
    (await tx.selectFrom('categories').selectAll().where('active', '=', 1).orderBy('id').executeTakeFirst())
  const departmentIds = context.departments.filter((d) => d.building === 2).map((d) => d.id)
  if (!category || departmentIds.length === 0) return 0
  // One row each (executeTakeFirst alone reads every match: 0.7 s at a million tickets).
  const inWork = () =>
    tx.selectFrom('tickets').selectAll().where('status', '=', 'in_progress').orderBy('id', 'desc').limit(1)
  // A ticket of the МИС errors in building 2 when the year drew one; else any of the МИС errors; else any in work.
  const parent =
    (await inWork()
      .where('category_id', '=', category.id)
      .where('department_id', 'in', departmentIds)
      .executeTakeFirst()) ??
    (await inWork().where('category_id', '=', category.id).executeTakeFirst()) ??
    (await inWork().executeTakeFirst())
  if (!parent) return 0
  const at = now()
  const outage = await tx
    .insertInto('outages')
    .values({
      ticket_id: parent.id,
      title: TITLE,
      place: PLACE,
      announcement: defaultAnnouncement(TITLE, PLACE),
      declared_by: parent.assignee_id,
      declared_at: at,
      resolved_at: null,
      resolved_by: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await tx
    .insertInto('outage_departments')
    .values(departmentIds.map((id) => ({ outage_id: outage.id, department_id: id })))
    .execute()
  await tx.insertInto('outage_categories').values({ outage_id: outage.id, category_id: category.id }).execute()
  // Joined by tickets the year already drew (a demo of N tickets keeps N): the newest open ones of building 2.
  const children = await tx
    .selectFrom('tickets')
    .select(['id'])
    .where('status', 'in', ['new', 'in_progress'])
    .where('department_id', 'in', departmentIds)
    .where('id', '!=', parent.id)
    .where('merged_into_id', 'is', null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom('ticket_links').select('ticket_links.id').whereRef('ticket_links.other_id', '=', 'tickets.id'),
        ),
      ),
    )
    .orderBy('id', 'desc')
    .limit(CHILDREN)
    .execute()
  // Rows only, as the rest of the demo: its timelines hold the year's own events (generate.test.ts counts them).
  for (const child of children) {
    await insertLink(tx, { ticketId: parent.id, otherId: child.id, kind: 'parent', actorId: null, at })
  }
  return children.length
}
