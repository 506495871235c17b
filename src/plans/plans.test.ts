import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { beforeEach, describe, expect, onTestFinished, test, vi } from 'vitest'
import { openDatabase } from '#src/db/database.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { generateDemo } from '#src/demo/generate.ts'
import { DomainError } from '#src/errors.ts'
import { destroySubject } from '#src/pdn/destroy-subject.ts'
import { setSetting } from '#src/settings/settings.ts'
import { systemActor } from '#src/users/actor.ts'
import { deactivateUser } from '#src/users/deactivate-user.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase, testDialect } from '../../test/support/database.ts'
import { buildActor, buildCategory, buildGroup } from '../../test/support/factories.ts'
import { createPlan } from './create-plan.ts'
import { listPlans } from './list-plans.ts'
import {
  checkSchedule,
  nextRunAfter,
  nextRuns,
  occurrencesBetween,
  presetOf,
  presetToCron,
  renderPlanText,
} from './plan-rules.ts'
import { previewSchedule } from './preview-schedule.ts'
import { runDuePlans } from './run-due-plans.ts'
import { runPlanNow } from './run-plan-now.ts'
import { updatePlan } from './update-plan.ts'
import { viewPlan } from './view-plan.ts'

/** Something to do after the worker has read the due plans and before it claims them (a race, made certain). */
const race = vi.hoisted(() => ({ afterRead: undefined as (() => Promise<unknown>) | undefined }))
vi.mock('./plan-store.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('./plan-store.ts')>()
  return {
    ...original,
    duePlans: async (...args: Parameters<typeof original.duePlans>) => {
      const rows = await original.duePlans(...args)
      const afterRead = race.afterRead
      race.afterRead = undefined
      await afterRead?.()
      return rows
    },
  }
})

const MSK = 'Europe/Moscow'
const HOUR = 60 * 60_000
const DAY = 24 * HOUR

let db: Db
// A database of its own per test: the worker's round runs every due plan there is.
beforeEach(async () => {
  db = (await testDatabase()).db
})

/** A curator, a group with an executor, and a category whose own group is another one. */
async function hospital() {
  const curator = await buildActor(db, { role: 'curator' })
  const executor = await buildActor(db, { role: 'executor' })
  const group = await buildGroup(db, undefined, [executor.user.id])
  const otherGroup = await buildGroup(db)
  const category = await buildCategory(db, { defaultGroupId: otherGroup.id })
  return { curator, executor, group, otherGroup, category }
}

async function makePlan(h: Awaited<ReturnType<typeof hospital>>, schedule: string, title = 'Обход картриджей') {
  return createPlan(
    db,
    h.curator.actor,
    {
      title: `${title} — {{месяц}}`,
      description: 'Проверить картриджи во всех отделениях ({{дата}})',
      categoryId: h.category.id,
      groupId: h.group.id,
      priority: 'normal',
      schedule,
    },
    MSK,
  )
}

async function ticketsOfPlan(planId: number) {
  return db
    .selectFrom('plan_runs')
    .innerJoin('tickets', 'tickets.id', 'plan_runs.ticket_id')
    .select(['tickets.id', 'tickets.title', 'tickets.group_id', 'plan_runs.due_at', 'plan_runs.missed'])
    .where('plan_runs.plan_id', '=', planId)
    .orderBy('plan_runs.id')
    .execute()
}

/** Another pool on the test's PostgreSQL database: a second server's connections. */
async function secondInstance(first: Db): Promise<Db> {
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(first)
  const url = new URL(process.env.TEST_DATABASE_URL ?? '')
  url.pathname = `/${rows[0]?.name ?? ''}`
  const other = openDatabase({ kind: 'postgres', url: url.toString() }, { poolSize: 2 })
  onTestFinished(() => other.destroy())
  return other
}

async function reject(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(DomainError)
  return error as DomainError
}

