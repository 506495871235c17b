import type { Insertable } from 'kysely'
import { sql } from 'kysely'
import { addDemoApprovals } from '#src/approvals/demo-approvals.ts'
import { audit } from '#src/audit/journal.ts'
import { dialectOf } from '#src/db/database.ts'
import type {
  Category,
  Db,
  Priority,
  TicketEventsTable,
  TicketMessagesTable,
  TicketSource,
  TicketStatus,
  TicketsTable,
  Tx,
  UsersTable,
} from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { addDemoDuty } from '#src/duty/demo-duty.ts'
import { addDemoEquipment } from '#src/equipment/demo-equipment.ts'
import { DomainError } from '#src/errors.ts'
import { addDemoOutage } from '#src/outages/demo-outage.ts'
import { addDemoPlans } from '#src/plans/demo-plans.ts'
import { getSetting, type SettingValue } from '#src/settings/settings.ts'
import { computeDeadlines } from '#src/tickets/rules.ts'
import { indexedDescription } from '#src/tickets/ticket-search.ts'
import type { Actor } from '#src/users/actor.ts'
import { blankUser } from '#src/users/user-store.ts'
import { addDemoArticles } from './articles.ts'
import { asBulkLoad, bulkWriter, type SearchRow } from './bulk.ts'
import {
  cancelReasons,
  categories as categoryTree,
  type DemoCategory,
  departments as departmentList,
  femaleFirstNames,
  feminineSurname,
  type GroupName,
  groups as groupList,
  IT_DEPARTMENT,
  maleFirstNames,
  patronymicRoots,
  ratingComments,
  requesterReplies,
  surnames,
} from './hospital.ts'
import { type Random, seededRandom } from './random.ts'

/**
 * Demo data for a realistic hospital: departments, executor groups, categories, IT staff, requesters,
 * registrations waiting for a curator, and a year of заявки with their timelines, ratings and the full-text
 * index; on top of the year a live layer of the last days (open, new, overdue, resolved заявки) so that the
 * dashboard shows a working department whatever the size of the demo and the hour it is run at. Everything is
 * written in one transaction with one journal entry, so a run either happens completely or not at all.
 */
export interface DemoOptions {
  tickets: number
  seed: string
  requesters?: number
  /** Add to a database that already has tickets. */
  force?: boolean
  /** argon2 hash of the password every demo IT account gets. */
  staffPasswordHash: string
  onProgress?: (done: number, total: number) => void
  /** Every ticket is written; the indexes are being built and the tables analyzed. */
  onFinishing?: () => void
  /** TZ_DISPLAY, in which the demo's plans («Плановые работы») run; Moscow unless given. */
  timeZone?: string
}

export interface DemoResult {
  seed: string
  departments: number
  groups: number
  categories: number
  staff: number
  staffLogins: string[]
  requesters: number
  /** Registrations this run added that wait for a curator's decision. */
  pendingRegistrations: number
  tickets: number
  messages: number
  events: number
}

/** Tickets generated per write: a batch's rows are built, then written while the next is generated. */
const BATCH = 2000
const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

/** Fills the database with a demo hospital; refuses when there are tickets already, unless `force`. */
export async function generateDemo(
  db: Db,
  actor: Actor,
  options: DemoOptions,
): Promise<DemoResult & { current: DemoPulse }> {
  const existing = await db.selectFrom('tickets').select(sql<number>`count(*)`.as('n')).executeTakeFirst()
  const existingTickets = Number(existing?.n ?? 0)
  if (existingTickets > 0 && !options.force) {
    throw new DomainError(
      'conflict',
      `В базе уже есть заявки (${existingTickets}); демо-данные добавляются в пустую базу. Добавить всё равно: --force`,
    )
  }
  const random = seededRandom(options.seed)
  const result = await asBulkLoad(db, () => generateInTransaction(db, actor, options, random, existingTickets))
  return { ...result, current: await demoPulse(db, now()) }
}

/** What the dashboard shows at a moment: the open tickets, the new, the unassigned, the overdue ones. */
export interface DemoPulse {
  /** new, in progress or waiting */
  open: number
  new: number
  /** Open and nobody's. */
  unassigned: number
  /** Open and past their resolution deadline. */
  overdue: number
  /** Resolved, waiting for the requester's confirmation (or the auto-close). */
  resolved: number
  pendingRegistrations: number
}

/**
 * Counts the database's tickets as the dashboard does at `at`. Read through the status index: the open and
 * resolved tickets only, a small part of a large demo.
 */
