import type { Context } from 'hono'
import { z } from 'zod'
import { DomainError } from '#src/errors.ts'
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

/** The largest id the databases' `integer` columns hold: a bigger number would be a 500 on PostgreSQL. */
export const MAX_ID = 2_147_483_647

const idSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/)
  .transform(Number)
  .refine((n) => n <= MAX_ID)

/** A numeric path parameter; anything else is a 404, as for an id that does not exist. */
export function idParam(c: Context, name = 'id'): number {
  const parsed = idSchema.safeParse(c.req.param(name))
  if (!parsed.success) throw new DomainError('not_found', 'Не найдено')
  return parsed.data
}

/** A row id in a JSON body. */
export const dbId = () => z.number().int().min(1).max(MAX_ID)

/**
 * Text in a body or a query: bounded, and without NUL, which PostgreSQL cannot store (it would be a 500).
 */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !value.includes('\u0000'), 'Недопустимый символ в тексте')

/** Query-string building blocks: everything arrives as text. */
export const q = {
  int: (min = 1, max = MAX_ID) =>
    z
      .string()
      .regex(/^-?[0-9]{1,10}$/, 'Ожидается целое число')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
  bool: () => z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
  /** A date (`2026-11-26`) kept as a date, or a moment (ISO-8601 with a zone) as UTC ISO text. */
  dateOrMoment: () =>
    z.string().transform((value, ctx) => {
      if (/^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00.000Z`))) return value
      const zoned = /^\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:?\d{2})$/.test(value)
      const parsed = Date.parse(value)
      if (!zoned || Number.isNaN(parsed)) {
        ctx.addIssue({ code: 'custom', message: 'Ожидается дата ГГГГ-ММ-ДД или момент ISO-8601' })
        return z.NEVER
      }
      return new Date(parsed).toISOString()
    }),
  /** A date (`2026-11-26`, the whole UTC day) or a moment (ISO-8601 with a zone), as UTC ISO text. */
  moment: (end: 'start' | 'end') =>
    z.string().transform((value, ctx) => {
      const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value)
      const parsed = Date.parse(dateOnly ? `${value}T00:00:00.000Z` : value)
      const zoned = /^\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:?\d{2})$/.test(value)
      if (Number.isNaN(parsed) || !(dateOnly || zoned)) {
        ctx.addIssue({ code: 'custom', message: 'Ожидается дата ГГГГ-ММ-ДД или момент ISO-8601' })
        return z.NEVER
      }
      // A date as an upper bound means the end of that day.
      return new Date(dateOnly && end === 'end' ? parsed + 86_400_000 : parsed).toISOString()
    }),
}
