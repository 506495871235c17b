import type { Macro, Ticket, Tx } from '#src/db/schema.ts'
import { memberGroupIds } from '#src/groups/group-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import type { MacroContext } from './macro-rules.ts'

/** A macro with the name of the group it is shared with. */
export interface MacroRow extends Macro {
  group_name: string | null
}

const collator = new Intl.Collator('ru', { sensitivity: 'base', numeric: true })

function byTitle(a: MacroRow, b: MacroRow): number {
  return collator.compare(a.title, b.title) || a.id - b.id
}

function macrosWithGroups(db: Tx) {
  return db
    .selectFrom('macros')
    .leftJoin('executor_groups', 'executor_groups.id', 'macros.group_id')
    .selectAll('macros')
    .select('executor_groups.name as group_name')
}

/** The macro, archived or not. */
export async function findMacro(db: Tx, id: number): Promise<MacroRow | undefined> {
  return macrosWithGroups(db).where('macros.id', '=', id).executeTakeFirst()
}

/**
 * The macros the actor may use (macro-rules.ts `mayUseMacro`), by title: their own, their groups' (every group's
 * for curators and admins), everyone's. Archived ones are gone.
 */
export async function listUsableMacros(db: Tx, actor: Actor): Promise<MacroRow[]> {
  if (!can(actor, 'macro.use')) return []
  const groups = await memberGroupIds(db, actor.id)
  const everyGroup = can(actor, 'macro.manage_shared')
  const rows = await macrosWithGroups(db)
    .where('macros.archived_at', 'is', null)
    .where((eb) =>
      eb.or([
        ...(actor.id === null ? [] : [eb('macros.owner_id', '=', actor.id)]),
        eb.and([eb('macros.owner_id', 'is', null), eb('macros.group_id', 'is', null)]),
        ...(everyGroup
          ? [eb('macros.group_id', 'is not', null)]
          : groups.length > 0
            ? [eb('macros.group_id', 'in', groups)]
            : []),
      ]),
    )
    .execute()
  return rows.sort(byTitle)
}

/** What fills a macro's placeholders for this ticket and this staff member. */
export async function macroContext(
  db: Tx,
  ticket: Pick<Ticket, 'id' | 'title' | 'requester_id'>,
  actor: Actor,
): Promise<MacroContext> {
  const ids = actor.id === null ? [ticket.requester_id] : [ticket.requester_id, actor.id]
  const people = await db
    .selectFrom('users')
    .select(['id', 'full_name', 'blocked_at', 'pseudonymised_at'])
    .where('id', 'in', ids)
    .execute()
  const requester = people.find((p) => p.id === ticket.requester_id)
  const staff = people.find((p) => p.id === actor.id)
  return {
    ticket: { id: ticket.id, title: ticket.title },
    requester: {
      full_name: requester?.full_name ?? '',
      hidden: !requester || requester.blocked_at !== null || requester.pseudonymised_at !== null,
    },
    staff: { full_name: staff?.full_name ?? '' },
  }
}
