/** The totals of `sql-timing.mjs`, by a statement's SQL (its first 120 characters). */
export declare const timings: Map<string, { calls: number; ms: number; max: number; slow: number }>
