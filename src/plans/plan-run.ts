import type { Transaction } from 'kysely'
import { audit } from '#src/audit/journal.ts'
import type { Database, Plan, Ticket } from '#src/db/schema.ts'
import { isDomainError } from '#src/errors.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import type { Actor } from '#src/users/actor.ts'
import { renderPlanText } from './plan-rules.ts'

export interface PlanRunInput {
  kind: 'schedule' | 'manual'
  /** The occurrence a scheduled run is for (its date fills the placeholders); null for «Запустить сейчас». */
  dueAt: string | null
  /** Occurrences after `dueAt` that a downtime swallowed. */
  missed: number
  at: string
  timeZone: string
}

export interface PlanRunOutcome {
  ticket: Ticket | null
  error: string | null
}

/**
 * One run of a plan inside the caller's transaction: the ticket through createTicket (its own checks, events,
 * journal entry and notices to the group), the run's row, the plan's last ticket, the journal entry. A scheduled
 * run the ticket rules refuse (a category disabled since, a requester deactivated) is recorded with the reason and
 * the plan goes on; a manual one is refused to the person who pressed the button.
 */
export async function fileRun(
  tx: Transaction<Database>,
  actor: Actor,
  plan: Plan,
  input: PlanRunInput,
): Promise<PlanRunOutcome> {
  const day = input.dueAt ?? input.at
  let ticket: Ticket | null = null
  let error: string | null = null
  try {
    ticket = await createTicket(tx, actor, {
      title: renderPlanText(plan.title, day, input.timeZone),
      description: renderPlanText(plan.description, day, input.timeZone),
      categoryId: plan.category_id,
      groupId: plan.group_id,
      priority: plan.priority,
      requesterId: plan.requester_id,
      location: null,
    })
  } catch (caught) {
    if (input.kind === 'manual' || !isDomainError(caught)) throw caught
    error = caught.message
  }
  await tx
    .insertInto('plan_runs')
    .values({
      plan_id: plan.id,
      kind: input.kind,
      due_at: input.dueAt,
      missed: input.missed,
      ran_at: input.at,
      ticket_id: ticket?.id ?? null,
      error,
      actor_id: input.kind === 'manual' ? actor.id : null,
    })
    .execute()
  if (ticket) {
    await tx
      .updateTable('plans')
      .set({ last_ticket_id: ticket.id, last_run_at: input.at })
      .where('id', '=', plan.id)
      .execute()
  }
  await audit(tx, actor, {
    action: input.kind === 'manual' ? 'plan.run_now' : 'plan.run',
    objectType: 'plan',
    objectId: plan.id,
    result: ticket ? 'success' : 'error',
    description: ticket
      ? `Плановая работа № ${plan.id}: создана заявка № ${ticket.id}`
      : `Плановая работа № ${plan.id}: заявка не создана`,
    details: {
      ticketId: ticket?.id ?? null,
      dueAt: input.dueAt,
      ...(input.missed > 0 ? { missed: input.missed } : {}),
      ...(error !== null ? { error } : {}),
    },
  })
  return { ticket, error }
}
