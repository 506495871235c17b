import type { Tx } from '#src/db/schema.ts'
import { DomainError, isDomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import type { ImportRow } from './read-table.ts'

/** What an import would do (a dry run shows it) and, once planned in the import's transaction, does. */

export type PlanAction = 'create' | 'update' | 'unchanged'

export interface PlannedRow {
  line: number
  action: PlanAction
  /** What the row is about: a name (the dry run's output is the console's and the admin's page, not a log). */
  label: string
  /** The columns that would change (update). */
  fields: string[]
  /** Worth a look but not an error: a namesake already in the database, say. */
  note?: string
}

export interface BadRow {
  line: number
  reason: string
}

export interface ImportPlan {
  rows: PlannedRow[]
  bad: BadRow[]
}

export interface Counts {
  created: number
  updated: number
  unchanged: number
  bad: number
}

/** A plan and the writes that carry it out, in the transaction it was planned in. */
export interface Planned {
  plan: ImportPlan
  apply: (tx: Tx, actor: Actor) => Promise<void>
}

export function countsOf(plan: ImportPlan): Counts {
  const count = (action: PlanAction) => plan.rows.filter((row) => row.action === action).length
  return { created: count('create'), updated: count('update'), unchanged: count('unchanged'), bad: plan.bad.length }
}

/** Runs a row's checks; a refusal (DomainError) becomes the row's reason, anything else is a real failure. */
export function checked<T>(run: () => T): T | { reason: string } {
  try {
    return run()
  } catch (error) {
    if (isDomainError(error)) return { reason: error.message }
    throw error
  }
}

/**
 * Each row as `read` makes it, in file order, or why not as a bad row: the file's own problem with the row
 * (a formula cell, say) or the refusal `read` threw. Every kind starts its plan with this.
 */
export function readRows<T>(rows: readonly ImportRow[], read: (row: ImportRow) => T): { read: T[]; bad: BadRow[] } {
  const good: T[] = []
  const bad: BadRow[] = []
  for (const row of rows) {
    const result = row.problem ? { reason: row.problem } : checked(() => read(row))
    if (isReason(result)) bad.push({ line: row.line, reason: result.reason })
    else good.push(result)
  }
  return { read: good, bad }
}

export function isReason(value: unknown): value is { reason: string } {
  return typeof value === 'object' && value !== null && 'reason' in value
}

/** Names compared as people type them: case, «ё», runs of spaces. */
export function nameKey(name: string): string {
  return name.toLocaleLowerCase('ru').replaceAll('ё', 'е').replace(/\s+/g, ' ').trim()
}

/** A whole number from a cell, or undefined when the cell is empty. */
export function wholeNumber(value: string | undefined, label: string): number | undefined {
  if (value === undefined || value === '') return undefined
  if (!/^-?\d{1,9}$/.test(value)) throw new DomainError('validation', `«${label}»: нужно целое число, а не «${value}»`)
  return Number(value)
}

export function sortByLine(plan: ImportPlan): ImportPlan {
  return {
    rows: [...plan.rows].sort((a, b) => a.line - b.line),
    bad: [...plan.bad].sort((a, b) => a.line - b.line),
  }
}
