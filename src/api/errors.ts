import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { outageMessage, outageOf } from '#src/db/unavailable.ts'
import { type ErrorCode, httpStatusOf, isDomainError } from '#src/errors.ts'
import type { AppEnv } from './env.ts'

/**
 * The API's one error shape: `{"error": {"code", "message"}}` with a Russian message; validation errors
 * add `fields`. Never a stack, never SQL: anything that is not a refusal is «Внутренняя ошибка»,
 * and its details go to the log under the request id.
 */
export interface FieldProblem {
  path: string
  message: string
}

export interface ErrorBody {
  error: { code: ErrorCode | 'internal' | 'payload_too_large' | 'disk_full'; message: string; fields?: FieldProblem[] }
}

export function errorBody(code: ErrorBody['error']['code'], message: string, fields?: FieldProblem[]): ErrorBody {
  return { error: fields ? { code, message, fields } : { code, message } }
}

export function payloadTooLarge(c: Context): Response {
  return c.json(errorBody('payload_too_large', 'Слишком большой запрос'), 413)
}

export function apiNotFound(c: Context): Response {
  return c.json(errorBody('not_found', 'Не найдено'), 404)
}

/** The app's onError: refusals keep their code, everything else is logged and hidden. */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  if (isDomainError(error)) {
    const fields = error.code === 'validation' ? fieldsOf(error.details) : undefined
    return c.json(errorBody(error.code, error.message, fields), httpStatusOf[error.code])
  }
  if (error instanceof HTTPException && error.status < 500) {
    const code: ErrorCode = error.status === 401 ? 'unauthorized' : error.status === 403 ? 'forbidden' : 'bad_request'
    return c.json(errorBody(code, 'Запрос отклонён'), error.status)
  }
  const log = c.get('log') ?? c.get('deps')?.logger
  const outage = outageOf(error)
  if (outage) {
    // Not a bug but the database or the disk away: 503 (try again), with the real cause in the log.
    log?.error({ err: error, path: c.req.path, outage }, 'unavailable')
    const code = outage === 'database' ? 'unavailable' : 'disk_full'
    return c.json(errorBody(code, outageMessage[outage]), 503, { 'retry-after': '10' })
  }
  log?.error({ err: error, path: c.req.path }, 'unhandled error')
  return c.json(errorBody('internal', 'Внутренняя ошибка'), 500)
}

function fieldsOf(details: Record<string, unknown> | undefined): FieldProblem[] | undefined {
  const fields = details?.fields
  if (!Array.isArray(fields)) return undefined
  return fields.filter(
    (f): f is FieldProblem =>
      typeof f === 'object' && f !== null && typeof f.path === 'string' && typeof f.message === 'string',
  )
}
