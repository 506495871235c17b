import type { Context } from 'hono'
import { z } from 'zod'
import { DomainError } from '#src/errors.ts'
import { MAX_ID, parseId } from '#src/format/ids.ts'
import { FIRST_YEAR, LAST_YEAR, parseDay, parseMoment } from '#src/format/zone-days.ts'
import type { FieldProblem } from './errors.ts'

/**
 * Validation at the edge: JSON bodies, query strings and path ids are parsed once with zod (strict
 * objects, Russian messages) and refused with 400 (not JSON) or 422 (not valid) before any use case runs.
 */

const russian = z.locales.ru().localeError

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value, { error: russian })
  if (result.success) return result.data
  const fields: FieldProblem[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }))
  const first = fields[0]
  const summary = first ? (first.path ? `${first.path}: ${first.message}` : first.message) : 'Неверные данные'
  throw new DomainError('validation', `Неверные данные — ${summary}`, { fields })
}

/**
 * The request's JSON body. Only `application/json` is accepted: a cross-site HTML form cannot send it
 * without a CORS preflight, which this API never grants (CSRF).
 */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new DomainError('bad_request', 'Ожидается тело запроса в формате JSON (Content-Type: application/json)')
  }
  let raw: unknown
  try {
    raw = JSON.parse(await c.req.text())
  } catch {
    throw new DomainError('bad_request', 'Неверный JSON')
  }
  return parseOrThrow(schema, raw)
}

/**
 * The query string as an object: keys listed in `multi` may repeat or hold a comma list
 * (`?status=new&status=waiting`, `?status=new,waiting`) and become arrays; other keys take one value.
 */
export function queryOf<S extends z.ZodType>(c: Context, schema: S, multi: readonly string[] = []): z.output<S> {
  const raw: Record<string, string | string[]> = {}
  for (const [key, values] of Object.entries(c.req.queries())) {
    if (multi.includes(key)) {
      raw[key] = values.flatMap((v) => v.split(',')).filter((v) => v !== '')
    } else {
      const last = values[values.length - 1]
      if (last !== undefined) raw[key] = last
    }
  }
  return parseOrThrow(schema, raw)
}

/** A numeric path parameter; anything else is a 404, as for an id that does not exist. */
export function idParam(c: Context, name = 'id'): number {
  const id = parseId(c.req.param(name))
  if (id === undefined) throw new DomainError('not_found', 'Не найдено')
  return id
}

/** A row id in a JSON body. */
export const dbId = () => z.number().int().min(1).max(MAX_ID)

/**
 * Is this well-formed UTF-16 (no lone surrogate, as JSON's `"\uD800"` gives)? A lone surrogate is stored
 * by SQLite as bytes that are not UTF-8 and turned into U+FFFD by PostgreSQL: refused at the edge instead.
 */
export function isWellFormedText(value: string): boolean {
  // With the `u` flag a surrogate pair is one code point: only a lone half is a \p{Cs}.
  return !/\p{Cs}/u.test(value)
}

/**
 * Text in a body or a query: bounded, without NUL (PostgreSQL cannot store it: a 500) and well-formed.
 */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !value.includes('\u0000'), 'Недопустимый символ в тексте')
    .refine(isWellFormedText, 'Недопустимый символ в тексте: непарный суррогат UTF-16')

/** Query-string building blocks: everything arrives as text. */
export const q = {
  int: (min = 1, max = MAX_ID) =>
    z
      .string()
      .regex(/^-?[0-9]{1,10}$/, 'Ожидается целое число')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
  bool: () => z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
  /**
   * A date (`2026-11-26`) kept as a date, or a moment (ISO-8601 with a zone) as UTC ISO text. A route makes
   * either a bound with `fromBound` / `beforeBound` (zone-days.ts): a date is a day of TZ_DISPLAY, not UTC's.
   */
  dateOrMoment: () =>
    z.string().transform((value, ctx) => {
      if (parseDay(value)) return value
      return parseMoment(value) ?? badDate(ctx)
    }),
}

function badDate(ctx: z.RefinementCtx): never {
  ctx.addIssue({
    code: 'custom',
    message: `Ожидается дата ГГГГ-ММ-ДД или момент ISO-8601 с ${FIRST_YEAR} по ${LAST_YEAR} год`,
  })
  return z.NEVER
}
