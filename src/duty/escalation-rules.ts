import type { Priority } from '#src/db/schema.ts'

/**
 * When each step of a ticket's escalation falls due (issue 14). Levels: 1 the assignee at `warnAtPercent` of the
 * time from filing to the resolution deadline; 2 the group's duty person at the breach; 3 the curator on duty
 * `curatorAfterMinutes` after it; 4 the head of IT `headAfterMinutes` after it. A critical ticket filed outside
 * working hours starts at level 2 at once, and moves up every ACK_WAIT_MINUTES until someone presses «Принял»;
 * after that only the deadline's own levels remain. Pure: the worker (escalate-tickets.ts) gives the facts.
 */

export const escalationLevels = [1, 2, 3, 4] as const
export type EscalationLevel = (typeof escalationLevels)[number]
export type EscalationChain = 'deadline' | 'critical'

/** «Принял» not pressed in this many minutes: the next level is called. */
export const ACK_WAIT_MINUTES = 10

/**
 * A step more than this late is not taken: after a long downtime, or on the upgrade that brings escalation, old
 * breaches do not flood everyone's phone at once (they are on the dashboard's lists already).
 */
export const STALE_AFTER_MS = 24 * 3_600_000

export interface EscalationRule {
  warnAtPercent: number
  curatorAfterMinutes: number
  headAfterMinutes: number
}

export interface EscalationFacts {
  priority: Priority
  createdAt: string
  resolutionDueAt: string | null
  assigneeId: number | null
  /** Critical, and filed outside working hours (src/tickets/working-hours.ts). */
  filedAtNight: boolean
}

export interface StepTaken {
  level: number
  chain: EscalationChain
  at: string
  acknowledged_at: string | null
}

export interface DueStep {
  level: EscalationLevel
  chain: EscalationChain
  /** The moment it fell due. */
  dueAt: string
}

const MINUTE_MS = 60_000

/** The steps due at `at` that were not taken yet, lowest level first. */
export function dueSteps(
  facts: EscalationFacts,
  taken: readonly StepTaken[],
  rule: EscalationRule,
  at: string,
): DueStep[] {
  const now = Date.parse(at)
  const done = new Map(taken.map((s) => [s.level, s]))
  const acknowledged = taken.some((s) => s.acknowledged_at !== null)
  const moments = new Map<EscalationLevel, { due: number; chain: EscalationChain }>()
  const offer = (level: EscalationLevel, due: number, chain: EscalationChain) => {
    const known = moments.get(level)
    if (!known || due < known.due) moments.set(level, { due, chain })
  }

  if (facts.resolutionDueAt !== null) {
    const created = Date.parse(facts.createdAt)
    const breach = Date.parse(facts.resolutionDueAt)
    // A warning makes sense before the breach only, and only to someone who has the ticket.
    if (facts.assigneeId !== null && now < breach) {
      offer(1, created + Math.floor(((breach - created) * rule.warnAtPercent) / 100), 'deadline')
    }
    offer(2, breach, 'deadline')
    offer(3, breach + rule.curatorAfterMinutes * MINUTE_MS, 'deadline')
    offer(4, breach + rule.headAfterMinutes * MINUTE_MS, 'deadline')
  }

  if (facts.filedAtNight && facts.priority === 'critical' && !acknowledged) {
    offer(2, Date.parse(facts.createdAt), 'critical')
    const previous = (level: number) => {
      const step = done.get(level)
      return step?.chain === 'critical' ? Date.parse(step.at) : undefined
    }
    const second = previous(2)
    if (second !== undefined) offer(3, second + ACK_WAIT_MINUTES * MINUTE_MS, 'critical')
    const third = previous(3)
    if (third !== undefined) offer(4, third + ACK_WAIT_MINUTES * MINUTE_MS, 'critical')
  }

  const steps: DueStep[] = []
  for (const level of escalationLevels) {
    const moment = moments.get(level)
    if (!moment || done.has(level) || moment.due > now || now - moment.due > STALE_AFTER_MS) continue
    steps.push({ level, chain: moment.chain, dueAt: new Date(moment.due).toISOString() })
  }
  return steps
}

export const escalationLevelLabels: Record<EscalationLevel, string> = {
  1: 'исполнителю',
  2: 'дежурному группы',
  3: 'куратору',
  4: 'руководителю ИТ',
}
