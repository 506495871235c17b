import { type Db, type Ticket, type Tx, ticketStatuses } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { activeUserIdsWithRoles, notifyUsers } from '#src/notify/outbox.ts'
import { getSetting } from '#src/settings/settings.ts'
import { finalStatuses } from '#src/tickets/rules.ts'
import { auditTicket } from '#src/tickets/ticket-access.ts'
import { activeGroupStaff, findTicketForUpdate, recordTicketEvent } from '#src/tickets/ticket-store.ts'
import { isWorkingTime, type WorkingHours } from '#src/tickets/working-hours.ts'
import { systemActor } from '#src/users/actor.ts'
import {
  type DueStep,
  dueSteps,
  type EscalationLevel,
  escalationLevelLabels,
  STALE_AFTER_MS,
  type StepTaken,
} from './escalation-rules.ts'
import { curatorsOnDutyIds, onDutyIds } from './on-duty.ts'

const BATCH = 200

/**
 * The worker's schedule (every minute): walks the open tickets whose escalation may have a step due and takes
 * each due step once, one transaction per ticket. A step is claimed by inserting its row of
 * `ticket_escalations`: the unique (ticket, level) index lets only one of two workers (or rounds) insert it, and
 * the other's insert does nothing and tells nobody. Each step notifies its people in Telegram, is a ticket event
 * (`escalated`) and a journal row. Returns the steps taken.
 */
export async function escalateTickets(db: Db): Promise<number> {
  const at = now()
  const cutoff = new Date(Date.parse(at) - STALE_AFTER_MS).toISOString()
  const rules = await getSetting(db, 'escalation.rules')
  const hours = await getSetting(db, 'tickets.working_hours')
  const longest = Math.max(...Object.values(rules).map((r) => r.headAfterMinutes))
  // A deadline step is at most `longest` minutes after the breach, and is taken at most a day late.
  const dueSince = new Date(Date.parse(cutoff) - longest * 60_000).toISOString()
  let steps = 0
  let afterId = 0
  for (;;) {
    const tickets = await candidates(db, { at, cutoff, dueSince, afterId })
    // Read first, outside any transaction: most open tickets have nothing due, and need no lock.
    const taken = await stepsTaken(
      db,
      tickets.map((t) => t.id),
    )
    for (const ticket of tickets) {
      afterId = ticket.id
      const due = dueSteps(factsOf(ticket, hours), taken.get(ticket.id) ?? [], rules[ticket.priority], at)
      if (due.length > 0) steps += await escalateOne(db, ticket.id)
    }
    if (tickets.length < BATCH) break
  }
  return steps
}

/**
 * Open tickets whose resolution deadline is near or recently passed, and critical ones filed in the last day, by
 * id from `afterId`. The two kinds are found through their indexes ((status, resolution_due_at) and (priority,
 * created_at, id)), never by walking the table: every minute at a million tickets that walk held the event loop
 * (~0.5 s on SQLite); this costs what the open tickets do.
 */
async function candidates(
  db: Db,
  range: { at: string; cutoff: string; dueSince: string; afterId: number },
): Promise<Ticket[]> {
  const open = ticketStatuses.filter((status) => !finalStatuses.includes(status))
  return db
    .selectFrom('tickets')
    .selectAll()
    .where('id', '>', range.afterId)
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('tickets as due')
        .select('due.id')
        .where('due.status', 'in', open)
        .where('due.resolution_due_at', '>=', range.dueSince)
        .union(
          eb
            .selectFrom('tickets as urgent')
            .select('urgent.id')
            .where('urgent.priority', '=', 'critical')
            .where('urgent.created_at', '>=', range.cutoff)
            .where('urgent.status', 'in', open),
        ),
    )
    .orderBy('id')
    .limit(BATCH)
    .execute()
}

/** The steps already taken, per ticket. */
async function stepsTaken(db: Tx, ticketIds: readonly number[]): Promise<Map<number, StepTaken[]>> {
  const byTicket = new Map<number, StepTaken[]>()
  if (ticketIds.length === 0) return byTicket
  const rows = await db
    .selectFrom('ticket_escalations')
    .select(['ticket_id', 'level', 'chain', 'at', 'acknowledged_at'])
    .where('ticket_id', 'in', [...ticketIds])
    .execute()
  for (const { ticket_id, ...step } of rows) byTicket.set(ticket_id, [...(byTicket.get(ticket_id) ?? []), step])
  return byTicket
}

