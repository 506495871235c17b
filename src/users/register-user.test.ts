import { describe, expect, test } from 'vitest'
import { verifyJournal } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildDepartment, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal, outboxOf } from '../../test/support/state.ts'
import { systemActor } from './actor.ts'
import { currentConsentText } from './consent.ts'
import { type RegisterUserInput, registerUser } from './register-user.ts'

const bot = systemActor('bot')

async function setUp(db: Db) {
  const department = await buildDepartment(db)
  const consent = await currentConsentText(db)
  const input: RegisterUserInput = {
    fullName: '  Иванова Мария Петровна ',
    phone: '79051234567',
    departmentId: department.id,
    position: 'Медсестра',
    room: 'Корпус 2, каб. 14',
    telegramChatId: '700100200',
    telegramUsername: '@maria_i',
    consentTextId: consent.id,
    evidence: { updateId: 1001, messageId: 55 },
  }
  return { department, consent, input }
}

describe('registerUser', () => {
  test('a person who consented becomes a pending requester and every curator and admin is told', async () => {
    const { db } = await testDatabase()
    const { consent, input } = await setUp(db)
    const curator = await buildUser(db, { role: 'curator', telegramChatId: '900000001' })
    const admin = await buildUser(db, { role: 'admin', telegramChatId: '900000002' })
    await buildUser(db, { role: 'executor', telegramChatId: '900000003' })
    await buildUser(db, { role: 'curator', status: 'deactivated', telegramChatId: '900000004' })
    await buildUser(db, { role: 'admin', telegramChatId: null })
    const before = (await auditRows(db)).length

    const user = await registerUser(db, bot, input)

    expect(user).toMatchObject({
      status: 'pending',
      role: 'requester',
      full_name: 'Иванова Мария Петровна',
      phone: '+79051234567',
      position: 'Медсестра',
      room: 'Корпус 2, каб. 14',
      telegram_chat_id: '700100200',
      telegram_username: 'maria_i',
      department_id: input.departmentId,
      login: null,
      password_hash: null,
      confirmed_at: null,
    })
    const records = await db.selectFrom('consent_records').selectAll().where('user_id', '=', user.id).execute()
    expect(records).toEqual([
      expect.objectContaining({
        user_id: user.id,
        consent_text_id: consent.id,
        channel: 'bot',
        status: 'given',
        withdrawn_at: null,
      }),
    ])
    expect(JSON.parse(records[0]?.evidence ?? 'null')).toEqual({ updateId: 1001, messageId: 55 })

    const journal = (await auditRows(db)).slice(before)
    expect(journal.map((r) => [r.action, r.subject_id, r.pdn_related, r.result, r.actor_id, r.channel])).toEqual([
      ['consent.give', user.id, 1, 'success', null, 'bot'],
      ['user.register', user.id, 1, 'success', null, 'bot'],
    ])
    for (const row of journal) expect(row.description).not.toContain('Иванова')
    expect(await verifyJournal(db)).toMatchObject({ ok: true })

    expect(await outboxOf(db, 'registration_requested')).toEqual([
      { recipient: '900000001', payload: { userId: curator.id, subjectId: user.id } },
      { recipient: '900000002', payload: { userId: admin.id, subjectId: user.id } },
    ])
  })

  test.each([
    ['pending', 'уже отправлена'],
    ['active', 'уже зарегистрированы'],
    ['deactivated', 'отключена'],
  ] as const)('a chat that already has a %s account is refused', async (status, message) => {
    const { db } = await testDatabase()
    const { input } = await setUp(db)
    await buildUser(db, { status, telegramChatId: input.telegramChatId })
    await expectRefusal(db, 'conflict', () => registerUser(db, bot, input))
    await expect(registerUser(db, bot, input)).rejects.toThrow(message)
  })

  test('a rejected person may ask again: the same account goes back to pending', async () => {
    const { db } = await testDatabase()
    const { input } = await setUp(db)
    const rejected = await buildUser(db, { status: 'rejected', telegramChatId: input.telegramChatId })
    await db.updateTable('users').set({ rejection_reason: 'Не наш сотрудник' }).where('id', '=', rejected.id).execute()

    const user = await registerUser(db, bot, input)

    expect(user).toMatchObject({
      id: rejected.id,
      status: 'pending',
      rejection_reason: null,
      full_name: 'Иванова Мария Петровна',
    })
    expect(await db.selectFrom('users').select('id').execute()).toHaveLength(1)
    expect(await db.selectFrom('consent_records').select('id').where('user_id', '=', user.id).execute()).toHaveLength(1)
    expect((await auditRows(db)).map((r) => r.action)).toContain('user.reregister')
  })

  test('a phone typed with 8 and punctuation is stored as +7', async () => {
    const { db } = await testDatabase()
    const { input } = await setUp(db)
    const user = await registerUser(db, bot, { ...input, phone: '8 (905) 123-45-67' })
    expect(user.phone).toBe('+79051234567')
  })

  test.each([
    ['an empty ФИО', { fullName: '   ' }],
    ['a ФИО over 200 characters', { fullName: 'Я'.repeat(201) }],
    ['an empty position', { position: '' }],
    ['a phone that is not a phone', { phone: '12-34' }],
    ['a chat id that is not a number', { telegramChatId: 'abc' }],
    ['an unknown department', { departmentId: 999_999 }],
    ['an unknown consent text', { consentTextId: 999_999 }],
  ])('%s is refused as invalid', async (_name, change) => {
    const { db } = await testDatabase()
    const { input } = await setUp(db)
    await expectRefusal(db, 'validation', () => registerUser(db, bot, { ...input, ...change }))
  })

  test('a disabled department is not offered and not accepted', async () => {
    const { db } = await testDatabase()
    const { input, department } = await setUp(db)
    await db.updateTable('departments').set({ active: 0 }).where('id', '=', department.id).execute()
    await expectRefusal(db, 'validation', () => registerUser(db, bot, input))
  })

  test('a double tap in the bot registers once; the second request is a conflict', async () => {
    const { db } = await testDatabase()
    const { input } = await setUp(db)
    const results = await Promise.allSettled([registerUser(db, bot, input), registerUser(db, bot, input)])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'conflict' } })
    expect(await db.selectFrom('users').select('id').execute()).toHaveLength(1)
    expect(await db.selectFrom('consent_records').select('id').execute()).toHaveLength(1)
  })
})
