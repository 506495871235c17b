import ExcelJS from 'exceljs'
import { beforeAll, describe, expect, test } from 'vitest'
import { audit } from '#src/audit/journal.ts'
import type { Db, User } from '#src/db/schema.ts'
import { settingDefaults } from '#src/settings/settings.ts'
import { actorFromUser, cliActor, systemActor } from '#src/users/actor.ts'
import { changeRole } from '#src/users/change-role.ts'
import { confirmUser } from '#src/users/confirm-user.ts'
import { createAdmin } from '#src/users/create-admin.ts'
import { createUser } from '#src/users/create-user.ts'
import { deactivateUser } from '#src/users/deactivate-user.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { pdfText } from '../../test/support/pdf.ts'
import { accessList, reachSentence } from './access-list.ts'
import { accessListCsv, accessListPdf, accessListXlsx } from './access-list-documents.ts'

let db: Db
let admin: User
let executor: User
let curator: User
let legacy: User
const tz = 'Europe/Moscow'

beforeAll(async () => {
  db = (await testDatabase()).db
  setTestClock('2026-03-02T07:00:00.000Z')
  // The first admin from the server's console, the others given access by that admin on the web.
  admin = await createAdmin(db, cliActor(), {
    login: 'perechen-admin',
    password: 'Перечень-пароль-2026',
    fullName: 'Админова Анна Сергеевна',
  })
  const web = actorFromUser(admin, 'web')
  setTestClock('2026-03-03T08:00:00.000Z')
  executor = await createUser(db, web, { fullName: 'Исполнов Иван Петрович', role: 'executor', position: 'Инженер' })
  // A person who registered in the bot, made curator while waiting, then confirmed: access from the confirmation.
  const pending = await buildUser(db, { status: 'pending', fullName: 'Кураторова Ксения Олеговна' })
  setTestClock('2026-03-04T09:00:00.000Z')
  await changeRole(db, web, { userId: pending.id, role: 'curator' })
  setTestClock('2026-03-05T10:00:00.000Z')
  curator = await confirmUser(db, web, { userId: pending.id })
  // Promoted from requester later: access from the role change.
  const promoted = await buildUser(db, { fullName: 'Повышенный Павел Павлович' })
  setTestClock('2026-03-06T11:00:00.000Z')
  await changeRole(db, web, { userId: promoted.id, role: 'executor' })
  // Not on the list: a requester, and a deactivated executor.
  await buildUser(db, { fullName: 'Заявитель Зоя Захаровна' })
  const gone = await createUser(db, web, { fullName: 'Ушедший Устин Ильич', role: 'executor' })
  await deactivateUser(db, web, { userId: gone.id })
  // Made without the journal (a demo or restored database): the account's own date.
  legacy = await buildUser(db, { role: 'executor', fullName: 'Старожилов Семён Семёнович' })
})

