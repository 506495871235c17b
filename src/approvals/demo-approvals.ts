import type { Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { titleFromDescription } from '#src/tickets/rules.ts'
import { reindexTicket } from '#src/tickets/ticket-search.ts'

const PARENT = 'Доступы'
const CHILDREN = ['Доступ к МИС', 'Доступ к 1С', 'ЭЦП', 'VPN'] as const
const HEADED = 4
const AWAITING: ReadonlyArray<{ category: (typeof CHILDREN)[number]; description: string }> = [
  { category: 'Доступ к МИС', description: 'Прошу открыть доступ к МИС новой медсестре отделения с понедельника.' },
  { category: 'ЭЦП', description: 'Нужна ЭЦП для подписи больничных листов: сертификат истёк.' },
]

/**
 * The demo's approvals («Согласование», issue 14): the category «Доступы» requiring approval, with «Доступ к МИС»,
 * «Доступ к 1С», «ЭЦП» and «VPN» under it (they inherit it), routed to the МИС group; heads for the first few clinical
 * departments (one of their own people); and a couple of requests awaiting those heads. Kept when it exists.
 */
export async function addDemoApprovals(
  tx: Tx,
  context: { departments: ReadonlyArray<{ id: number; name: string }>; itDepartment: string },
): Promise<number> {
  const exists = await tx.selectFrom('categories').select('id').where('name', '=', PARENT).executeTakeFirst()
  if (exists) return 0
  const mis = await tx
    .selectFrom('categories')
    .select('default_group_id')
    .where('name', '=', 'МИС')
    .where('parent_id', 'is', null)
    .executeTakeFirst()
  const at = now()
  const parent = await tx
    .insertInto('categories')
    .values({
      name: PARENT,
      description: 'Доступ к МИС, 1С, ЭЦП, VPN — после согласования заведующего отделением',
      parent_id: null,
      default_group_id: mis?.default_group_id ?? null,
      default_priority: 'normal',
      response_minutes: null,
      resolution_minutes: null,
      sort_order: 1000,
      requires_approval: 1,
      created_at: at,
      updated_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const children = new Map<string, number>()
  for (const [i, name] of CHILDREN.entries()) {
    const row = await tx
      .insertInto('categories')
      .values({
        name,
        description: null,
        parent_id: parent.id,
        default_group_id: mis?.default_group_id ?? null,
        default_priority: 'normal',
        response_minutes: null,
        resolution_minutes: null,
        sort_order: i * 10,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    children.set(name, row.id)
  }

  const marksBefore = Number(
    (
      await tx
        .selectFrom('stats_daily_dirty')
        .select((eb) => eb.fn.coalesce(eb.fn.max('id'), eb.lit(0)).as('id'))
        .executeTakeFirstOrThrow()
    ).id,
  )
  // Two of the year's newest untouched tickets, of two departments, become requests awaiting their heads: someone
  // of the department other than the requester heads it. A few more departments get a head with nothing waiting.
  const departments = context.departments.filter((d) => d.name !== context.itDepartment).map((d) => d.id)
  const fresh = await tx
    .selectFrom('tickets')
    .select(['id', 'department_id', 'requester_id'])
    .where('status', '=', 'new')
    .where('assignee_id', 'is', null)
    .where('merged_into_id', 'is', null)
    .where('department_id', 'in', departments.length > 0 ? departments : [-1])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('ticket_links')
            .select('ticket_links.id')
            .where((link) =>
              link.or([
                link('ticket_links.ticket_id', '=', link.ref('tickets.id')),
                link('ticket_links.other_id', '=', link.ref('tickets.id')),
              ]),
            ),
        ),
      ),
    )
    .orderBy('id', 'desc')
    .limit(50)
    .execute()
  const headed = new Set<number>()
  let filed = 0
  for (const ticket of fresh) {
    const request = AWAITING[filed]
    const categoryId = request ? children.get(request.category) : undefined
    if (!request || categoryId === undefined || ticket.department_id === null) break
    if (headed.has(ticket.department_id)) continue
    const head = await firstPerson(tx, ticket.department_id, ticket.requester_id)
    if (head === undefined) continue
    await setHead(tx, ticket.department_id, head)
    headed.add(ticket.department_id)
    await turnIntoRequest(tx, { id: ticket.id, categoryId, description: request.description })
    filed++
  }
  for (const departmentId of departments) {
    if (headed.size >= HEADED) break
    if (headed.has(departmentId)) continue
    const head = await firstPerson(tx, departmentId, null)
    if (head === undefined) continue
    await setHead(tx, departmentId, head)
    headed.add(departmentId)
  }
  // The load marked each hour of the year's tickets once (demo/bulk.ts); the requests' triggers marked their hours
  // again: the same summary's work twice.
  await tx
    .deleteFrom('stats_daily_dirty')
    .where('id', '>', marksBefore)
    .where((eb) =>
      eb(
        eb.fn('substr', ['at', eb.lit(1), eb.lit(13)]),
        'in',
        eb
          .selectFrom('stats_daily_dirty as loaded')
          .select((inner) => inner.fn('substr', ['loaded.at', inner.lit(1), inner.lit(13)]).as('hour'))
          .where('loaded.id', '<=', marksBefore),
      ),
    )
    .execute()
  return filed
}

/** The department's first active requester by id (not `except`): the demo's head of it. */
async function firstPerson(tx: Tx, departmentId: number, except: number | null): Promise<number | undefined> {
  const person = await tx
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'requester')
    .where('status', '=', 'active')
    .where('department_id', '=', departmentId)
    .where('id', '!=', except ?? -1)
    .orderBy('id')
    .executeTakeFirst()
  return person?.id
}

async function setHead(tx: Tx, departmentId: number, headId: number): Promise<void> {
  await tx.updateTable('departments').set({ head_user_id: headId }).where('id', '=', departmentId).execute()
}

/**
 * One of the year's new, untouched tickets becomes an access request awaiting its department's head — the demo
 * keeps the number of tickets asked for, and writes rows only: no journal entry claiming a person filed it, no
 * Telegram notice to a demo person. Its deadlines go (they run from the approval); its «created» event says
 * `approval`; its full-text row is rewritten.
 */
async function turnIntoRequest(tx: Tx, input: { id: number; categoryId: number; description: string }): Promise<void> {
  const category = await tx
    .selectFrom('categories')
    .select(['default_group_id', 'default_priority'])
    .where('id', '=', input.categoryId)
    .executeTakeFirstOrThrow()
  await tx
    .updateTable('tickets')
    .set({
      title: titleFromDescription(input.description),
      description: input.description,
      category_id: input.categoryId,
      priority: category.default_priority,
      group_id: category.default_group_id,
      status: 'approval',
      response_due_at: null,
      resolution_due_at: null,
      response_breached_at: null,
      resolution_breached_at: null,
      equipment_id: null,
    })
    .where('id', '=', input.id)
    .execute()
  await tx
    .updateTable('ticket_events')
    .set({ to_value: 'approval' })
    .where('ticket_id', '=', input.id)
    .where('kind', '=', 'created')
    .execute()
  await reindexTicket(tx, input.id)
}