describe('the schedule in the hospital time zone', () => {
  test('«1-го числа в 09:00» in Europe/Moscow is 06:00 UTC on the 1st, winter and summer alike (no DST)', () => {
    const cron = presetToCron({ kind: 'monthly', day: 1, time: '09:00' })
    expect(cron).toBe('0 9 1 * *')
    const runs = nextRuns(cron, MSK, new Date('2026-01-15T00:00:00Z'), 12).map((d) => d.toISOString())
    expect(runs[0]).toBe('2026-02-01T06:00:00.000Z')
    expect(runs[2]).toBe('2026-04-01T06:00:00.000Z')
    expect(runs[5]).toBe('2026-07-01T06:00:00.000Z')
    expect(runs[9]).toBe('2026-11-01T06:00:00.000Z')
    expect(runs.every((iso) => iso.endsWith('T06:00:00.000Z'))).toBe(true)
    // On the last Sunday of March and of October, when Europe used to shift its clocks, Moscow stays at UTC+3.
    expect(nextRunAfter('30 2 * * *', MSK, '2026-03-28T12:00:00Z')).toBe('2026-03-28T23:30:00.000Z')
    expect(nextRunAfter('30 2 * * *', MSK, '2026-10-24T12:00:00Z')).toBe('2026-10-24T23:30:00.000Z')
  })

  test('the presets are cron and back; anything else is raw cron', () => {
    expect(presetToCron({ kind: 'daily', time: '8:05' })).toBe('5 8 * * *')
    expect(presetToCron({ kind: 'weekly', weekday: 1, time: '10:00' })).toBe('0 10 * * 1')
    expect(presetToCron({ kind: 'weekly', weekday: 7, time: '10:00' })).toBe('0 10 * * 0')
    expect(presetOf('0 10 * * 0')).toEqual({ kind: 'weekly', weekday: 7, time: '10:00' })
    expect(presetOf('5 8 * * *')).toEqual({ kind: 'daily', time: '08:05' })
    expect(presetOf('0 9 1 * *')).toEqual({ kind: 'monthly', day: 1, time: '09:00' })
    expect(presetOf('0 9 * * 1-5').kind).toBe('cron')
    expect(presetOf('0 9 31 * *').kind).toBe('cron')
    expect(() => presetToCron({ kind: 'daily', time: '25:00' })).toThrow(/ЧЧ:ММ/)
    expect(() => presetToCron({ kind: 'monthly', day: 31, time: '09:00' })).toThrow(/от 1 до 28/)
  })

  test('a schedule that is no cron, never comes or comes more than hourly is refused in Russian', () => {
    const from = new Date('2026-03-02T08:00:00Z')
    expect(checkSchedule('  0  9 1 * * ', MSK, from)).toBe('0 9 1 * *')
    expect(() => checkSchedule('каждый день', MSK, from)).toThrow(/пять полей/)
    expect(() => checkSchedule('0 0 9 1 * *', MSK, from)).toThrow(/пять полей/)
    expect(() => checkSchedule('0 99 * * *', MSK, from)).toThrow(/не выражение cron/)
    expect(() => checkSchedule('0 9 30 2 *', MSK, from)).toThrow(/ни разу|не выражение cron/)
    expect(() => checkSchedule('*/5 * * * *', MSK, from)).toThrow(/не чаще раза в час/)
  })

  test('the placeholders take the run’s day in the hospital’s zone', () => {
    // 22:30 UTC on 31 March is already 1 April in Moscow.
    expect(renderPlanText('{{месяц}}: {{дата}}, {{ год }}', '2026-03-31T22:30:00Z', MSK)).toBe(
      'апрель 2026: 01.04.2026, 2026',
    )
    expect(occurrencesBetween('0 9 * * *', MSK, '2026-03-02T06:00:00Z', '2026-03-06T07:00:00Z')).toBe(4)
  })
})