describe('the list of people with access to ПДн', () => {
  test('lists active staff with what they reach, since when and who gave the access, from the journal', async () => {
    const list = await accessList(db, actorFromUser(admin, 'web'))
    const byName = new Map(list.rows.map((r) => [r.fullName, r]))
    expect([...byName.keys()].sort()).toEqual(
      [
        'Админова Анна Сергеевна',
        'Исполнов Иван Петрович',
        'Кураторова Ксения Олеговна',
        'Повышенный Павел Павлович',
        'Старожилов Семён Семёнович',
      ].sort(),
    )
    expect(byName.get('Админова Анна Сергеевна')).toMatchObject({
      role: 'admin',
      since: '2026-03-02T07:00:00.000Z',
      basis: 'создан администратор',
      approvedBy: expect.stringMatching(/^консоль сервера \(.+@.+\)$/),
    })
    expect(byName.get('Исполнов Иван Петрович')).toMatchObject({
      role: 'executor',
      position: 'Инженер',
      since: '2026-03-03T08:00:00.000Z',
      basis: 'создана учётная запись',
      approvedBy: 'Админова Анна Сергеевна',
    })
    expect(byName.get('Кураторова Ксения Олеговна')).toMatchObject({
      role: 'curator',
      since: '2026-03-05T10:00:00.000Z',
      basis: 'подтверждена регистрация',
      approvedBy: 'Админова Анна Сергеевна',
    })
    expect(byName.get('Повышенный Павел Павлович')).toMatchObject({
      since: '2026-03-06T11:00:00.000Z',
      basis: 'назначена роль',
      approvedBy: 'Админова Анна Сергеевна',
    })
    expect(byName.get('Старожилов Семён Семёнович')).toMatchObject({
      since: legacy.confirmed_at,
      basis: 'нет записи в журнале; по дате учётной записи',
      approvedBy: null,
    })
    expect(byName.get('Исполнов Иван Петрович')?.reach).toBe(reachSentence('executor'))
  })

  test('what a role reaches is said from the permissions: more for a curator, everything for an admin', () => {
    const executorReach = reachSentence('executor')
    const curatorReach = reachSentence('curator')
    const adminReach = reachSentence('admin')
    expect(executorReach).toMatch(/^Заявки всех пользователей с их ПДн/)
    expect(executorReach).not.toContain('регистрации')
    expect(curatorReach).toContain('регистрации новых пользователей')
    expect(curatorReach).not.toContain('журнал аудита')
    expect(adminReach).toContain('журнал аудита')
    expect(adminReach).toContain('уничтожение (обезличивание) ПДн')
    expect(adminReach.length).toBeGreaterThan(curatorReach.length)
  })

  test('reading it is journaled as a read of ПДн; anyone but an admin is refused and journaled', async () => {
    await accessList(db, actorFromUser(admin, 'web'), 'pdf')
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'pdn.access_list')
      .orderBy('id', 'desc')
      .execute()
    expect(rows[0]).toMatchObject({ actor_id: admin.id, pdn_related: 1, result: 'success' })
    expect(JSON.parse(rows[0]?.details ?? '{}')).toEqual({ format: 'pdf', count: 5 })
    expect(rows[0]?.description).not.toContain('Исполнов')
    for (const who of [executor, curator]) {
      await expect(accessList(db, actorFromUser(who, 'web'))).rejects.toMatchObject({ code: 'forbidden' })
    }
    const denied = await db
      .selectFrom('audit_log')
      .select('actor_id')
      .where('action', '=', 'pdn.access_list')
      .where('result', '=', 'denied')
      .execute()
    expect(denied.map((d) => d.actor_id).sort()).toEqual([executor.id, curator.id].sort())
  })

  test('the PDF, the XLSX and the CSV carry the same rows, in Russian', async () => {
    const list = await accessList(db, actorFromUser(admin, 'web'))
    const pdf = await accessListPdf(list, settingDefaults['org.requisites'], tz)
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    const text = pdfText(pdf).replace(/\s+/g, ' ')
    expect(text).toContain('Перечень лиц, имеющих доступ к персональным данным')
    expect(text).toContain('Областное бюджетное учреждение здравоохранения')
    expect(text).toContain('Исполнов')
    expect(text).toContain('Кураторова')
    expect(text).toContain('03.03.2026')
    expect(text).toContain('Всего лиц: 5')

    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.load((await accessListXlsx(list, tz)) as unknown as ArrayBuffer)
    const sheet = workbook.worksheets[0]
    expect(sheet?.getRow(1).getCell(2).value).toBe('ФИО')
    const names = [2, 3, 4, 5, 6].map((n) => sheet?.getRow(n).getCell(2).value)
    expect(names).toEqual(list.rows.map((r) => r.fullName))
    expect(sheet?.getRow(7).getCell(2).value ?? null).toBeNull()
    const since = sheet?.getRow(2).getCell(6).value
    expect(since).toBeInstanceOf(Date)

    const csv = accessListCsv(list, tz)
    expect(csv.startsWith('\uFEFF№ п/п;ФИО;')).toBe(true)
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(6)
  })
})

describe('access given by the LDAP directory', () => {
  test('the directory is named as the one who gave it, from the sign-in that created or changed the account', async () => {
    const fresh = (await testDatabase()).db
    const boss = await buildUser(fresh, { role: 'admin', fullName: 'Каталогов Админ' })
    const person = await buildUser(fresh, { role: 'curator', fullName: 'Лдапова Людмила' })
    setTestClock('2026-04-01T06:00:00.000Z')
    await audit(fresh, systemActor('web'), {
      action: 'user.create',
      objectType: 'user',
      objectId: person.id,
      subjectId: person.id,
      pdn: true,
      description: `Пользователь № ${person.id} создан при первом входе через каталог LDAP`,
      details: { source: 'ldap', role: 'executor' },
    })
    setTestClock('2026-04-02T06:00:00.000Z')
    await audit(fresh, systemActor('web'), {
      action: 'user.update',
      objectType: 'user',
      objectId: person.id,
      subjectId: person.id,
      pdn: true,
      description: `Данные пользователя № ${person.id} обновлены из каталога LDAP при входе`,
      details: { source: 'ldap', fields: ['role'], role: 'curator' },
    })
    const list = await accessList(fresh, actorFromUser(boss, 'web'))
    expect(list.rows.find((r) => r.userId === person.id)).toMatchObject({
      since: '2026-04-02T06:00:00.000Z',
      basis: 'роль из группы каталога LDAP',
      approvedBy: 'каталог LDAP (группа → роль)',
    })
  })
})
