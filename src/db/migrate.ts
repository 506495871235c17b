import { type Migration, type MigrationProvider, type MigrationResult, Migrator } from 'kysely'
import * as initial from './migrations/0001-initial.ts'
import * as telegram from './migrations/0002-telegram.ts'
import * as telegramAlbums from './migrations/0003-telegram-albums.ts'
import * as dashboard from './migrations/0004-dashboard.ts'
import * as loginThrottle from './migrations/0005-login-throttle.ts'
import * as idempotencyFingerprint from './migrations/0007-idempotency-fingerprint.ts'
import * as totp from './migrations/0008-totp.ts'
import * as passwordLinks from './migrations/0009-password-links.ts'
import * as ldap from './migrations/0010-ldap.ts'
import * as telegramLinks from './migrations/0011-telegram-links.ts'
import * as userEmail from './migrations/0012-user-email.ts'
import * as consentEvidence from './migrations/0013-consent-evidence.ts'
import * as subjectRequests from './migrations/0014-subject-requests.ts'
import * as destruction from './migrations/0015-destruction.ts'
import * as auditArchives from './migrations/0016-audit-archives.ts'
import * as backups from './migrations/0017-backups.ts'
import * as employeeNumber from './migrations/0018-employee-number.ts'
import * as journalUnchained from './migrations/0019-journal-unchained.ts'
import * as statsDaily from './migrations/0020-stats-daily.ts'
import * as listIndexes from './migrations/0021-list-indexes.ts'
import * as countIndexes from './migrations/0022-count-indexes.ts'
import * as statsGrainIndex from './migrations/0023-stats-grain-index.ts'
import * as ticketStatistics from './migrations/0024-ticket-statistics.ts'
import * as formSubmissions from './migrations/0025-form-submissions.ts'
import * as userTheme from './migrations/0026-user-theme.ts'
import * as macros from './migrations/0027-macros.ts'
import * as ticketLinks from './migrations/0028-ticket-links.ts'
import * as watchersNotifications from './migrations/0029-watchers-notifications.ts'
import * as savedViews from './migrations/0030-saved-views.ts'
import * as searchPlaces from './migrations/0031-search-places.ts'
import * as equipment from './migrations/0032-equipment.ts'
import * as knowledge from './migrations/0033-knowledge.ts'
import * as plans from './migrations/0034-plans.ts'
import * as duty from './migrations/0035-duty.ts'
import * as outages from './migrations/0036-outages.ts'
import * as approvals from './migrations/0037-approvals.ts'
import * as maxMessenger from './migrations/0038-max-messenger.ts'
import * as overdueIndex from './migrations/0039-overdue-index.ts'
import * as unassignedIndex from './migrations/0040-unassigned-index.ts'
import * as statsFilteredGrains from './migrations/0041-stats-filtered-grains.ts'
import type { Db } from './schema.ts'

/** The explicit, ordered list of migrations; names sort in the order they apply. */
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-telegram': telegram,
  '0003-telegram-albums': telegramAlbums,
  '0004-dashboard': dashboard,
  '0005-login-throttle': loginThrottle,
  '0007-idempotency-fingerprint': idempotencyFingerprint,
  '0008-totp': totp,
  '0009-password-links': passwordLinks,
  '0010-ldap': ldap,
  '0011-telegram-links': telegramLinks,
  '0012-user-email': userEmail,
  '0013-consent-evidence': consentEvidence,
  '0014-subject-requests': subjectRequests,
  '0015-destruction': destruction,
  '0016-audit-archives': auditArchives,
  '0017-backups': backups,
  '0018-employee-number': employeeNumber,
  '0019-journal-unchained': journalUnchained,
  '0020-stats-daily': statsDaily,
  '0021-list-indexes': listIndexes,
  '0022-count-indexes': countIndexes,
  '0023-stats-grain-index': statsGrainIndex,
  '0024-ticket-statistics': ticketStatistics,
  '0025-form-submissions': formSubmissions,
  '0026-user-theme': userTheme,
  '0027-macros': macros,
  '0028-ticket-links': ticketLinks,
  '0029-watchers-notifications': watchersNotifications,
  '0030-saved-views': savedViews,
  '0031-search-places': searchPlaces,
  '0032-equipment': equipment,
  '0033-knowledge': knowledge,
  '0034-plans': plans,
  '0035-duty': duty,
  '0036-outages': outages,
  '0037-approvals': approvals,
  '0038-max-messenger': maxMessenger,
  '0039-overdue-index': overdueIndex,
  '0040-unassigned-index': unassignedIndex,
  '0041-stats-filtered-grains': statsFilteredGrains,
}

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
}

export interface MigrateOptions {
  /** PostgreSQL: the schema the app works in (Kysely's bookkeeping tables go there too). */
  schema?: string
}

function migrator(db: Db, options: MigrateOptions): Migrator {
  return new Migrator({ db, provider, ...(options.schema ? { migrationTableSchema: options.schema } : {}) })
}

/** Applies pending migrations under Kysely's migration lock; throws on the first failure. */
export async function migrateToLatest(db: Db, options: MigrateOptions = {}): Promise<MigrationResult[]> {
  const { error, results } = await migrator(db, options).migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error(String(error))
  return results ?? []
}

/** Applies the migrations up to and including `name`: a migration's test on the data before it. */
export async function migrateTo(db: Db, name: string, options: MigrateOptions = {}): Promise<MigrationResult[]> {
  const { error, results } = await migrator(db, options).migrateTo(name)
  if (error) throw error instanceof Error ? error : new Error(String(error))
  return results ?? []
}

/** True when every known migration has been applied (used by /readyz). */
export async function migrationsCurrent(db: Db, options: MigrateOptions = {}): Promise<boolean> {
  const list = await migrator(db, options).getMigrations()
  return list.every((m) => m.executedAt !== undefined)
}
