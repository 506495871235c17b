import type { Generated, Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely'

/**
 * Table types. Conventions, portable across SQLite and PostgreSQL:
 * - time is UTC ISO-8601 text (`2026-11-26T05:30:00.000Z`), produced by `now()` in db/time.ts;
 * - booleans are integers 0/1;
 * - JSON is text;
 * - Telegram chat ids are text (they exceed 32 bits and the pg driver returns bigint as string anyway).
 */

export const roles = ['requester', 'executor', 'curator', 'admin'] as const
export type Role = (typeof roles)[number]

export const userStatuses = ['pending', 'active', 'rejected', 'deactivated'] as const
export type UserStatus = (typeof userStatuses)[number]

/** `approval` (migration 0037): filed in a category that requires approval, awaiting the head's decision. */
export const ticketStatuses = ['approval', 'new', 'in_progress', 'waiting', 'resolved', 'closed', 'cancelled'] as const
export type TicketStatus = (typeof ticketStatuses)[number]

export const priorities = ['low', 'normal', 'high', 'critical'] as const
export type Priority = (typeof priorities)[number]

export const ticketSources = ['telegram', 'max', 'web', 'api', 'cli'] as const
export type TicketSource = (typeof ticketSources)[number]

export const channels = ['web', 'bot', 'cli', 'api', 'system'] as const
export type Channel = (typeof channels)[number]

type Bool = 0 | 1

export interface UsersTable {
  id: Generated<number>
  role: Role
  status: UserStatus
  full_name: string
  login: string | null
  password_hash: string | null
  phone: string | null
  position: string | null
  room: string | null
  department_id: number | null
  telegram_chat_id: string | null
  telegram_username: string | null
  telegram_blocked_at: string | null
  /** The person's MAX account (migration 0038), the address of their dialog with the MAX bot. */
  max_user_id: string | null
  /** Set when they stopped the MAX bot (or MAX refused a message to them for good). */
  max_blocked_at: string | null
  /** The messenger they wrote from last: where notices go unless the hospital prefers one. */
  messenger: Messenger | null
  language: 'ru' | 'en'
  totp_secret: string | null
  totp_enabled: Generated<Bool>
  totp_last_step: number | null
  rejection_reason: string | null
  failed_logins: Generated<number>
  locked_until: string | null
  created_at: string
  updated_at: string
  confirmed_at: string | null
  confirmed_by: number | null
  deactivated_at: string | null
  pseudonymised_at: string | null
  last_login_at: string | null
  /** Where the password is checked: here, or by the LDAP directory (migration 0010; no local password then). */
  auth_source: Generated<'local' | 'ldap'>
  /** The directory entry an LDAP account comes from. */
  external_dn: Generated<string | null>
  /** The directory's `mail`, refreshed at each LDAP sign-in (migration 0012); personal data like the phone. */
  email: Generated<string | null>
  /** Blocked at the person's request (ст. 21, migration 0014): their data is neither shown nor sent until unblocked. */
  blocked_at: Generated<string | null>
  blocked_by: Generated<number | null>
  block_reason: Generated<string | null>
  /** The табельный номер from the HR export (migration 0018): what a repeated import matches a person by. */
  employee_number: Generated<string | null>
  /** The web's colour theme (migration 0026): `system` follows the computer's setting. */
  theme: Generated<'system' | 'light' | 'dark'>
}

export interface DepartmentsTable {
  id: Generated<number>
  name: string
  active: Generated<Bool>
  sort_order: Generated<number>
  created_at: string
  updated_at: string
  /** The head (заведующий) who approves the department's access requests (migration 0037); null: the curators. */
  head_user_id: Generated<number | null>
}

export interface ExecutorGroupsTable {
  id: Generated<number>
  name: string
  description: string | null
  active: Generated<Bool>
  created_at: string
  updated_at: string
}

export interface GroupMembersTable {
  group_id: number
  user_id: number
  created_at: string
}

export interface CategoriesTable {
  id: Generated<number>
  name: string
  description: string | null
  parent_id: number | null
  default_group_id: number | null
  default_priority: Priority
  /** Overrides of the priority's deadlines, in minutes; null = the priority's default. */
  response_minutes: number | null
  resolution_minutes: number | null
  active: Generated<Bool>
  sort_order: Generated<number>
  created_at: string
  updated_at: string
  /** Its tickets wait for the head of the requester's department to approve them (migration 0037). */
  requires_approval: Generated<Bool>
}

export interface TicketsTable {
  id: Generated<number>
  title: string
  description: string
  category_id: number | null
  priority: Priority
  status: TicketStatus
  requester_id: number
  assignee_id: number | null
  group_id: number | null
  department_id: number | null
  location: string | null
  source: TicketSource
  created_by: number
  created_at: string
  updated_at: string
  first_response_at: string | null
  resolved_at: string | null
  closed_at: string | null
  cancelled_at: string | null
  response_due_at: string | null
  resolution_due_at: string | null
  response_breached_at: string | null
  resolution_breached_at: string | null
  resolution: string | null
  cancel_reason: string | null
  rating: number | null
  rating_comment: string | null
  rated_at: string | null
  /** The ticket this one was merged into as a duplicate (migration 0028); null when not merged. */
  merged_into_id: Generated<number | null>
  /** The device the ticket is about (migration 0032): filed from its sticker, or chosen by staff. */
  equipment_id: Generated<number | null>
}

export const equipmentStatuses = ['in_service', 'in_repair', 'written_off'] as const
export type EquipmentStatus = (typeof equipmentStatuses)[number]

/**
 * «Оборудование» (migration 0032): a device by its inventory number. The responsible person is a user id;
 * `search_text` is the lower-cased inventory number, type, model and serial (equipment-rules.ts `searchTextOf`).
 */
export interface EquipmentTable {
  id: Generated<number>
  inventory_number: string
  /** The type: «Принтер», «МФУ», «Компьютер», … */
  kind: string
  model: string | null
  serial: string | null
  department_id: number | null
  room: string | null
  responsible_id: number | null
  status: EquipmentStatus
  search_text: string
  created_by: number | null
  created_at: string
  updated_at: string
  written_off_at: string | null
  written_off_by: number | null
}

export const ticketLinkKinds = ['related', 'parent', 'duplicate'] as const
export type TicketLinkKind = (typeof ticketLinkKinds)[number]

/**
 * A link between two tickets (migration 0028): `related` (stored once, the lower number first), `parent`
 * (ticket_id is the parent of other_id) or `duplicate` (ticket_id was merged into other_id). Undone links stay,
 * stamped; `previous` is what a merge changed on the duplicate (JSON), for an exact undo.
 */
export interface TicketLinksTable {
  id: Generated<number>
  ticket_id: number
  other_id: number
  kind: TicketLinkKind
  created_by: number | null
  created_at: string
  undone_at: string | null
  undone_by: number | null
  previous: string | null
}

export interface TicketMessagesTable {
  id: Generated<number>
  ticket_id: number
  author_id: number
  kind: 'external' | 'internal'
  body: string
  source: TicketSource
  created_at: string
  /** Delivery to Telegram of an external message from staff: null when not sent there. */
  delivery_status: 'pending' | 'sent' | 'failed' | null
  telegram_message_id: number | null
}

export interface TicketEventsTable {
  id: Generated<number>
  ticket_id: number
  actor_id: number | null
  kind: string
  from_value: string | null
  to_value: string | null
  details: string | null
  created_at: string
}

export interface AttachmentsTable {
  id: Generated<number>
  ticket_id: number
  message_id: number | null
  uploader_id: number
  file_name: string
  mime_type: string
  size: number
  sha256: string
  created_at: string
}

export interface AuditLogTable {
  /**
   * SQLite: assigned by the journal itself (previous id + 1), so that a deleted row leaves a gap. PostgreSQL: from
   * the table's sequence (migration 0019); a rolled-back writer leaves a gap the chain bridges (journal.ts).
   */
  id: Generated<number>
  at: string
  actor_id: number | null
  channel: Channel
  ip: string | null
  action: string
  object_type: string | null
  object_id: string | null
  subject_id: number | null
  pdn_related: Bool
  result: 'success' | 'denied' | 'error'
  description: string
  details: string | null
  /** Null until the chaining job takes the row (PostgreSQL writes rows unchained: journal.ts). */
  prev_hash: string | null
  hash: string | null
}

export interface SessionsTable {
  /** sha256 of the cookie's random token. */
  id: string
  user_id: number
  created_at: string
  last_seen_at: string
  expires_at: string
  ip: string | null
  user_agent: string | null
  revoked_at: string | null
  /** 1: opened for someone without consent to the current text — the consent page comes first (0013). */
  consent_due: Generated<number>
}

export interface ApiTokensTable {
  id: Generated<number>
  user_id: number
  name: string
  token_hash: string
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}

export interface ConsentTextsTable {
  id: Generated<number>
  version: number
  text: string
  sha256: string
  valid_from: string
  created_by: number | null
  created_at: string
}

export interface ConsentRecordsTable {
  id: Generated<number>
  user_id: number | null
  consent_text_id: number
  channel: 'bot' | 'web' | 'paper'
  status: 'given' | 'refused' | 'withdrawn'
  evidence: string | null
  created_at: string
  withdrawn_at: string | null
  /** The scan of a paper consent or withdrawal: its SHA-256 in the file store (0013). */
  evidence_file: string | null
  evidence_file_name: string | null
  evidence_file_type: string | null
}

export interface OutboxTable {
  id: Generated<number>
  channel: string
  recipient: string
  kind: string
  payload: string
  status: 'pending' | 'sending' | 'sent' | 'failed'
  attempts: Generated<number>
  next_attempt_at: string
  last_error: string | null
  ticket_id: number | null
  message_id: number | null
  created_at: string
  sent_at: string | null
  /** The Telegram message this row became, once sent (to edit it later). */
  telegram_message_id: number | null
}

/** The messengers the bot serves (issue 15). */
export const messengers = ['telegram', 'max'] as const
export type Messenger = (typeof messengers)[number]

/** MAX's updates applied, by a key of their own (migration 0038; MAX updates have no id). */
export interface MaxInboxTable {
  update_key: string
  kind: string
  received_at: string
}

/** MAX's string message ids, numbered for the tables keyed by a message id (migration 0038). */
export interface MaxMessagesTable {
  id: Generated<number>
  mid: string
  created_at: string
}

/** The MAX long poll's marker, written with the batch it confirms (migration 0038). */
export interface MaxPollStateTable {
  name: string
  marker: string
  updated_at: string
}

export interface TelegramInboxTable {
  update_id: number
  kind: string
  received_at: string
}

export interface JobsTable {
  id: Generated<number>
  kind: string
  payload: string
  run_at: string
  status: 'pending' | 'running' | 'done' | 'failed'
  attempts: Generated<number>
  last_error: string | null
  locked_until: string | null
  unique_key: string | null
  created_at: string
  finished_at: string | null
}

export interface SettingsTable {
  key: string
  value: string
  updated_at: string
  updated_by: number | null
}

export interface IdempotencyKeysTable {
  user_id: number
  key: string
  ticket_id: number
  created_at: string
  /** SHA-256 of the request the key was first used with; null for keys stored before it was kept. */
  request_hash: string | null
}

/** A web form's token and where its first submission went (migration 0025; web/once-form.ts). */
export interface FormSubmissionsTable {
  user_id: number
  token: string
  /** The redirect after the creation; null while the first request is under way (or if it never finished). */
  location: string | null
  created_at: string
}

export interface BotConversationsTable {
  chat_id: string
  state: string
  expires_at: string
  updated_at: string
}

export interface LeasesTable {
  name: string
  holder: string
  expires_at: string
}

export interface TelegramMessagesTable {
  chat_id: string
  message_id: number
  /** The ticket a sent message was about: a reply to it lands on that ticket. */
  ticket_id: number | null
  outbox_id: number | null
  created_at: string
}

/** The ticket message an album sent as a reply became: its later parts add their files to it. */
export interface TelegramAlbumsTable {
  chat_id: string
  media_group_id: string
  ticket_id: number
  message_id: number
  created_at: string
}

export interface LoginLinksTable {
  token_hash: string
  user_id: number
  created_at: string
  expires_at: string
  used_at: string | null
}

/** One-time «установить пароль» links (only the token's sha256 is kept). */
export interface PasswordLinksTable {
  token_hash: string
  user_id: number
  created_by: number | null
  created_at: string
  expires_at: string
  used_at: string | null
}

/** One-time codes linking a Telegram chat to an account (migration 0011): one per account, digest only. */
export interface TelegramLinksTable {
  user_id: number
  code_hash: string
  created_at: string
  expires_at: string
  used_at: string | null
}

/**
 * A destruction asked for outright (a person's request registered under «Запросы субъектов»), beside those
 * the retention rules compute (migration 0015). Done once the act is made.
 */
export interface DestructionQueueTable {
  id: Generated<number>
  user_id: number
  /** `request`: a destruction request; the retention reasons are computed, not queued. */
  reason: string
  /** Why, in a few words without personal data («Запрос субъекта № 12»). */
  note: string | null
  request_id: number | null
  due_at: string
  created_at: string
  created_by: number | null
  done_at: string | null
  act_id: number | null
}

/** An act of destruction (Приказ РКН № 179) and the extract of the journal, as PDFs kept 3 years (0015). */
export interface DestructionActsTable {
  id: Generated<number>
  /** The subject, now «Субъект № N». */
  user_id: number
  created_at: string
  created_by: number | null
  reason: string
  /** JSON: the categories of data destroyed (Russian labels). */
  categories: string
  /** JSON: the members of the commission who sign, [{name, position}]. */
  commission: string
  texts_deleted: Generated<number>
  /** JSON: the ids of the journal rows of this destruction. */
  audit_ids: string
  /** JSON: the backup files made before the act, to be destroyed by their retention. */
  backups: string
  act_pdf: Buffer
  extract_pdf: Buffer
  keep_until: string
}

/**
 * An archive of the journal's oldest rows (0016): the rows `first_id`..`last_id` left the table for the
 * signed file `file_name` (its SHA-256 here); the chain of the rows that stay continues from `last_hash`.
 */
/** One backup (migration 0017): written when it starts, completed when it ends; verified_at when its trial restore passed. */
export interface BackupsTable {
  id: Generated<number>
  started_at: string
  finished_at: string | null
  /** The bundle's file name (in BACKUP_DIR, or the path the console named). */
  file: string | null
  bytes: number | null
  /** 1 when age-encrypted (BACKUP_PASSPHRASE / BACKUP_KEY_FILE). */
  encrypted: Generated<number>
  /** `schedule` (the worker) or `cli`. */
  trigger: string
  /** null while it runs; 1 done and verified; 0 failed (see error). */
  ok: number | null
  error: string | null
  verified_at: string | null
}

export interface AuditArchivesTable {
  id: Generated<number>
  first_id: number
  last_id: number
  /** The hash the archive's first row continues (the previous archive's last, or the genesis). */
  prev_hash: string
  last_hash: string
  count: number
  first_at: string
  last_at: string
  file_name: string
  sha256: string
  created_at: string
  /** Who made it: «user@host» of the console. */
  created_by: string
}

/** The staff dashboard's last visits (one row a person). */
export interface DashboardVisitsTable {
  user_id: number
  seen_at: string
  previous_seen_at: string | null
}

/** Failed password attempts per key (an address, an address and a login, …): the login throttle. */
export interface LoginThrottleTable {
  key: string
  subject: string | null
  failures: number
  blocked_until: string | null
  last_failure_at: string
}

/** One-time TOTP recovery codes: a SHA-256 digest each; used_at set when spent. */
export interface TotpRecoveryCodesTable {
  id: Generated<number>
  user_id: number
  code_hash: string
  used_at: string | null
  created_at: string
}

export const subjectRequestKinds = ['access', 'correction', 'blocking', 'withdrawal', 'destruction'] as const
export type SubjectRequestKind = (typeof subjectRequestKinds)[number]
export const subjectRequestChannels = ['letter', 'in_person', 'email', 'telegram', 'other'] as const
export type SubjectRequestChannel = (typeof subjectRequestChannels)[number]
export const subjectRequestStatuses = ['new', 'in_progress', 'answered', 'refused'] as const
export type SubjectRequestStatus = (typeof subjectRequestStatuses)[number]

/** A person's request under 152-ФЗ ст. 14, 20, 21 (migration 0014); days are `YYYY-MM-DD` (Moscow). */
export interface SubjectRequestsTable {
  id: Generated<number>
  kind: SubjectRequestKind
  channel: SubjectRequestChannel
  subject_id: number
  received_on: string
  comment: string | null
  status: SubjectRequestStatus
  /** The legal deadline in working days of the production calendar (extension included). */
  due_on: string
  /** Set once the deadline was extended by 5 working days (ст. 14 ч. 3): why. */
  extended_reason: string | null
  answer: string | null
  answered_on: string | null
  /** When the admins were told the deadline is near (once per request). */
  reminded_at: string | null
  created_by: number | null
  created_at: string
  updated_at: string
}

/** The documents of an access answer (the PDF and the ZIP), kept as they were given. */
export interface SubjectRequestDocumentsTable {
  id: Generated<number>
  request_id: number
  file_name: string
  mime_type: string
  content: Buffer
  sha256: string
  created_by: number | null
  created_at: string
}

/**
 * A file uploaded on «Пользователи → Импорт» between its preview and the confirmation (migration 0018):
 * `id` is the SHA-256 of the random key the page carries; `content` is the file, base64; gone at expiry.
 */
export interface ImportUploadsTable {
  id: string
  user_id: number
  /** The import's kind (src/import/columns.ts); `duty` since migration 0035 (a text column, no constraint). */
  kind: 'departments' | 'categories' | 'users' | 'equipment' | 'duty'
  file_name: string
  content: string
  created_at: string
  expires_at: string
}

/**
 * How a `stats_daily` row is cut: the dimension it keeps (-1, or `*`, in the rest) — migration 0020 — or, for a
 * report filtered by one dimension (a department, a category, a group, an executor's own), the two it keeps
 * (migration 0041): that dimension with the status, or with another breakdown's.
 */
export const statsGrains = [
  'status',
  'category',
  'department',
  'assignee',
  'group+status',
  'department+status',
  'category+status',
  'assignee+status',
  'group+department',
  'group+category',
  'group+assignee',
  'department+category',
  'department+assignee',
  'category+assignee',
] as const
export type StatsGrain = (typeof statsGrains)[number]

/**
 * The daily summary of the ticket statistics (src/stats/daily-summary.ts): per local day, grain and key the
 * tickets created that day (counts, deadline outcomes, rating, duration histograms) and those resolved that day.
 * Ids are 0 for «none» and -1 where the grain rolls the dimension up; status is `*` when rolled up.
 */
export interface StatsDailyTable {
  day: string
  grain: StatsGrain
  status: string
  department_id: number
  category_id: number
  group_id: number
  assignee_id: number
  created: number
  resolved: number
  rating_sum: number
  rating_count: number
  response_met: number
  response_missed: number
  resolution_met: number
  resolution_missed: number
  /** Sparse histograms `bucket:count,…` of minutes to the first response and to resolution. */
  response_hist: string
  resolution_hist: string
  resolved_on_day: number
}

/** The days `stats_daily` holds, in the zone they were cut in. */
export interface StatsDailyDaysTable {
  day: string
  tz: string
  computed_at: string
}

/** Instants whose day's summary is stale, written by triggers on `tickets`. */
export interface StatsDailyDirtyTable {
  id: Generated<number>
  at: string
}

/** Canned responses («Шаблоны ответов», migration 0027): personal (`owner_id`), a group's (`group_id`) or everyone's. */
export interface MacrosTable {
  id: Generated<number>
  title: string
  /** The reply's text with placeholders (`{{заявитель.имя}}`), rendered when it is used. */
  body: string
  /** Posted as an internal note rather than a reply to the requester. */
  internal: Generated<Bool>
  /** A staff member's own macro; null for a shared one. */
  owner_id: number | null
  /** Shared with this executor group's members; null with `owner_id` null: shared with all IT staff. */
  group_id: number | null
  /** The status a ticket takes when the macro is used. */
  set_status: 'in_progress' | 'waiting' | 'resolved' | null
  set_priority: Priority | null
  created_by: number | null
  created_at: string
  updated_at: string
  /** Removed: no longer listed nor usable; the row stays for the journal's references. */
  archived_at: string | null
}

/** «База знаний» (migration 0033): an article in Markdown, public to requesters or internal to IT staff. */
export interface ArticlesTable {
  id: Generated<number>
  title: string
  /** Markdown, rendered safely (knowledge/markdown.ts): no HTML, links http(s) or relative only. */
  body: string
  /** null: of no category. */
  category_id: number | null
  visibility: 'public' | 'internal'
  author_id: number | null
  updated_by: number | null
  /** Times the bot's offer of it was answered «Помогло». */
  helpful_count: Generated<number>
  /** Times the offer was answered «Нет, создать заявку». */
  not_helpful_count: Generated<number>
  created_at: string
  updated_at: string
  /** Removed: no longer listed nor offered; the row stays for the journal's references. */
  archived_at: string | null
}

/** A picture uploaded with an article: a content-addressed file in `DATA_DIR/files` (attachments/file-store.ts). */
export interface ArticleImagesTable {
  id: Generated<number>
  article_id: number
  sha256: string
  file_name: string
  mime_type: string
  size: number
  created_by: number | null
  created_at: string
}

/**
 * A duty shift (migration 0035, src/duty/): one person of an executor group on duty from `starts_at` to `ends_at`
 * (UTC instants). A swap is an edit of `user_id`, journaled with the old and the new person.
 */
export interface DutyShiftsTable {
  id: Generated<number>
  group_id: number
  user_id: number
  starts_at: string
  ends_at: string
  kind: DutyShiftKind
  note: string | null
  created_by: number | null
  created_at: string
  updated_by: number | null
  updated_at: string
}

export const dutyShiftKinds = ['day', 'night', 'other'] as const
export type DutyShiftKind = (typeof dutyShiftKinds)[number]

/**
 * One step of a ticket's escalation (migration 0035, src/duty/escalate-tickets.ts): at most one per ticket and
 * level (1 the assignee, 2 the group's duty person, 3 the curator on duty, 4 the head of IT). `notified` is a JSON
 * array of the user ids told. A critical ticket filed at night (`chain` 'critical') waits for «Принял».
 */
export interface TicketEscalationsTable {
  id: Generated<number>
  ticket_id: number
  level: number
  chain: 'deadline' | 'critical'
  notified: string
  at: string
  acknowledged_at: string | null
  acknowledged_by: number | null
}

/**
 * «Плановые работы» (migration 0034, src/plans/): a ticket filed on a cron schedule read in TZ_DISPLAY. Active:
 * `next_run_at` is the next run's UTC instant, moved on by a compare-and-set; paused: null.
 */
export interface PlansTable {
  id: Generated<number>
  title: string
  /** The ticket's description, with placeholders (`{{дата}}`, `{{месяц}}`, `{{год}}`) filled at each run. */
  description: string
  category_id: number
  /** The executor group the tickets go to. */
  group_id: number
  priority: Priority
  /** A five-field cron expression, read in the hospital's time zone. */
  schedule: string
  active: Generated<Bool>
  /** Whose name the tickets are filed in (the curator who made the plan). */
  requester_id: number
  next_run_at: string | null
  last_run_at: string | null
  last_ticket_id: number | null
  created_by: number | null
  created_at: string
  updated_at: string
}

/** One run of a plan (migration 0034): due by the schedule (`due_at`) or «Запустить сейчас» (`manual`). */
export interface PlanRunsTable {
  id: Generated<number>
  plan_id: number
  kind: 'schedule' | 'manual'
  /** The occurrence the run was due for; null for a manual run. */
  due_at: string | null
  /** Later occurrences that passed while the server was down, folded into this one run. */
  missed: Generated<number>
  ran_at: string
  ticket_id: number | null
  /** Why no ticket was filed (Russian), when none was. */
  error: string | null
  /** Who pressed «Запустить сейчас». */
  actor_id: number | null
}

/**
 * «Массовый сбой» (migration 0036, issue 14): the ticket `ticket_id` is the parent incident; the people's tickets
 * that joined it are its children by `ticket_links` (kind `parent`). Open while `resolved_at` is null.
 */
export interface OutagesTable {
  id: Generated<number>
  ticket_id: number
  /** What staff call it: «МИС не работает в корпусе 2». */
  title: string
  /** Where: «корпус 2». */
  place: string | null
  /** The text sent to the affected staff in the bot. */
  announcement: string
  /** How many announcements were queued when it was declared. */
  recipients: Generated<number>
  declared_by: number | null
  declared_at: string
  resolved_at: string | null
  resolved_by: number | null
}

/** The departments an outage affects (migration 0036). */
export interface OutageDepartmentsTable {
  outage_id: number
  department_id: number
}

/** The categories («services») an outage covers (migration 0036); a parent category covers its children. */
export interface OutageCategoriesTable {
  outage_id: number
  category_id: number
}

/** People who asked not to be sent outage announcements (migration 0036). */
export interface OutageOptOutsTable {
  user_id: number
  created_at: string
}

/** Saved views of the ticket list (migration 0030): a name and the list's normalised query string. */
export interface SavedViewsTable {
  id: Generated<number>
  name: string
  /** The list's query string (`status=new&category=3`), as `parseListQuery` reads and `listHref` writes it. */
  query: string
  /** Who saved it; a shared view keeps its author. */
  owner_id: number
  /** Shown to every IT staff member (only a curator or an admin shares); else to its owner alone. */
  shared: Generated<Bool>
  position: Generated<number>
  created_at: string
  updated_at: string
}

/** Staff following a ticket (migration 0029, src/notifications/): told of its replies, notes and status changes. */
export interface TicketWatchersTable {
  ticket_id: number
  user_id: number
  created_at: string
}

/** `approval` (issue 14): a ticket awaits the person's approval (src/approvals/ask-for-approval.ts). */
export const webNotificationKinds = ['assigned', 'mention', 'reply', 'deadline', 'watch', 'approval'] as const
export type WebNotificationKind = (typeof webNotificationKinds)[number]

/**
 * What the web's bell counts (migration 0029): ids and a kind only — the text is rendered from the ticket and
 * the event when shown. Unread while `read_at` is null.
 */
export interface WebNotificationsTable {
  id: Generated<number>
  user_id: number
  ticket_id: number | null
  kind: WebNotificationKind
  /** The ticket event that brought it (the newest one, for a notification a later event refreshed). */
  event_id: number | null
  created_at: string
  read_at: string | null
}

export interface Database {
  ticket_watchers: TicketWatchersTable
  web_notifications: WebNotificationsTable
  users: UsersTable
  departments: DepartmentsTable
  executor_groups: ExecutorGroupsTable
  group_members: GroupMembersTable
  categories: CategoriesTable
  tickets: TicketsTable
  ticket_messages: TicketMessagesTable
  ticket_events: TicketEventsTable
  ticket_links: TicketLinksTable
  attachments: AttachmentsTable
  audit_log: AuditLogTable
  audit_archives: AuditArchivesTable
  backups: BackupsTable
  sessions: SessionsTable
  api_tokens: ApiTokensTable
  consent_texts: ConsentTextsTable
  consent_records: ConsentRecordsTable
  outbox: OutboxTable
  telegram_inbox: TelegramInboxTable
  max_inbox: MaxInboxTable
  max_messages: MaxMessagesTable
  max_poll_state: MaxPollStateTable
  jobs: JobsTable
  settings: SettingsTable
  idempotency_keys: IdempotencyKeysTable
  form_submissions: FormSubmissionsTable
  bot_conversations: BotConversationsTable
  leases: LeasesTable
  telegram_messages: TelegramMessagesTable
  telegram_albums: TelegramAlbumsTable
  login_links: LoginLinksTable
  dashboard_visits: DashboardVisitsTable
  login_throttle: LoginThrottleTable
  totp_recovery_codes: TotpRecoveryCodesTable
  password_links: PasswordLinksTable
  telegram_links: TelegramLinksTable
  destruction_queue: DestructionQueueTable
  destruction_acts: DestructionActsTable
  subject_requests: SubjectRequestsTable
  subject_request_documents: SubjectRequestDocumentsTable
  import_uploads: ImportUploadsTable
  stats_daily: StatsDailyTable
  stats_daily_days: StatsDailyDaysTable
  stats_daily_dirty: StatsDailyDirtyTable
  macros: MacrosTable
  equipment: EquipmentTable
  saved_views: SavedViewsTable
  articles: ArticlesTable
  article_images: ArticleImagesTable
  plans: PlansTable
  duty_shifts: DutyShiftsTable
  ticket_escalations: TicketEscalationsTable
  plan_runs: PlanRunsTable
  outages: OutagesTable
  outage_departments: OutageDepartmentsTable
  outage_categories: OutageCategoriesTable
  outage_opt_outs: OutageOptOutsTable
}

/** A database handle or an open transaction: use cases accept either. */
export type Db = Kysely<Database>
export type Tx = Transaction<Database> | Kysely<Database>

export type User = Selectable<UsersTable>
export type NewUser = Insertable<UsersTable>
export type UserUpdate = Updateable<UsersTable>
export type Department = Selectable<DepartmentsTable>
export type ExecutorGroup = Selectable<ExecutorGroupsTable>
export type Category = Selectable<CategoriesTable>
export type Ticket = Selectable<TicketsTable>
export type TicketUpdate = Updateable<TicketsTable>
export type TicketMessage = Selectable<TicketMessagesTable>
export type TicketEvent = Selectable<TicketEventsTable>
export type TicketLink = Selectable<TicketLinksTable>
export type Attachment = Selectable<AttachmentsTable>
export type AuditRow = Selectable<AuditLogTable>
export type AuditArchive = Selectable<AuditArchivesTable>
export type Backup = Selectable<BackupsTable>
export type OutboxRow = Selectable<OutboxTable>
export type Macro = Selectable<MacrosTable>
export type Equipment = Selectable<EquipmentTable>
export type SavedView = Selectable<SavedViewsTable>
export type Job = Selectable<JobsTable>
export type WebNotification = Selectable<WebNotificationsTable>
export type Article = Selectable<ArticlesTable>
export type ArticleImage = Selectable<ArticleImagesTable>
export type Plan = Selectable<PlansTable>
export type DutyShift = Selectable<DutyShiftsTable>
export type TicketEscalation = Selectable<TicketEscalationsTable>
export type PlanRun = Selectable<PlanRunsTable>
export type Outage = Selectable<OutagesTable>
