import type { Config } from '#src/config.ts'
import type { Db, User } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'
import type { Actor } from '#src/users/actor.ts'

/** What every request handler may use: the app's dependencies, the request's logger and id. */
export interface AppDeps {
  db: Db
  /**
   * Where the heavy reads go (reports, the journal, exports): the read-only handle of `db/read-only.ts`, whose
   * SQLite reads run on threads. Without it they run on `db`. Writes, the journal rows of those reads
   * included, always go to `db`.
   */
  readDb?: Db
  config: Config
  logger: Logger
  /** The bot's username as getMe told it, when the bot runs in this process and has started. */
  botUsername?: () => string | undefined
  /** The MAX bot's name as GET /me told it (deep links https://max.ru/<name>?start=…), once it has started. */
  maxBotUsername?: () => string | undefined
}

export interface AppVariables {
  deps: AppDeps
  requestId: string
  /** The request's logger, carrying its id. */
  log: Logger
}

/** Set by `authenticate` on /api routes that need a signed-in user. */
export interface AuthVariables extends AppVariables {
  user: User
  actor: Actor
  /** How the request proved who it is: a session cookie (subject to CSRF rules) or a bearer token. */
  authMethod: 'session' | 'token'
}

export interface AppEnv {
  Variables: AppVariables
}

export interface ApiEnv {
  Variables: AuthVariables
}

/** The handle for the heavy reads: the read-only one when the app has it, else the main one. */
export function readDbOf(deps: AppDeps): Db {
  return deps.readDb ?? deps.db
}
