import type { AppVariables } from '#src/api/env.ts'
import type { User } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'

/** Set by `requireSession` on every web page behind the login. */
export interface WebVariables extends AppVariables {
  user: User
  actor: Actor
  /** The session's CSRF token, for the forms of the page. */
  csrf: string
  /** The session cookie's value (for logout). */
  sessionToken: string
}

export interface WebEnv {
  Variables: WebVariables
}