async function demoPulse(db: Db, at: string): Promise<DemoPulse> {
  const counted = await db
    .selectFrom('tickets')
    .where('status', 'in', ['new', 'in_progress', 'waiting', 'resolved'])
    .select([
      sql<number | string>`count(*)`.as('all'),
      sql<number | string>`sum(case when status = 'resolved' then 1 else 0 end)`.as('resolved'),
      sql<number | string>`sum(case when status = 'new' then 1 else 0 end)`.as('new'),
      sql<number | string>`sum(case when status <> 'resolved' and assignee_id is null then 1 else 0 end)`.as(
        'unassigned',
      ),
      sql<number | string>`sum(case when status <> 'resolved' and resolution_due_at < ${at} then 1 else 0 end)`.as(
        'overdue',
      ),
    ])
    .executeTakeFirstOrThrow()
  const pending = await db
    .selectFrom('users')
    .select(sql<number | string>`count(*)`.as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow()
  const resolved = Number(counted.resolved ?? 0)
  return {
    open: Number(counted.all) - resolved,
    new: Number(counted.new ?? 0),
    unassigned: Number(counted.unassigned ?? 0),
    overdue: Number(counted.overdue ?? 0),
    resolved,
    pendingRegistrations: Number(pending.n),
  }
}

async function generateInTransaction(
  db: Db,
  actor: Actor,
  options: DemoOptions,
  random: Random,
  existingTickets: number,
): Promise<DemoResult> {
  return db.transaction().execute(async (tx) => {
    const reference = await ensureReference(tx)
    const staff = await ensureStaff(tx, random, reference, options.staffPasswordHash)
    const { active: requesters, pending } = await createRequesters(tx, random, reference, options.requesters ?? 300)
    const deadlines = await getSetting(tx, 'tickets.deadlines')
    const hours = await getSetting(tx, 'tickets.working_hours')
    const context = { reference, staff, requesters, deadlines, hours, existingTickets }
    const written = await createTickets(tx, random, context, options)
    await addDemoPlans(tx, { ...reference, curators: staff.curators }, options.timeZone ?? 'Europe/Moscow')
    // Issue 14: «Дежурства», the roster of this week and the next for every group (duty/demo-duty.ts).
    await addDemoDuty(
      tx,
      { groups: reference.groups, byGroup: staff.byGroup, curators: staff.curators },
      options.timeZone ?? 'Europe/Moscow',
    )
    // Issue 14: «База знаний», twenty articles (demo/articles.ts).
    await addDemoArticles(tx, { categories: reference.categories, authorId: staff.curators[0]?.id ?? null })
    // Issue 14: «Оборудование», 300 devices, some of the newest tickets about them (equipment/demo-equipment.ts).
    await addDemoEquipment(tx, { departments: reference.departments.filter((d) => d.name !== IT_DEPARTMENT) })
    if (dialectOf(tx) === 'postgres') {
      for (const table of ['users', 'tickets'] as const) {
        await sql`select setval(pg_get_serial_sequence(${table}, 'id'), (select max(id) from ${sql.table(table)}))`.execute(
          tx,
        )
      }
    }
    // Issue 14: one open «Массовый сбой» with a few of the year's open tickets joined to it (outages/demo-outage.ts).
    await addDemoOutage(tx, { departments: reference.departments })
    // Issue 14: «Согласование» — the access categories, heads of a few departments, two requests awaiting them.
    await addDemoApprovals(tx, { departments: reference.departments, itDepartment: IT_DEPARTMENT })
    const result: DemoResult = {
      seed: options.seed,
      departments: reference.departments.length,
      groups: reference.groups.size,
      categories: reference.categoryCount,
      staff: staff.all.length,
      staffLogins: staff.all.map((s) => s.login),
      requesters: requesters.length,
      pendingRegistrations: pending,
      ...written,
    }
    await audit(tx, actor, {
      action: 'demo.generate',
      objectType: 'database',
      description: `Созданы демонстрационные данные: заявок ${written.tickets}, заявителей ${requesters.length}`,
      details: { ...result, staffLogins: undefined },
    })
    return result
  })
}

interface Reference {
  departments: Array<{ id: number; name: string; positions: readonly string[]; building: number }>
  groups: Map<GroupName, number>
  /** Leaf categories with their templates. */
  categories: Array<{ row: Category; template: DemoCategory }>
  /** All categories, the parents included. */
  categoryCount: number
}

async function ensureReference(tx: Tx): Promise<Reference> {
  const at = now()
  const departments: Reference['departments'] = []
  for (const [i, dept] of departmentList.entries()) {
    const found = await tx.selectFrom('departments').select('id').where('name', '=', dept.name).executeTakeFirst()
    const id =
      found?.id ??
      (
        await tx
          .insertInto('departments')
          .values({ name: dept.name, sort_order: i * 10, created_at: at, updated_at: at })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id
    departments.push({ id, name: dept.name, positions: dept.positions, building: dept.building })
  }
  const groups = new Map<GroupName, number>()
  for (const group of groupList) {
    const found = await tx.selectFrom('executor_groups').select('id').where('name', '=', group.name).executeTakeFirst()
    const id =
      found?.id ??
      (
        await tx
          .insertInto('executor_groups')
          .values({ name: group.name, description: group.description, created_at: at, updated_at: at })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id
    groups.set(group.name, id)
  }
  const categories: Reference['categories'] = []
  const ensureCategory = async (values: {
    name: string
    description: string | null
    parentId: number | null
    groupId: number | null
    priority: Priority
    responseMinutes: number | null
    resolutionMinutes: number | null
    sortOrder: number
  }): Promise<Category> => {
    let query = tx.selectFrom('categories').selectAll().where('name', '=', values.name)
    query =
      values.parentId === null ? query.where('parent_id', 'is', null) : query.where('parent_id', '=', values.parentId)
    const found = await query.executeTakeFirst()
    if (found) return found
    return tx
      .insertInto('categories')
      .values({
        name: values.name,
        description: values.description,
        parent_id: values.parentId,
        default_group_id: values.groupId,
        default_priority: values.priority,
        response_minutes: values.responseMinutes,
        resolution_minutes: values.resolutionMinutes,
        sort_order: values.sortOrder,
        created_at: at,
        updated_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
  }
  for (const [i, parent] of categoryTree.entries()) {
    const groupId = groups.get(parent.group) ?? null
    const parentRow = await ensureCategory({
      name: parent.name,
      description: parent.description,
      parentId: null,
      groupId,
      priority: 'normal',
      responseMinutes: null,
      resolutionMinutes: null,
      sortOrder: i * 10,
    })
    for (const [j, child] of parent.children.entries()) {
      const row = await ensureCategory({
        name: child.name,
        description: null,
        parentId: parentRow.id,
        groupId,
        priority: child.priority,
        responseMinutes: child.responseMinutes ?? null,
        resolutionMinutes: child.resolutionMinutes ?? null,
        sortOrder: j * 10,
      })
      categories.push({ row, template: child })
    }
  }
  return { departments, groups, categories, categoryCount: categories.length + categoryTree.length }
}

interface Person {
  fullName: string
  female: boolean
  surname: string
  first: string
  patronymic: string
}

function person(random: Random): Person {
  const female = random.chance(0.72)
  const surname = random.pick(surnames)
  const first = female ? random.pick(femaleFirstNames) : random.pick(maleFirstNames)
  const [male, fem] = random.pick(patronymicRoots)
  const patronymic = female ? fem : male
  const family = female ? feminineSurname(surname) : surname
  return { fullName: `${family} ${first} ${patronymic}`, female, surname: family, first, patronymic }
}

const latin: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ё: 'e',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
}

function transliterate(text: string): string {
  return [...text.toLowerCase()].map((ch) => latin[ch] ?? ch).join('')
}

interface StaffMember {
  id: number
  login: string
  role: 'executor' | 'curator'
  groups: GroupName[]
}

interface Staff {
  all: StaffMember[]
  byGroup: Map<GroupName, StaffMember[]>
  curators: StaffMember[]
}

/** Two curators and eight executors, each in one or two groups. */
const staffPlan: ReadonlyArray<{ role: 'executor' | 'curator'; groups: GroupName[]; position: string }> = [
  { role: 'curator', groups: ['Сети', 'МИС', 'Рабочие места'], position: 'Начальник отдела информационных технологий' },
  { role: 'curator', groups: ['Оргтехника', '1С', 'Телефония'], position: 'Ведущий инженер-программист' },
  { role: 'executor', groups: ['Сети', 'Рабочие места'], position: 'Инженер-программист' },
  { role: 'executor', groups: ['МИС'], position: 'Инженер-программист' },
  { role: 'executor', groups: ['МИС', '1С'], position: 'Программист' },
  { role: 'executor', groups: ['Оргтехника', 'Рабочие места'], position: 'Техник' },
  { role: 'executor', groups: ['Оргтехника'], position: 'Техник' },
  { role: 'executor', groups: ['Телефония', 'Сети'], position: 'Инженер связи' },
  { role: 'executor', groups: ['1С'], position: 'Программист 1С' },
  { role: 'executor', groups: ['Рабочие места', 'Телефония'], position: 'Техник' },
]

async function ensureStaff(tx: Tx, random: Random, reference: Reference, passwordHash: string): Promise<Staff> {
  const at = now()
  const itDepartment = reference.departments.find((d) => d.name === IT_DEPARTMENT)?.id ?? null
  const all: StaffMember[] = []
  const usedChatIds = await existingChatIds(tx)
  for (const [i, plan] of staffPlan.entries()) {
    const who = person(random)
    const login = `${transliterate(who.surname)}.${transliterate(who.first.slice(0, 1))}${transliterate(who.patronymic.slice(0, 1))}${i + 1}`
    const found = await tx.selectFrom('users').select('id').where('login', '=', login).executeTakeFirst()
    // A repeated run (--force) gives the demo accounts the password it prints.
    if (found) await tx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', found.id).execute()
    const id =
      found?.id ??
      (
        await tx
          .insertInto('users')
          .values({
            ...blankUser(at),
            role: plan.role,
            status: 'active',
            full_name: who.fullName,
            login,
            password_hash: passwordHash,
            phone: phone(random),
            position: plan.position,
            room: `Корпус 6, каб. ${210 + i}`,
            department_id: itDepartment,
            telegram_chat_id: chatId(random, usedChatIds),
            telegram_username: transliterate(`${who.first}_${who.surname}`),
            confirmed_at: at,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id
    const member: StaffMember = { id, login, role: plan.role, groups: plan.groups }
    for (const group of plan.groups) {
      const groupId = reference.groups.get(group)
      if (groupId === undefined) continue
      await tx
        .insertInto('group_members')
        .values({ group_id: groupId, user_id: id, created_at: at })
        .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
        .execute()
    }
    all.push(member)
  }
  const byGroup = new Map<GroupName, StaffMember[]>()
  for (const member of all) {
    for (const group of member.groups) byGroup.set(group, [...(byGroup.get(group) ?? []), member])
  }
  return { all, byGroup, curators: all.filter((s) => s.role === 'curator') }
}

async function existingChatIds(tx: Tx): Promise<Set<string>> {
  const rows = await tx
    .selectFrom('users')
    .select('telegram_chat_id')
    .where('telegram_chat_id', 'is not', null)
    .execute()
  return new Set(rows.map((r) => r.telegram_chat_id ?? ''))
}

function chatId(random: Random, used: Set<string>): string {
  for (;;) {
    const id = String(random.int(100_000_000, 7_999_999_999))
    if (!used.has(id)) {
      used.add(id)
      return id
    }
  }
}

function phone(random: Random): string {
  return `+7${random.pick(['903', '905', '906', '908', '910', '915', '919', '920', '951', '960', '961'])}${String(random.int(0, 9_999_999)).padStart(7, '0')}`
}

interface Requester {
  id: number
  departmentId: number
  room: string
  /** `каб. 3-112`: the room as a template's text names it. */
  shortRoom: string
  telegram: boolean
}

/** Registrations waiting for a curator's decision, whatever the number of requesters: the dashboard shows them. */
const MIN_PENDING_REGISTRATIONS = 5

interface CreatedRequesters {
  /** The active ones, who file заявки. */
  active: Requester[]
  /** Registrations still waiting for a curator: people who wrote to the bot in the last days. */
  pending: number
}

/**
 * Requesters: mostly active, a few deactivated (they left); and on top of them about 2 % (at least 5)
 * registrations from the last two or three days that wait for a curator's decision.
 */
async function createRequesters(
  tx: Tx,
  random: Random,
  reference: Reference,
  count: number,
): Promise<CreatedRequesters> {
  const at = now()
  const atMs = Date.parse(at)
  const usedChatIds = await existingChatIds(tx)
  const curator = await tx
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'curator')
    .orderBy('id')
    .executeTakeFirst()
  const max = await tx.selectFrom('users').select(sql<number>`max(id)`.as('m')).executeTakeFirst()
  let nextId = Number(max?.m ?? 0) + 1
  const clinical = reference.departments.filter((d) => d.name !== IT_DEPARTMENT)
  const rows: Insertable<UsersTable>[] = []
  const active: Requester[] = []
  const pending = Math.max(MIN_PENDING_REGISTRATIONS, Math.round(count * 0.02))
  for (let i = 0; i < count + pending; i++) {
    const who = person(random)
    const dept = random.pick(clinical)
    const roll = random.next()
    const status = i >= count ? 'pending' : roll < 0.015 ? 'deactivated' : 'active'
    // A pending registration came from the bot lately (20 minutes to 60 hours ago); the others long ago.
    const registered = new Date(
      status === 'pending' ? atMs - random.int(20, 60 * 60) * MINUTE : atMs - random.int(1, 700) * DAY,
    ).toISOString()
    const telegram = random.chance(0.85)
    const room = `Корпус ${dept.building}, каб. ${random.int(1, 4)}${String(random.int(1, 30)).padStart(2, '0')}`
    const id = nextId++
    rows.push({
      ...blankUser(at),
      id,
      role: 'requester',
      status,
      full_name: who.fullName,
      phone: phone(random),
      position: random.pick(dept.positions),
      room,
      department_id: dept.id,
      telegram_chat_id: telegram || status === 'pending' ? chatId(random, usedChatIds) : null,
      telegram_username: telegram && random.chance(0.6) ? transliterate(`${who.first}${random.int(1, 99)}`) : null,
      created_at: registered,
      updated_at: registered,
      confirmed_at: status === 'pending' ? null : registered,
      confirmed_by: status === 'pending' ? null : (curator?.id ?? null),
      deactivated_at: status === 'deactivated' ? at : null,
    })
    if (status === 'active')
      active.push({
        id,
        departmentId: dept.id,
        room,
        shortRoom: room.replace(/^Корпус (\d+), каб\. /, 'каб. $1-'),
        telegram,
      })
  }
  for (let i = 0; i < rows.length; i += 200)
    await tx
      .insertInto('users')
      .values(rows.slice(i, i + 200))
      .execute()
  if (active.length === 0) throw new DomainError('validation', 'Нужен хотя бы один активный заявитель')
  return { active, pending }
}

interface TicketContext {
  reference: Reference
  staff: Staff
  requesters: Requester[]
  deadlines: SettingValue<'tickets.deadlines'>
  hours: SettingValue<'tickets.working_hours'>
  /** Tickets there before the run: a demo adding at least as many builds its tables' indexes after the load. */
  existingTickets: number
}

interface Written {
  tickets: number
  messages: number
  events: number
}

/**
 * How busy each hour of the day is in Moscow: an emergency hospital works round the clock, so заявки come
 * at night too, fewer of them than in the morning rounds and the working day.
 */
const HOUR_WEIGHTS: readonly number[] = [2, 1, 1, 1, 1, 2, 3, 5, 9, 12, 12, 11, 9, 10, 11, 10, 8, 6, 4, 3, 3, 2, 2, 2]
const MAX_HOUR_WEIGHT = Math.max(...HOUR_WEIGHTS)
/** Moscow is UTC+3 the whole year. */
const MOSCOW_OFFSET = 3 * 60 * MINUTE

/** The weight of the Moscow hour an instant falls in. */
function hourWeight(ms: number): number {
  return HOUR_WEIGHTS[Math.floor(((((ms + MOSCOW_OFFSET) % DAY) + DAY) % DAY) / (60 * MINUTE))] ?? 1
}

/**
 * Creation instants over the last year: working hours and weekdays busier, nights never empty.
 * Every ticket draws the same numbers whatever the time of the run, so a seed gives the same year.
 */
function creationTimes(random: Random, count: number, endMs: number): Array<{ at: number; draw: number }> {
  const hourWeights = HOUR_WEIGHTS.map((weight, hour) => [hour, weight] as const)
  const today = endMs - (endMs % DAY)
  const times: Array<{ at: number; draw: number }> = []
  for (let draw = 0; draw < count; draw++) {
    const offset = random.int(0, 364)
    const keepWeekend = random.chance(0.35)
    const [hour] = random.weighted(hourWeights, ([, weight]) => weight)
    const minute = random.int(0, 59)
    const second = random.int(0, 59)
    let dayStart = today - offset * DAY
    const weekday = new Date(dayStart).getUTCDay()
    // Most weekend заявки move to the nearest working day: the hospital works, the offices do not.
    if (weekday === 6 && !keepWeekend) dayStart -= DAY
    if (weekday === 0 && !keepWeekend) dayStart += DAY
    // Moscow is UTC+3: the working day's hours shifted to UTC.
    let at = dayStart + (hour - 3) * 60 * MINUTE + minute * MINUTE + second * 1000
    while (at > endMs - 60 * MINUTE) at -= DAY
    times.push({ at, draw })
  }
  // Sorted by the caller, with the live layer's.
  return times
}

/**
 * The live layer (issue 13): a few dozen заявки of the last two or three days whatever the size of the demo
 * and the hour it is run at, so that the dashboard shows a working department — new ones nobody has taken
 * yet, ones in progress and waiting for an answer, overdue ones, resolved ones waiting for the requester's
 * confirmation. Their creation instants count back from the run's `now` (at any hour, fewer at night); each
 * has its own generator seeded by its place in the plan, apart from the year's draws.
 */
type LiveStatus = 'new' | 'in_progress' | 'waiting' | 'resolved' | 'cancelled'

interface LiveKind {
  status: LiveStatus
  /** Past its resolution deadline now: created that deadline and a little more ago. */
  overdue: boolean
  count: number
  /** How many hours back it was created (within its deadline when it is open and not overdue). */
  hours: readonly [number, number]
  /** The priorities of the kind's first заявки; past them (or undefined): the category's, adjusted as the year's are. */
  priorities?: ReadonlyArray<Priority | undefined>
}

const liveKinds: readonly LiveKind[] = [
  {
    status: 'new',
    overdue: false,
    count: 12,
    hours: [0, 16],
    priorities: [undefined, undefined, undefined, undefined, 'critical'],
  },
  { status: 'new', overdue: true, count: 2, hours: [0, 0], priorities: ['high', 'normal'] },
  {
    status: 'in_progress',
    overdue: false,
    count: 13,
    hours: [0.5, 40],
    priorities: ['critical', undefined, undefined, 'high', undefined],
  },
  {
    status: 'in_progress',
    overdue: true,
    count: 5,
    hours: [0, 0],
    priorities: ['high', 'normal', 'critical', 'high', 'normal'],
  },
  { status: 'waiting', overdue: false, count: 5, hours: [1, 44] },
  { status: 'waiting', overdue: true, count: 1, hours: [0, 0], priorities: ['normal'] },
  { status: 'resolved', overdue: false, count: 6, hours: [2, 46] },
  { status: 'cancelled', overdue: false, count: 2, hours: [1, 40] },
]

interface LiveSlot {
  kind: LiveKind
  priority: Priority | undefined
}

/** The kinds interleaved evenly: a demo too small for the whole plan takes a prefix with some of each. */
const livePlan: readonly LiveSlot[] = liveKinds
  .flatMap((kind, k) =>
    Array.from({ length: kind.count }, (_, i) => ({
      slot: { kind, priority: kind.priorities?.[i] },
      key: (i + 0.5) / kind.count,
      k,
    })),
  )
  .sort((a, b) => a.key - b.key || a.k - b.k)
  .map((entry) => entry.slot)

/** The live layer's size: the whole plan from 100 заявки on, half of a smaller demo. */
function liveCount(tickets: number): number {
  return Math.min(livePlan.length, Math.floor(tickets / 2))
}

interface LiveTicket {
  /** The ticket's generator, past the draws of its creation. */
  random: Random
  category: Reference['categories'][number]
  priority: Priority
  status: TicketStatus
}

const HOUR = 60 * MINUTE
/** How long past its deadline an overdue ticket of the live layer is, at most. */
const MAX_OVERDUE = 18 * HOUR

/**
 * The live layer's заявки and their creation instants (`draw` −1, −2, …). The category and priority come
 * first: an open ticket is created within its resolution deadline, an overdue one that deadline ago and more.
 */
function liveLayer(
  context: TicketContext,
  seed: string,
  count: number,
  endMs: number,
): { times: Array<{ at: number; draw: number }>; tickets: LiveTicket[] } {
  const times: Array<{ at: number; draw: number }> = []
  const tickets: LiveTicket[] = []
  const categories = context.reference.categories
  const dueOf = (category: Reference['categories'][number], priority: Priority) =>
    (category.row.resolution_minutes ?? context.deadlines[priority].resolutionMinutes) * MINUTE
  for (let k = 0; k < count; k++) {
    const slot = livePlan[k]
    if (!slot) break
    const random = seededRandom(`${seed}#live${k}`)
    const { kind, priority: wanted } = slot
    let at: number
    let category: Reference['categories'][number]
    let priority: Priority
    if (wanted || kind.overdue) {
      // A priority asked for (or an overdue ticket): the category and priority first, the instant from the deadline.
      const matching = wanted ? categories.filter((c) => c.row.default_priority === wanted) : categories
      category = random.weighted(matching.length > 0 ? matching : categories, (c) => c.template.weight)
      priority = wanted ?? adjustPriority(random, category.row.default_priority)
      const due = dueOf(category, priority)
      at = kind.overdue
        ? overdueInstant(context, category, priority, liveInstant(random, endMs, due + 20 * MINUTE, due + MAX_OVERDUE))
        : liveInstant(
            random,
            endMs,
            Math.min(kind.hours[0] * HOUR, due * 0.4),
            Math.min(kind.hours[1] * HOUR, due * 0.85),
          )
    } else {
      // The instant first, then a category whose deadline it is still within: what stays open for a day is
      // rarely urgent, an urgent one is recent.
      at = liveInstant(random, endMs, kind.hours[0] * HOUR, kind.hours[1] * HOUR)
      const age = endMs - at
      const fitting = categories.filter((c) => dueOf(c, c.row.default_priority) * 0.85 > age)
      category = random.weighted(fitting.length > 0 ? fitting : categories, (c) => c.template.weight)
      priority = adjustPriority(random, category.row.default_priority)
      if (dueOf(category, priority) * 0.85 <= age) priority = category.row.default_priority
      const due = dueOf(category, priority)
      // Only when no category fits (a hospital whose deadlines were shortened): back within the deadline.
      if (due * 0.85 <= age) at = endMs - Math.floor(due * 0.5)
    }
    times.push({ at, draw: -1 - k })
    tickets.push({ random, category, priority, status: kind.status })
  }
  return { times, tickets }
}

/**
 * When an overdue ticket drawn at `at` is created: the deadline counted 24/7 from `at` has passed; on the
 * working hours' clock (normal and low priorities) the nights and weekends in between stretch it, so the
 * ticket moves back until its real deadline is that one.
 */
function overdueInstant(
  context: TicketContext,
  category: Reference['categories'][number],
  priority: Priority,
  at: number,
): number {
  const target = at + (category.row.resolution_minutes ?? context.deadlines[priority].resolutionMinutes) * MINUTE
  const dueAt = (from: number) =>
    Date.parse(
      computeDeadlines(new Date(from).toISOString(), priority, category.row, context.deadlines, context.hours)
        .resolutionDueAt,
    )
  let created = at
  for (let step = 0; step < 50; step++) {
    const late = dueAt(created) - target
    if (late <= 0) break
    created -= late
  }
  return Math.floor(created / 1000) * 1000
}

/**
 * An instant `from`…`to` ms before `endMs`, busier hours likelier (rejection by the hour's weight; a window
 * all in the night keeps a night instant). Whole seconds, as the year's.
 */
function liveInstant(random: Random, endMs: number, from: number, to: number): number {
  let at = endMs - from
  for (let attempt = 0; attempt < 24; attempt++) {
    at = endMs - from - (to - from) * random.next()
    if (random.next() * MAX_HOUR_WEIGHT < hourWeight(at)) break
  }
  return Math.floor(at / 1000) * 1000
}

function statusForAge(random: Random, ageDays: number): TicketStatus {
  const table: ReadonlyArray<readonly [TicketStatus, number]> =
    ageDays < 1
      ? [
          ['new', 35],
          ['in_progress', 35],
          ['waiting', 10],
          ['resolved', 15],
          ['cancelled', 5],
        ]
      : ageDays < 3
        ? [
            ['new', 8],
            ['in_progress', 25],
            ['waiting', 10],
            ['resolved', 45],
            ['closed', 7],
            ['cancelled', 5],
          ]
        : ageDays < 14
          ? [
              ['in_progress', 5],
              ['waiting', 3],
              ['resolved', 2],
              ['closed', 84],
              ['cancelled', 6],
            ]
          : [
              ['in_progress', 1],
              ['closed', 93],
              ['cancelled', 6],
            ]
  return random.weighted(table, ([, w]) => w)[0]
}

const responseRange: Record<Priority, [number, number]> = {
  critical: [2, 30],
  high: [5, 120],
  normal: [10, 720],
  low: [30, 2880],
}

const workRange: Record<Priority, [number, number]> = {
  critical: [20, 360],
  high: [30, 900],
  normal: [60, 4320],
  low: [120, 8640],
}

/** `{room}` and `{n}` in a template; the number is drawn whether the template has one or not. */
function fill(template: string, random: Random, shortRoom: string): string {
  const n = random.int(10, 999)
  if (!template.includes('{')) return template
  return template.replaceAll('{room}', shortRoom).replaceAll('{n}', String(n))
}

async function createTickets(
  tx: Tx,
  yearRandom: Random,
  context: TicketContext,
  options: DemoOptions,
): Promise<Written> {
  const endMs = Date.parse(now())
  const max = await tx.selectFrom('tickets').select(sql<number>`max(id)`.as('m')).executeTakeFirst()
  let nextId = Number(max?.m ?? 0) + 1
  const lives = liveCount(options.tickets)
  const live = liveLayer(context, options.seed, lives, endMs)
  const times = creationTimes(yearRandom, options.tickets - lives, endMs)
  times.push(...live.times)
  times.sort((a, b) => a.at - b.at || a.draw - b.draw)
  let tickets: Insertable<TicketsTable>[] = []
  let messages: Insertable<TicketMessagesTable>[] = []
  let events: Insertable<TicketEventsTable>[] = []
  let search: SearchRow[] = []
  const written: Written = { tickets: 0, messages: 0, events: 0 }

  const writer = await bulkWriter(tx, { deferIndexes: options.tickets >= context.existingTickets })
  const flush = async () => {
    await writer.write({ tickets, messages, events, search })
    written.tickets += tickets.length
    written.messages += messages.length
    written.events += events.length
    tickets = []
    messages = []
    events = []
    search = []
    options.onProgress?.(written.tickets, options.tickets)
  }

  for (const { at: createdMs, draw } of times) {
    const id = nextId++
    // Each ticket has its own generator, tied to its draw: a ticket whose status differs (the run is
    // later in the day) does not shift the random numbers of the tickets after it. The live layer's
    // (negative draws) have drawn their category, priority and creation already.
    const planned = draw < 0 ? live.tickets[-1 - draw] : undefined
    const random = planned?.random ?? seededRandom(`${options.seed}#${draw}`)
    const { row: category, template } =
      planned?.category ?? random.weighted(context.reference.categories, (c) => c.template.weight)
    const requester = random.pick(context.requesters)
    const groupName = categoryGroup(context, category.default_group_id)
    const team = (groupName ? context.staff.byGroup.get(groupName) : undefined) ?? context.staff.all
    const onBehalf = random.chance(0.08)
    const creator = onBehalf ? random.pick(team) : null
    const source: TicketSource = onBehalf ? 'web' : requester.telegram && random.chance(0.8) ? 'telegram' : 'web'
    const priority = planned?.priority ?? adjustPriority(random, category.default_priority)
    const status = planned?.status ?? statusForAge(random, (endMs - createdMs) / DAY)
    const title = fill(random.pick(template.titles), random, requester.shortRoom)
    const description = `${onBehalf ? 'Звонок по телефону. ' : ''}${fill(random.pick(template.descriptions), random, requester.shortRoom)}`
    const created = new Date(createdMs).toISOString()
    const { responseDueAt, resolutionDueAt } = computeDeadlines(
      created,
      priority,
      category,
      context.deadlines,
      context.hours,
    )

    let clock = createdMs
    /** The next moment `minutes` later, never in the future: late steps squeeze into the time left. */
    const later = (minutes: number) => {
      const wanted = clock + minutes * MINUTE
      clock = wanted < endMs - MINUTE ? wanted : clock + Math.floor((endMs - clock) * 0.3 * random.next())
      return new Date(clock).toISOString()
    }
    const event = (
      kind: string,
      actorId: number | null,
      at: string,
      from: string | null,
      to: string | null,
      details?: object,
    ) =>
      events.push({
        ticket_id: id,
        actor_id: actorId,
        kind,
        from_value: from,
        to_value: to,
        details: details ? JSON.stringify(details) : null,
        created_at: at,
      })
    const external: string[] = []
    const internal: string[] = []
    const message = (authorId: number, kind: 'external' | 'internal', body: string, at: string, fromStaff: boolean) => {
      messages.push({
        ticket_id: id,
        author_id: authorId,
        kind,
        body,
        source: fromStaff ? 'web' : source === 'telegram' ? 'telegram' : 'web',
        created_at: at,
        delivery_status: fromStaff && kind === 'external' && requester.telegram ? 'sent' : null,
        telegram_message_id: null,
      })
      ;(kind === 'external' ? external : internal).push(body)
      event(kind === 'external' ? 'message' : 'note', authorId, at, null, null)
    }

    event('created', creator?.id ?? requester.id, created, null, 'new')
    const ticket: Insertable<TicketsTable> = {
      id,
      title,
      description,
      category_id: category.id,
      priority,
      status,
      requester_id: requester.id,
      assignee_id: null,
      group_id: category.default_group_id,
      department_id: requester.departmentId,
      location: requester.room,
      source,
      created_by: creator?.id ?? requester.id,
      created_at: created,
      updated_at: created,
      first_response_at: null,
      resolved_at: null,
      closed_at: null,
      cancelled_at: null,
      response_due_at: responseDueAt,
      resolution_due_at: resolutionDueAt,
      response_breached_at: null,
      resolution_breached_at: null,
      resolution: null,
      cancel_reason: null,
      rating: null,
      rating_comment: null,
      rated_at: null,
    }

    const cancelEarly = status === 'cancelled' && random.chance(0.6)
    if (cancelEarly) {
      const at = later(random.minutes(5, 240))
      ticket.cancelled_at = at
      ticket.cancel_reason = random.pick(cancelReasons)
      event('status_changed', requester.id, at, 'new', 'cancelled', { reason: ticket.cancel_reason })
    } else if (status !== 'new') {
      const assignee = random.chance(0.1) ? random.pick(context.staff.curators) : random.pick(team)
      const [rMin, rMax] = responseRange[priority]
      const taken = later(random.minutes(rMin, rMax))
      ticket.assignee_id = assignee.id
      ticket.first_response_at = taken
      event('taken', assignee.id, taken, null, String(assignee.id))
      event('status_changed', assignee.id, taken, 'new', 'in_progress')
      if (random.chance(0.25))
        message(assignee.id, 'internal', random.pick(template.notes), later(random.minutes(1, 60)), true)
      const asks = status === 'waiting' || random.chance(0.6)
      if (asks) {
        message(assignee.id, 'external', random.pick(template.questions), later(random.minutes(1, 30)), true)
        if (status === 'waiting') {
          event('status_changed', assignee.id, new Date(clock).toISOString(), 'in_progress', 'waiting')
        } else if (random.chance(0.8)) {
          message(
            requester.id,
            'external',
            fill(random.pick(requesterReplies), random, requester.shortRoom),
            later(random.minutes(2, 120)),
            false,
          )
        }
      }
      if (status === 'cancelled') {
        const at = later(random.minutes(10, 600))
        ticket.cancelled_at = at
        ticket.cancel_reason = random.pick(cancelReasons)
        event('status_changed', assignee.id, at, 'in_progress', 'cancelled', { reason: ticket.cancel_reason })
      }
      if (status === 'resolved' || status === 'closed') {
        const [wMin, wMax] = workRange[priority]
        const resolved = later(random.minutes(wMin, wMax))
        ticket.resolved_at = resolved
        ticket.resolution = random.pick(template.resolutions)
        event('status_changed', assignee.id, resolved, 'in_progress', 'resolved', { resolution: ticket.resolution })
        if (status === 'closed') {
          const confirmed = random.chance(0.6)
          const closed = later(confirmed ? random.minutes(10, 24 * 60) : 3 * 24 * 60 + random.int(0, 60))
          ticket.closed_at = closed
          event(
            'status_changed',
            confirmed ? requester.id : null,
            closed,
            'resolved',
            'closed',
            confirmed ? undefined : { auto: true },
          )
          if (confirmed && random.chance(0.75)) {
            const score = random.weighted(
              [
                [5, 60],
                [4, 25],
                [3, 8],
                [2, 4],
                [1, 3],
              ] as const,
              ([, w]) => w,
            )[0]
            ticket.rating = score
            ticket.rated_at = later(random.minutes(0, 5))
            if (random.chance(0.3))
              ticket.rating_comment = random.pick(score >= 4 ? ratingComments.high : ratingComments.low)
            event('rated', requester.id, ticket.rated_at, null, String(score))
          }
        }
      }
    }
    ticket.updated_at = new Date(clock).toISOString()
    const responded = ticket.first_response_at ?? (ticket.cancelled_at ? null : new Date(endMs).toISOString())
    if (responded && responded > responseDueAt) ticket.response_breached_at = responseDueAt
    const finished = ticket.resolved_at ?? (ticket.cancelled_at ? null : new Date(endMs).toISOString())
    if (finished && finished > resolutionDueAt) ticket.resolution_breached_at = resolutionDueAt

    tickets.push(ticket)
    search.push({
      id,
      title,
      // Indexed with its place, as a ticket filed through the use case is (ticket-search.ts).
      description: indexedDescription({ description, location: requester.room }),
      external: external.join('\n'),
      internal: internal.join('\n'),
    })
    if (tickets.length >= BATCH) await flush()
  }
  await flush()
  options.onFinishing?.()
  await writer.finish()
  return written
}

function categoryGroup(context: TicketContext, groupId: number | null): GroupName | undefined {
  for (const [name, id] of context.reference.groups) if (id === groupId) return name
  return undefined
}

function adjustPriority(random: Random, priority: Priority): Priority {
  const order: Priority[] = ['low', 'normal', 'high', 'critical']
  const i = order.indexOf(priority)
  const roll = random.next()
  const shifted = roll < 0.08 ? i + 1 : roll < 0.13 ? i - 1 : i
  return order[Math.min(order.length - 1, Math.max(0, shifted))] ?? priority
}