describe('plans', () => {
  test('a curator makes a plan: its next run is the first occurrence after now; executors see it, may not make one', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const h = await hospital()
    const plan = await makePlan(h, '0 9 1 * *')
    expect(plan.next_run_at).toBe('2026-04-01T06:00:00.000Z')
    expect(plan.requester_id).toBe(h.curator.user.id)
    expect(plan.group_name).toBe(h.group.name)
    const seen = await listPlans(db, h.executor.actor)
    expect(seen.map((p) => p.id)).toContain(plan.id)
    const refused = await reject(makePlan({ ...h, curator: h.executor }, '0 9 1 * *'))
    expect(refused.code).toBe('forbidden')
    const denied = await db
      .selectFrom('audit_log')
      .select(['action', 'actor_id'])
      .where('result', '=', 'denied')
      .where('action', '=', 'plan.create')
      .execute()
    expect(denied).toContainEqual({ action: 'plan.create', actor_id: h.executor.user.id })
    const requester = await buildActor(db, { role: 'requester' })
    expect((await reject(listPlans(db, requester.actor))).code).toBe('forbidden')
  })

  test('raw cron is for admins; a curator keeps to the presets; bad input changes nothing', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const h = await hospital()
    const before = await db.selectFrom('plans').select(db.fn.countAll().as('n')).executeTakeFirstOrThrow()
    expect((await reject(makePlan(h, '0 9 * * 1-5'))).message).toMatch(/администраторы/)
    expect((await reject(makePlan(h, '*/10 * * * *'))).message).toMatch(/не чаще раза в час/)
    const disabled = await buildCategory(db, { active: false })
    const refused = await reject(
      createPlan(
        db,
        h.curator.actor,
        {
          title: 'Т',
          description: 'О',
          categoryId: disabled.id,
          groupId: h.group.id,
          priority: 'normal',
          schedule: '0 9 * * *',
        },
        MSK,
      ),
    )
    expect(refused.message).toBe('Категория отключена')
    expect((await reject(makePlan(h, '0 9 * * *', 'Обход {{неделя}}'))).message).toMatch(/Неизвестная подстановка/)
    const after = await db.selectFrom('plans').select(db.fn.countAll().as('n')).executeTakeFirstOrThrow()
    expect(Number(after.n)).toBe(Number(before.n))
    const admin = await buildActor(db, { role: 'admin' })
    const plan = await makePlan({ ...h, curator: admin }, '0 9 * * 1-5')
    // Monday 2 March 2026, 11:00 in Moscow: the next weekday's 09:00 is Tuesday's.
    expect(plan.next_run_at).toBe('2026-03-03T06:00:00.000Z')
  })

  test('the clock moved across a month: a daily plan files one ticket a day, to the plan’s group, for that day', async () => {
    setTestClock('2026-03-01T00:00:00Z')
    const h = await hospital()
    const plan = await makePlan(h, '0 9 * * *')
    expect(plan.next_run_at).toBe('2026-03-01T06:00:00.000Z')
    const start = Date.parse('2026-03-01T00:00:00Z')
    for (let t = start; t <= start + 31 * DAY; t += 4 * HOUR) {
      setTestClock(t)
      await runDuePlans(db, MSK)
    }
    const tickets = await ticketsOfPlan(plan.id)
    expect(tickets).toHaveLength(31)
    expect(tickets.every((t) => t.group_id === h.group.id && Number(t.missed) === 0)).toBe(true)
    expect(tickets[0]?.due_at).toBe('2026-03-01T06:00:00.000Z')
    expect(tickets[30]?.due_at).toBe('2026-03-31T06:00:00.000Z')
    expect(tickets[30]?.title).toBe('Обход картриджей — март 2026')
    const description = await db
      .selectFrom('tickets')
      .select('description')
      .where('id', '=', tickets[9]?.id ?? 0)
      .executeTakeFirstOrThrow()
    expect(description.description).toBe('Проверить картриджи во всех отделениях (10.03.2026)')
    const after = await viewPlan(db, h.executor.actor, { id: plan.id })
    expect(after.plan.next_run_at).toBe('2026-04-01T06:00:00.000Z')
    expect(after.plan.last_ticket_id).toBe(tickets[30]?.id)
    expect(after.runs).toHaveLength(31)
  })

  test('after a downtime a missed plan files ONE ticket and moves to the next future occurrence', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const h = await hospital()
    const plan = await makePlan(h, '0 9 * * *')
    expect(plan.next_run_at).toBe('2026-03-03T06:00:00.000Z')
    // Down from before the 3rd's run until the 8th, 10:00 Moscow: six occurrences passed (3rd…8th).
    setTestClock('2026-03-08T07:00:00Z')
    expect(await runDuePlans(db, MSK)).toBe(1)
    expect(await runDuePlans(db, MSK)).toBe(0)
    const tickets = await ticketsOfPlan(plan.id)
    expect(tickets).toHaveLength(1)
    expect(tickets[0]?.due_at).toBe('2026-03-03T06:00:00.000Z')
    expect(Number(tickets[0]?.missed)).toBe(5)
    const row = await db.selectFrom('plans').selectAll().where('id', '=', plan.id).executeTakeFirstOrThrow()
    expect(row.next_run_at).toBe('2026-03-09T06:00:00.000Z')
    const journal = await db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('object_type', '=', 'plan')
      .where('object_id', '=', String(plan.id))
      .where('action', '=', 'plan.run')
      .execute()
    expect(journal).toHaveLength(1)
    expect(JSON.parse(journal[0]?.details ?? '{}')).toMatchObject({ missed: 5, ticketId: tickets[0]?.id })
  })

  test('two workers racing the same due plans file one ticket each', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const h = await hospital()
    const plans = [
      await makePlan(h, '0 9 * * *', 'Копии МИС'),
      await makePlan(h, '0 9 * * *', 'Сертификаты ЭЦП'),
      await makePlan(h, '0 9 * * *', 'Обход картриджей'),
    ]
    setTestClock('2026-03-03T06:00:30Z')
    // On PostgreSQL a second instance: its own pool on the same database, as two servers would have.
    const other = testDialect() === 'postgres' ? await secondInstance(db) : db
    const [a, b] = await Promise.all([runDuePlans(db, MSK), runDuePlans(other, MSK)])
    expect((a ?? 0) + (b ?? 0)).toBe(3)
    for (const plan of plans) expect(await ticketsOfPlan(plan.id)).toHaveLength(1)
    expect(await db.selectFrom('tickets').select('id').execute()).toHaveLength(3)
  })

  test('a paused plan files nothing; resumed, it runs next at the first occurrence after now', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const h = await hospital()
    const plan = await makePlan(h, '0 9 * * *')
    const paused = await updatePlan(db, h.curator.actor, { id: plan.id, active: false }, MSK)
    expect(paused.next_run_at).toBeNull()
    setTestClock('2026-03-05T08:00:00Z')
    expect(await runDuePlans(db, MSK)).toBe(0)
    const resumed = await updatePlan(db, h.curator.actor, { id: plan.id, active: true }, MSK)
    expect(resumed.next_run_at).toBe('2026-03-06T06:00:00.000Z')
    expect(await ticketsOfPlan(plan.id)).toHaveLength(0)
    const actions = await db
      .selectFrom('audit_log')
      .select('action')
      .where('object_type', '=', 'plan')
      .where('object_id', '=', String(plan.id))
      .orderBy('id')
      .execute()
    expect(actions.map((a) => a.action)).toEqual(['plan.create', 'plan.pause', 'plan.resume'])
    expect((await reject(updatePlan(db, h.executor.actor, { id: plan.id, active: false }, MSK))).code).toBe('forbidden')
  })

  test('«Запустить сейчас» files the ticket at once to the plan’s group and leaves the schedule as it was', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const h = await hospital()
    const plan = await makePlan(h, '0 9 1 * *')
    const ticket = await runPlanNow(db, h.curator.actor, { id: plan.id }, MSK)
    expect(ticket.group_id).toBe(h.group.id)
    expect(ticket.requester_id).toBe(h.curator.user.id)
    expect(ticket.title).toBe('Обход картриджей — март 2026')
    const row = await db.selectFrom('plans').selectAll().where('id', '=', plan.id).executeTakeFirstOrThrow()
    expect(row.next_run_at).toBe('2026-04-01T06:00:00.000Z')
    expect(row.last_ticket_id).toBe(ticket.id)
    const run = await db.selectFrom('plan_runs').selectAll().where('plan_id', '=', plan.id).executeTakeFirstOrThrow()
    expect(run).toMatchObject({ kind: 'manual', due_at: null, actor_id: h.curator.user.id, ticket_id: ticket.id })
    // The group's executor is told of the new ticket.
    const notices = await db
      .selectFrom('outbox')
      .select('recipient')
      .where('kind', '=', 'ticket_new_for_group')
      .where('ticket_id', '=', ticket.id)
      .execute()
    expect(notices.map((n) => n.recipient)).toContain(h.executor.user.telegram_chat_id)
    expect((await reject(runPlanNow(db, h.executor.actor, { id: plan.id }, MSK))).code).toBe('forbidden')
    expect(await ticketsOfPlan(plan.id)).toHaveLength(1)
  })

  test('a run the ticket rules refuse is recorded with its reason, and the plan goes on', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const h = await hospital()
    const plan = await makePlan(h, '0 9 * * *')
    await db.updateTable('categories').set({ active: 0 }).where('id', '=', h.category.id).execute()
    setTestClock('2026-03-03T07:00:00Z')
    expect(await runDuePlans(db, MSK)).toBe(1)
    const run = await db.selectFrom('plan_runs').selectAll().where('plan_id', '=', plan.id).executeTakeFirstOrThrow()
    expect(run.ticket_id).toBeNull()
    expect(run.error).toBe('Категория не найдена или отключена')
    const row = await db.selectFrom('plans').selectAll().where('id', '=', plan.id).executeTakeFirstOrThrow()
    expect(row.next_run_at).toBe('2026-03-04T06:00:00.000Z')
    expect(row.last_ticket_id).toBeNull()
    expect((await reject(runPlanNow(db, h.curator.actor, { id: plan.id }, MSK))).message).toMatch(/Категория/)
    expect(await db.selectFrom('plan_runs').selectAll().where('plan_id', '=', plan.id).execute()).toHaveLength(1)
  })

  test('a plan whose group was disabled since files nothing into it: the run is recorded with the reason', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const h = await hospital()
    const plan = await makePlan(h, '0 9 * * *')
    await db.updateTable('executor_groups').set({ active: 0 }).where('id', '=', h.group.id).execute()
    setTestClock('2026-03-03T07:00:00Z')
    expect(await runDuePlans(db, MSK)).toBe(1)
    const run = await db.selectFrom('plan_runs').selectAll().where('plan_id', '=', plan.id).executeTakeFirstOrThrow()
    expect(run.ticket_id).toBeNull()
    expect(run.error).toBe('Группа исполнителей не найдена')
    expect(await db.selectFrom('tickets').select('id').execute()).toEqual([])
    expect((await reject(runPlanNow(db, h.curator.actor, { id: plan.id }, MSK))).message).toBe(
      'Группа исполнителей не найдена',
    )
  })

  test('a plan changed after the worker read it runs as it is now, not as it was read', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const h = await hospital()
    const plan = await makePlan(h, '0 9 * * *')
    const newGroup = await buildGroup(db)
    setTestClock('2026-03-03T06:00:30Z')
    // The curator moves the plan to another group between the worker's read and its claim.
    race.afterRead = () => updatePlan(db, h.curator.actor, { id: plan.id, groupId: newGroup.id }, MSK)
    await runDuePlans(db, MSK)
    expect(race.afterRead).toBeUndefined()
    await runDuePlans(db, MSK)
    const tickets = await ticketsOfPlan(plan.id)
    expect(tickets.map((t) => t.group_id)).toEqual([newGroup.id])
    expect(tickets[0]?.due_at).toBe('2026-03-03T06:00:00.000Z')
  })

  test('the curator who made a plan is deactivated: the plan stops, and whoever resumes it files in their own name', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const h = await hospital()
    const plan = await makePlan(h, '0 9 * * *')
    const admin = await buildActor(db, { role: 'admin' })
    await deactivateUser(db, admin.actor, { userId: h.curator.user.id })
    setTestClock('2026-03-03T07:00:00Z')
    expect(await runDuePlans(db, MSK)).toBe(1)
    const run = await db.selectFrom('plan_runs').selectAll().where('plan_id', '=', plan.id).executeTakeFirstOrThrow()
    expect(run).toMatchObject({ ticket_id: null, error: 'Заявитель не найден или его учётная запись не активна' })
    const paused = await db.selectFrom('plans').selectAll().where('id', '=', plan.id).executeTakeFirstOrThrow()
    expect(paused).toMatchObject({ active: 0, next_run_at: null })
    const journal = await db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('object_type', '=', 'plan')
      .where('object_id', '=', String(plan.id))
      .where('action', '=', 'plan.pause')
      .executeTakeFirstOrThrow()
    expect(JSON.parse(journal.details ?? '{}')).toMatchObject({ reason: 'requester_inactive' })
    // Paused, it fails no more: the next days pass without runs.
    setTestClock('2026-03-05T07:00:00Z')
    expect(await runDuePlans(db, MSK)).toBe(0)

    const successor = await buildActor(db, { role: 'curator' })
    const resumed = await updatePlan(db, successor.actor, { id: plan.id, active: true }, MSK)
    expect(resumed).toMatchObject({ requester_id: successor.user.id, next_run_at: '2026-03-06T06:00:00.000Z' })
    setTestClock('2026-03-06T06:00:30Z')
    expect(await runDuePlans(db, MSK)).toBe(1)
    const [ticket] = await ticketsOfPlan(plan.id)
    const filed = await db
      .selectFrom('tickets')
      .selectAll()
      .where('id', '=', ticket?.id ?? 0)
      .executeTakeFirstOrThrow()
    expect(filed.requester_id).toBe(successor.user.id)
  })

  test('a plan of a curator whose data were destroyed (152-ФЗ) files nothing in the name of «Субъект № N»', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const h = await hospital()
    const plan = await makePlan(h, '0 9 * * *')
    const commission = [{ name: 'Комиссарова Анна Сергеевна', position: 'Заместитель главного врача' }]
    await setSetting(db, systemActor(), 'pdn.commission', commission)
    const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-plans-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    await destroySubject(
      db,
      systemActor('cli'),
      { dataDir, tzDisplay: MSK },
      { userId: h.curator.user.id, reason: 'Увольнение', commission, deleteTexts: false },
    )
    setTestClock('2026-03-03T07:00:00Z')
    expect(await runDuePlans(db, MSK)).toBe(1)
    expect(await db.selectFrom('tickets').select('id').where('requester_id', '=', h.curator.user.id).execute()).toEqual(
      [],
    )
    const row = await db.selectFrom('plans').selectAll().where('id', '=', plan.id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ active: 0, next_run_at: null })
  })

  test('a plan that breaks does not hold up the plans after it; the round fails after them', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const h = await hospital()
    const broken = await makePlan(h, '0 9 * * *', 'Сертификаты ЭЦП')
    const plan = await makePlan(h, '0 9 * * *')
    // A row no use case writes (edited by hand, or read otherwise by a newer croner).
    await db.updateTable('plans').set({ schedule: 'не cron' }).where('id', '=', broken.id).execute()
    setTestClock('2026-03-03T06:00:30Z')
    await expect(runDuePlans(db, MSK)).rejects.toThrow()
    expect(await ticketsOfPlan(plan.id)).toHaveLength(1)
    expect(await ticketsOfPlan(broken.id)).toEqual([])
  })

  test('the next five runs are shown before saving', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const h = await hospital()
    const preview = await previewSchedule(db, h.curator.actor, { schedule: '0 9 * * 1' }, MSK)
    expect(preview.preset).toEqual({ kind: 'weekly', weekday: 1, time: '09:00' })
    expect(preview.runs).toEqual([
      '2026-03-09T06:00:00.000Z',
      '2026-03-16T06:00:00.000Z',
      '2026-03-23T06:00:00.000Z',
      '2026-03-30T06:00:00.000Z',
      '2026-04-06T06:00:00.000Z',
    ])
    expect(now()).toBe('2026-03-02T08:00:00.000Z')
  })
})

describe('the demo', () => {
  test('fills «Плановые работы» with two plans, and its worker files their tickets', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    await generateDemo(db, systemActor('cli'), {
      tickets: 20,
      seed: 'plans',
      requesters: 10,
      staffPasswordHash: 'not-a-real-hash',
    })
    const plans = await db.selectFrom('plans').selectAll().orderBy('id').execute()
    expect(plans.map((p) => [p.title, p.schedule, p.next_run_at])).toEqual([
      ['Обход картриджей — {{месяц}}', '0 9 1 * *', '2026-04-01T06:00:00.000Z'],
      ['Проверка резервных копий сервера МИС', '0 8 * * 1', '2026-03-09T05:00:00.000Z'],
    ])
    setTestClock('2026-04-01T06:05:00Z')
    expect(await runDuePlans(db, MSK)).toBe(2)
    const titles = await db
      .selectFrom('plan_runs')
      .innerJoin('tickets', 'tickets.id', 'plan_runs.ticket_id')
      .select('tickets.title')
      .orderBy('plan_runs.plan_id')
      .execute()
    expect(titles.map((t) => t.title)).toEqual([
      'Обход картриджей — апрель 2026',
      'Проверка резервных копий сервера МИС',
    ])
  })
})
