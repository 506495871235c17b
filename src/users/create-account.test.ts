import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildDepartment } from '../../test/support/factories.ts'
import { expectRefusal, journalOf, outboxOf, userRow } from '../../test/support/state.ts'
import { createAccount } from './create-account.ts'
import { consumePasswordLink, PASSWORD_LINK_PATH } from './password-links.ts'

const baseUrl = 'https://helpdesk.example'

describe('createAccount', () => {
  test('an admin creates an account without a password; the link sets it, and goes to Telegram where a chat is given', async () => {
    const { db } = await testDatabase()
    const { actor: admin } = await buildActor(db, { role: 'admin' }, 'web')
    const department = await buildDepartment(db)

    const created = await createAccount(db, admin, {
      fullName: 'Смирнова Анна Петровна',
      login: 'A.Smirnova',
      role: 'executor',
      departmentId: department.id,
      position: 'Инженер',
      phone: '8 (900) 123-45-67',
      telegramChatId: '700100200',
      baseUrl,
    })

    expect(created.url).toBe(`${baseUrl}${PASSWORD_LINK_PATH}/${created.link.token}`)
    expect(created.sentToTelegram).toBe(true)
    expect(await userRow(db, created.user.id)).toMatchObject({
      login: 'a.smirnova',
      role: 'executor',
      status: 'active',
      password_hash: null,
      phone: '+79001234567',
      department_id: department.id,
      confirmed_by: admin.id,
    })
    const sent = await outboxOf(db, 'bot_message')
    expect(sent).toHaveLength(1)
    expect(sent[0]?.recipient).toBe('700100200')
    expect(JSON.stringify(sent[0]?.payload)).toContain(created.url)
    expect(await journalOf(db, 'user.create')).toHaveLength(1)
    expect(await journalOf(db, 'user.password_link.create')).toHaveLength(1)

    const pass = 'зелёный трамвай 42'
    await consumePasswordLink(db, {
      token: created.link.token,
      password: pass,
      repeat: pass,
      consent: true,
      ip: null,
      userAgent: null,
    })
    expect((await userRow(db, created.user.id)).password_hash).not.toBeNull()
  })

  test('without a chat nothing is queued; a taken login is a conflict', async () => {
    const { db } = await testDatabase()
    const { actor: admin } = await buildActor(db, { role: 'admin' })
    const created = await createAccount(db, admin, {
      fullName: 'Без Телеграма',
      login: 'nochat',
      role: 'requester',
      baseUrl,
    })
    expect(created.sentToTelegram).toBe(false)
    expect(await outboxOf(db, 'bot_message')).toEqual([])
    await expectRefusal(db, 'conflict', () =>
      createAccount(db, admin, { fullName: 'Другой', login: 'NoChat', role: 'requester', baseUrl }),
    )
    await expectRefusal(db, 'validation', () =>
      createAccount(db, admin, { fullName: 'Плохой', login: 'ж', role: 'requester', baseUrl }),
    )
  })

  test('a curator creates requesters only; executors and requesters create no one; refusals are journaled', async () => {
    const { db } = await testDatabase()
    const { actor: curator } = await buildActor(db, { role: 'curator' })
    const ok = await createAccount(db, curator, { fullName: 'Заявитель', login: 'req1', role: 'requester', baseUrl })
    expect(ok.user.role).toBe('requester')

    for (const role of ['executor', 'curator', 'admin'] as const) {
      await expectRefusal(db, 'forbidden', () =>
        createAccount(db, curator, { fullName: 'Сотрудник', login: `x${role}`, role, baseUrl }),
      )
    }
    for (const role of ['executor', 'requester'] as const) {
      const { actor } = await buildActor(db, { role })
      await expectRefusal(db, 'forbidden', () =>
        createAccount(db, actor, { fullName: 'Кто-то', login: `y${role}`, role: 'requester', baseUrl }),
      )
    }
    expect(await journalOf(db, 'user.create', 'denied')).toHaveLength(5)
  })
})
