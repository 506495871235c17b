import type { Outage, TicketStatus, Tx } from '#src/db/schema.ts'

/** An outage with its parent ticket's title and status and the count of its children. */
export interface OutageRow extends Outage {
  ticket_title: string
  ticket_status: TicketStatus
  /** Tickets linked to the parent as its children (joined by «У меня тоже», or linked by staff). */
  children: number
}

/** An outage's page: the row, the names of its departments and categories. */
export interface OutageDetails extends OutageRow {
  departments: Array<{ id: number; name: string }>
  categories: Array<{ id: number; name: string }>
}

function outagesWithTickets(db: Tx) {
  return db
    .selectFrom('outages')
    .innerJoin('tickets', 'tickets.id', 'outages.ticket_id')
    .selectAll('outages')
    .select(['tickets.title as ticket_title', 'tickets.status as ticket_status'])
    .select((eb) =>
      eb
        .selectFrom('ticket_links')
        .select((inner) => inner.fn.countAll<number | string>().as('n'))
        .whereRef('ticket_links.ticket_id', '=', 'outages.ticket_id')
        .where('ticket_links.kind', '=', 'parent')
        .where('ticket_links.undone_at', 'is', null)
        .as('children'),
    )
}

function row<T extends { children: number | string | null }>(r: T): T & { children: number } {
  return { ...r, children: Number(r.children ?? 0) }
}

export async function findOutage(db: Tx, id: number): Promise<OutageRow | undefined> {
  const found = await outagesWithTickets(db).where('outages.id', '=', id).executeTakeFirst()
  return found && row(found)
}

export async function findOutageOfTicket(db: Tx, ticketId: number): Promise<OutageRow | undefined> {
  const found = await outagesWithTickets(db).where('outages.ticket_id', '=', ticketId).executeTakeFirst()
  return found && row(found)
}

/** Outages shown on the list: open ones first (newest first), then the resolved, newest first. */
export async function listOutageRows(
  db: Tx,
  options: { openOnly?: boolean; limit?: number } = {},
): Promise<OutageRow[]> {
  let query = outagesWithTickets(db)
  if (options.openOnly) query = query.where('outages.resolved_at', 'is', null)
  const rows = await query
    .orderBy((eb) => eb.case().when('outages.resolved_at', 'is', null).then(0).else(1).end())
    .orderBy('outages.id', 'desc')
    .limit(options.limit ?? 200)
    .execute()
  return rows.map(row)
}

export async function outageDetails(db: Tx, outage: OutageRow): Promise<OutageDetails> {
  const departments = await db
    .selectFrom('outage_departments')
    .innerJoin('departments', 'departments.id', 'outage_departments.department_id')
    .select(['departments.id', 'departments.name'])
    .where('outage_departments.outage_id', '=', outage.id)
    .orderBy('departments.name')
    .execute()
  const categories = await db
    .selectFrom('outage_categories')
    .innerJoin('categories', 'categories.id', 'outage_categories.category_id')
    .select(['categories.id', 'categories.name'])
    .where('outage_categories.outage_id', '=', outage.id)
    .orderBy('categories.name')
    .execute()
  return { ...outage, departments, categories }
}

/**
 * The open outage that covers a person's department and a category (itself, or its parent): the newest if
 * several do. What the bot offers after the category in «Новая заявка».
 */
export async function openOutageCovering(
  db: Tx,
  where: { departmentId: number; categoryId: number },
): Promise<Outage | undefined> {
  const category = await db
    .selectFrom('categories')
    .select(['id', 'parent_id'])
    .where('id', '=', where.categoryId)
    .executeTakeFirst()
  if (!category) return undefined
  const covering = category.parent_id === null ? [category.id] : [category.id, category.parent_id]
  return db
    .selectFrom('outages')
    .selectAll('outages')
    .where('outages.resolved_at', 'is', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('outage_departments')
          .select('outage_departments.outage_id')
          .whereRef('outage_departments.outage_id', '=', 'outages.id')
          .where('outage_departments.department_id', '=', where.departmentId),
      ),
    )
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('outage_categories')
          .select('outage_categories.outage_id')
          .whereRef('outage_categories.outage_id', '=', 'outages.id')
          .where('outage_categories.category_id', 'in', covering),
      ),
    )
    .orderBy('outages.id', 'desc')
    .executeTakeFirst()
}

/** Whether a category is one the outage covers (itself or its parent). */
export async function outageCoversCategory(db: Tx, outageId: number, categoryId: number): Promise<boolean> {
  const category = await db
    .selectFrom('categories')
    .select(['id', 'parent_id'])
    .where('id', '=', categoryId)
    .executeTakeFirst()
  if (!category) return false
  const covering = category.parent_id === null ? [category.id] : [category.id, category.parent_id]
  const hit = await db
    .selectFrom('outage_categories')
    .select('category_id')
    .where('outage_id', '=', outageId)
    .where('category_id', 'in', covering)
    .executeTakeFirst()
  return hit !== undefined
}

export async function outageHasDepartment(db: Tx, outageId: number, departmentId: number): Promise<boolean> {
  const hit = await db
    .selectFrom('outage_departments')
    .select('department_id')
    .where('outage_id', '=', outageId)
    .where('department_id', '=', departmentId)
    .executeTakeFirst()
  return hit !== undefined
}

/** The children of a parent ticket not yet resolved, closed or cancelled, in number order. */
export async function openChildrenOf(
  db: Tx,
  parentTicketId: number,
): Promise<Array<{ id: number; requester_id: number; status: TicketStatus }>> {
  return db
    .selectFrom('ticket_links')
    .innerJoin('tickets', 'tickets.id', 'ticket_links.other_id')
    .select(['tickets.id', 'tickets.requester_id', 'tickets.status'])
    .where('ticket_links.ticket_id', '=', parentTicketId)
    .where('ticket_links.kind', '=', 'parent')
    .where('ticket_links.undone_at', 'is', null)
    .where('tickets.status', 'in', ['new', 'in_progress', 'waiting'])
    .orderBy('tickets.id')
    .execute()
}

/** A person's child ticket of this parent, if they joined it already. */
export async function childOfRequester(db: Tx, parentTicketId: number, userId: number): Promise<number | undefined> {
  const found = await db
    .selectFrom('ticket_links')
    .innerJoin('tickets', 'tickets.id', 'ticket_links.other_id')
    .select('tickets.id')
    .where('ticket_links.ticket_id', '=', parentTicketId)
    .where('ticket_links.kind', '=', 'parent')
    .where('ticket_links.undone_at', 'is', null)
    .where('tickets.requester_id', '=', userId)
    .executeTakeFirst()
  return found?.id
}

export async function hasOptedOut(db: Tx, userId: number): Promise<boolean> {
  const hit = await db.selectFrom('outage_opt_outs').select('user_id').where('user_id', '=', userId).executeTakeFirst()
  return hit !== undefined
}