function factsOf(ticket: Ticket, hours: WorkingHours) {
  return {
    priority: ticket.priority,
    createdAt: ticket.created_at,
    resolutionDueAt: ticket.resolution_due_at,
    assigneeId: ticket.assignee_id,
    filedAtNight: ticket.priority === 'critical' && !isWorkingTime(ticket.created_at, hours),
  }
}

async function escalateOne(db: Db, ticketId: number): Promise<number> {
  return transact(db, async (tx) => {
    const at = now()
    // Under the ticket's lock: a change of status or assignee, or another worker, came first or waits.
    const ticket = await findTicketForUpdate(tx, ticketId)
    if (!ticket || finalStatuses.includes(ticket.status)) return 0
    const taken = (await stepsTaken(tx, [ticket.id])).get(ticket.id) ?? []
    const rules = await getSetting(tx, 'escalation.rules')
    const hours = await getSetting(tx, 'tickets.working_hours')
    const due = dueSteps(factsOf(ticket, hours), taken, rules[ticket.priority], at)
    let count = 0
    for (const step of due) {
      if (await takeStep(tx, ticket, step, at)) count++
    }
    return count
  })
}

/** Claims one step by its row, then tells its people, records the event and journals it. */
async function takeStep(tx: Tx, ticket: Ticket, step: DueStep, at: string): Promise<boolean> {
  const people = await recipients(tx, ticket, step.level, at)
  const claimed = await tx
    .insertInto('ticket_escalations')
    .values({
      ticket_id: ticket.id,
      level: step.level,
      chain: step.chain,
      notified: JSON.stringify(people),
      at,
      acknowledged_at: null,
      acknowledged_by: null,
    })
    .onConflict((oc) => oc.columns(['ticket_id', 'level']).doNothing())
    .returning('id')
    .executeTakeFirst()
  if (claimed === undefined) return false
  const critical = step.chain === 'critical'
  await notifyUsers(tx, people, {
    kind: 'ticket_escalated',
    ticketId: ticket.id,
    data: { level: step.level, critical },
  })
  await recordTicketEvent(tx, {
    ticketId: ticket.id,
    actorId: null,
    kind: 'escalated',
    from: step.chain,
    to: step.level,
    details: { level: step.level, userId: people[0] ?? null, userIds: people, chain: step.chain, dueAt: step.dueAt },
    at,
  })
  await auditTicket(
    tx,
    systemActor(),
    ticket,
    'ticket.escalated',
    `Заявка № ${ticket.id}: эскалация, уровень ${step.level} — ${escalationLevelLabels[step.level]}`,
    { level: step.level, chain: step.chain, userIds: people },
  )
  return true
}

/**
 * Who a level calls. 1: the assignee. 2: the group's people on duty (its executors; its curators only when no one
 * else is on duty there); nobody on duty — every active member of the group (someone must hear of it); a ticket
 * without a group — every active curator. 3: the curators on duty; none — every active curator. 4: the head of IT
 * (setting `escalation.head_of_it`, when an active account); otherwise every active admin.
 */
async function recipients(tx: Tx, ticket: Ticket, level: EscalationLevel, at: string): Promise<number[]> {
  switch (level) {
    case 1:
      return ticket.assignee_id === null ? [] : [ticket.assignee_id]
    case 2: {
      if (ticket.group_id === null) return activeUserIdsWithRoles(tx, ['curator'])
      const onDuty = await onDutyIds(tx, ticket.group_id, at)
      return onDuty.length > 0 ? onDuty : activeGroupStaff(tx, ticket.group_id)
    }
    case 3: {
      const onDuty = await curatorsOnDutyIds(tx, at)
      return onDuty.length > 0 ? onDuty : activeUserIdsWithRoles(tx, ['curator'])
    }
    case 4: {
      const head = await getSetting(tx, 'escalation.head_of_it')
      if (head !== null) {
        const user = await tx.selectFrom('users').select(['id', 'status']).where('id', '=', head).executeTakeFirst()
        if (user?.status === 'active') return [user.id]
      }
      return activeUserIdsWithRoles(tx, ['admin'])
    }
  }
}
