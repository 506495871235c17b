/**
 * Refusals of the domain. Each edge maps the code: HTTP status, bot reply, CLI exit code.
 * `message` is Russian and safe to show to a person; it never carries SQL or a stack.
 */
export type ErrorCode =
  | 'bad_request'
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'invalid_transition'
  | 'rate_limited'
  | 'unavailable'
  /** An Idempotency-Key sent again with a different request (IETF draft: 422). */
  | 'idempotency_key_reused'
  /** Login: the password was right, the account's TOTP code is missing (401). */
  | 'totp_required'
  /** AUTH_REQUIRE_2FA: the account must enrol in 2FA before anything else (403). */
  | 'totp_enrollment_required'
  /** LDAP login: the password bound, but no group of the person is mapped to a role (403). */
  | 'ldap_no_access'

export class DomainError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message)
    this.name = 'DomainError'
    this.code = code
    this.details = details
  }
}

export const httpStatusOf: Record<ErrorCode, 400 | 401 | 403 | 404 | 409 | 422 | 429 | 503> = {
  bad_request: 400,
  validation: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_transition: 409,
  rate_limited: 429,
  unavailable: 503,
  idempotency_key_reused: 422,
  totp_required: 401,
  totp_enrollment_required: 403,
  ldap_no_access: 403,
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError
}
