/**
 * Row ids typed as text, read alike by every edge (web paths, queries and forms, API paths, the console's
 * `--id`). Free of zod and the database, so that the console's `--help` stays quick.
 */

/** The largest id the databases' `integer` columns hold: a bigger number would be a 500 on PostgreSQL. */
export const MAX_ID = 2_147_483_647

/**
 * A row id, or undefined: decimal digits only, no sign, leading zero, exponent (`1e3`) or hex (`0x10`),
 * and at most MAX_ID.
 */
export function parseId(value: string | null | undefined): number | undefined {
  if (value == null || !/^[1-9][0-9]{0,9}$/.test(value)) return undefined
  const id = Number(value)
  return id <= MAX_ID ? id : undefined
}
