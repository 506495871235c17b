import ExcelJS from 'exceljs'
import { describe, expect, test } from 'vitest'
import { verifyJournal } from '#src/audit/journal.ts'
import { actorFromUser, systemActor } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildDepartment, buildGroup, buildUser } from '../../test/support/factories.ts'
import { journalOf } from '../../test/support/state.ts'
import { importFile } from './import-file.ts'
import { templateCsv, templateXlsx } from './templates.ts'

const admin = systemActor('cli')

function csv(text: string): { fileName: string; bytes: Uint8Array } {
  return { fileName: 'staff.csv', bytes: new TextEncoder().encode(text) }
}

/** Windows-1251 as 1С writes it: А–я at 0xC0–0xFF, Ё 0xA8, ё 0xB8, ASCII as is. */
function cp1251(text: string): Uint8Array {
  return Uint8Array.from(
    [...text].map((char) => {
      const code = char.codePointAt(0) ?? 0
      if (code < 0x80) return code
      if (code >= 0x410 && code <= 0x44f) return code - 0x410 + 0xc0
      if (char === 'Ё') return 0xa8
      if (char === 'ё') return 0xb8
      throw new Error(`no cp1251 for ${char}`)
    }),
  )
}

async function xlsx(rows: Array<Array<string | number | { formula: string; result?: string }>>): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('Сотрудники')
  for (const row of rows) sheet.addRow(row)
  return new Uint8Array(await workbook.xlsx.writeBuffer())
}

const STAFF = [
  'ФИО;Отделение;Должность;Телефон;Табельный номер;Telegram id',
  'Иванова Мария Петровна;Хирургия;Медсестра;8 (900) 123-45-67;000123;',
  'Петров Пётр Ильич;Терапия;Врач;;000124;700100200',
].join('\r\n')

describe('importing staff', () => {
  test('a dry run changes nothing; the real run creates active requesters, journaled; a re-run changes nothing', async () => {
    const { db } = await testDatabase()
    await buildDepartment(db, 'Хирургия')
    await buildDepartment(db, 'Терапия')

    const dry = await importFile(db, admin, { kind: 'users', file: csv(STAFF), dryRun: true })
    expect(dry.counts).toEqual({ created: 2, updated: 0, unchanged: 0, bad: 0 })
    expect(dry.applied).toBe(false)
    expect(dry.table).toMatchObject({ format: 'csv', encoding: 'utf-8', delimiter: ';' })
    expect(await db.selectFrom('users').select('id').where('employee_number', 'is not', null).execute()).toEqual([])

    const done = await importFile(db, admin, { kind: 'users', file: csv(STAFF), dryRun: false })
    expect(done.applied).toBe(true)
    const people = await db
      .selectFrom('users')
      .selectAll()
      .where('employee_number', 'is not', null)
      .orderBy('id')
      .execute()
    expect(people.map((p) => [p.full_name, p.role, p.status, p.phone, p.employee_number, p.telegram_chat_id])).toEqual([
      ['Иванова Мария Петровна', 'requester', 'active', '+79001234567', '000123', null],
      ['Петров Пётр Ильич', 'requester', 'active', null, '000124', '700100200'],
    ])
    const created = await journalOf(db, 'user.create')
    expect(created.map((row) => row.subject_id)).toEqual(people.map((p) => p.id))
    expect(created.every((row) => row.pdn_related === 1 && !row.description.includes('Иванова'))).toBe(true)
    expect((await journalOf(db, 'import.users')).map((row) => JSON.parse(row.details ?? '{}').applied)).toEqual([
      false,
      true,
    ])

    const again = await importFile(db, admin, { kind: 'users', file: csv(STAFF), dryRun: false })
    expect(again.counts).toEqual({ created: 0, updated: 0, unchanged: 2, bad: 0 })
    expect(await journalOf(db, 'user.create')).toHaveLength(2)
    expect(await journalOf(db, 'user.update')).toHaveLength(0)
    expect((await verifyJournal(db)).ok).toBe(true)
  })

  test('a person known by Telegram id gets the табельный номер; a changed phone is an update naming the column', async () => {
    const { db } = await testDatabase()
    await buildDepartment(db, 'Терапия')
    const known = await buildUser(db, {
      telegramChatId: '700100200',
      status: 'active',
      fullName: 'Петров Пётр Ильич',
    })
    const file =
      'ФИО,Отделение,Телефон,Табельный номер,Telegram id\nПетров Пётр Ильич,Терапия,89001112233,000124,700100200\n'
    const result = await importFile(db, admin, { kind: 'users', file: csv(file), dryRun: false })
    expect(result.plan.rows).toEqual([
      expect.objectContaining({ line: 2, action: 'update', fields: ['Отделение', 'Телефон', 'Табельный номер'] }),
    ])
    expect(result.table.delimiter).toBe(',')
    const row = await db.selectFrom('users').selectAll().where('id', '=', known.id).executeTakeFirstOrThrow()
    expect([row.employee_number, row.phone]).toEqual(['000124', '+79001112233'])
    expect((await journalOf(db, 'user.update')).map((r) => r.subject_id)).toEqual([known.id])
  })

  test('bad rows are listed by line — duplicates in the file and against the database — and the real run refuses the whole file', async () => {
    const { db } = await testDatabase()
    await buildDepartment(db, 'Хирургия')
    const other = await buildUser(db, { telegramChatId: '700100999' })
    await db.updateTable('users').set({ employee_number: '777' }).where('id', '=', other.id).execute()
    const file = [
      'фио ; ОТДЕЛЕНИЕ ; табельный_номер ; telegram ID',
      'Иванова Мария;Хирургия;000123;',
      'Сидорова Анна;Хирургия;000123;',
      'Козлов Олег;Хирургия;000200;700100999',
      'Никто;Хирургия;;',
      'Орлова Ирина;Кардиология;000201;',
      'Смирнов Иван;Хирургия;000202;abc',
    ].join('\n')
    const before = await db.selectFrom('users').select('id').execute()
    const result = await importFile(db, admin, { kind: 'users', file: csv(file), dryRun: false })
    expect(result.applied).toBe(false)
    expect(result.plan.bad.map((b) => b.line)).toEqual([3, 4, 5, 6, 7])
    expect(result.plan.bad[0]?.reason).toBe('табельный номер 000123 уже был в строке 2')
    expect(result.plan.bad[1]?.reason).toContain(`пользователю № ${other.id} с другим табельным номером`)
    expect(result.plan.bad[2]?.reason).toContain('нет ни табельного номера, ни Telegram id')
    expect(result.plan.bad[3]?.reason).toContain('отделения «Кардиология» нет в справочнике')
    expect(result.plan.bad[4]?.reason).toContain('Неверный идентификатор чата Telegram')
    expect(await db.selectFrom('users').select('id').execute()).toEqual(before)
    expect(await journalOf(db, 'import.users', 'error')).toHaveLength(1)
    expect(await journalOf(db, 'user.create')).toHaveLength(0)
  })

  test('wrong columns refuse the file, naming the missing or the unknown column', async () => {
    const { db } = await testDatabase()
    const run = (text: string) => importFile(db, admin, { kind: 'users', file: csv(text), dryRun: true })
    await expect(run('Отделение;Табельный номер\nХирургия;1\n')).rejects.toMatchObject({
      code: 'validation',
      message: expect.stringContaining('Нет обязательного столбца «ФИО»'),
    })
    await expect(run('ФИО;Табельный номер;Дата рождения\nИванов;1;01.01.1980\n')).rejects.toMatchObject({
      message: expect.stringContaining('Неизвестный столбец «Дата рождения» (столбец C)'),
    })
    await expect(run('ФИО;Должность\nИванов;Врач\n')).rejects.toMatchObject({
      message: expect.stringContaining('Нужен столбец «Табельный номер» или «Telegram id»'),
    })
    await expect(run('ФИО;ФИО;Табельный номер\n')).rejects.toMatchObject({
      message: expect.stringContaining('указан дважды'),
    })
  })

  test('Windows-1251 CSV from 1С is read as such', async () => {
    const { db } = await testDatabase()
    await buildDepartment(db, 'Приёмное отделение')
    const bytes = cp1251('ФИО;Отделение;Табельный номер\r\nЁлкина Алёна;Приёмное отделение;000301\r\n')
    const result = await importFile(db, admin, { kind: 'users', file: { fileName: 'x.csv', bytes }, dryRun: false })
    expect(result.table.encoding).toBe('windows-1251')
    expect(result.counts.created).toBe(1)
    const row = await db
      .selectFrom('users')
      .selectAll()
      .where('employee_number', '=', '000301')
      .executeTakeFirstOrThrow()
    expect(row.full_name).toBe('Ёлкина Алёна')
  })

  test('XLSX: the first sheet is read; a formula cell is a bad row naming the cell', async () => {
    const { db } = await testDatabase()
    const bytes = await xlsx([
      ['ФИО', 'Табельный номер', 'Telegram id'],
      ['Иванова Мария', '000123', 700100200],
      [{ formula: 'CONCATENATE("Пет","ров")', result: 'Петров' }, 124, ''],
    ])
    const result = await importFile(db, admin, { kind: 'users', file: { fileName: 's.xlsx', bytes }, dryRun: true })
    expect(result.table.format).toBe('xlsx')
    expect(result.plan.rows).toEqual([expect.objectContaining({ line: 2, action: 'create' })])
    expect(result.plan.bad).toEqual([{ line: 3, reason: expect.stringContaining('ячейка A3 содержит формулу') }])
  })

  test('only an admin imports staff; a curator imports departments', async () => {
    const { db } = await testDatabase()
    const curator = actorFromUser(await buildUser(db, { role: 'curator', status: 'active' }), 'web')
    await expect(importFile(db, curator, { kind: 'users', file: csv(STAFF), dryRun: true })).rejects.toMatchObject({
      code: 'forbidden',
    })
    expect(await journalOf(db, 'import.users', 'denied')).toHaveLength(1)
    const result = await importFile(db, curator, {
      kind: 'departments',
      file: csv('Название;Порядок\nХирургия;10\n"Приёмное; отделение";\n'),
      dryRun: false,
    })
    expect(result.counts.created).toBe(2)
  })

  test('10 000 staff in one transaction', async () => {
    const { db } = await testDatabase()
    await buildDepartment(db, 'Хирургия')
    const lines = ['ФИО;Отделение;Телефон;Табельный номер']
    for (let i = 0; i < 10_000; i += 1) lines.push(`Сотрудник ${i};Хирургия;8900${String(i).padStart(7, '0')};T${i}`)
    const started = performance.now()
    const result = await importFile(db, admin, { kind: 'users', file: csv(lines.join('\n')), dryRun: false })
    const seconds = (performance.now() - started) / 1000
    process.stderr.write(
      `import of 10 000 staff on ${db.getExecutor().adapter.constructor.name}: ${seconds.toFixed(1)} s\n`,
    )
    expect(result.counts).toEqual({ created: 10_000, updated: 0, unchanged: 0, bad: 0 })
    const count = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('employee_number', 'is not', null)
      .executeTakeFirstOrThrow()
    expect(Number(count.n)).toBe(10_000)
    expect(await journalOf(db, 'import.users')).toHaveLength(1)
  }, 300_000)
})

describe('importing departments and categories', () => {
  test('categories: parents before children, a known group and priority; a re-run changes nothing', async () => {
    const { db } = await testDatabase()
    await buildGroup(db, 'Сетевики')
    const file = [
      'Название;Родитель;Группа исполнителей;Приоритет по умолчанию;Срок решения, мин',
      'Принтер;Оборудование;;высокий;',
      'Оборудование;;Сетевики;;',
      'Сеть;;Нет такой;;',
      'Картридж;Принтер;;;',
      'Почта;;;срочный;',
    ].join('\n')
    const refused = await importFile(db, admin, { kind: 'categories', file: csv(file), dryRun: false })
    expect(refused.plan.bad.map((b) => [b.line, b.reason])).toEqual([
      [4, expect.stringContaining('группы исполнителей «Нет такой» нет')],
      [5, expect.stringContaining('«Принтер» — подкатегория')],
      [6, expect.stringContaining('неизвестный приоритет «срочный»')],
    ])
    const good = file.split('\n').slice(0, 3).join('\n')
    expect((await importFile(db, admin, { kind: 'categories', file: csv(good), dryRun: false })).counts.created).toBe(2)
    const rows = await db.selectFrom('categories').selectAll().orderBy('id').execute()
    expect(rows.map((c) => [c.name, c.parent_id === null, c.default_priority])).toEqual([
      ['Оборудование', true, 'normal'],
      ['Принтер', false, 'high'],
    ])
    expect((await importFile(db, admin, { kind: 'categories', file: csv(good), dryRun: false })).counts).toMatchObject({
      created: 0,
      unchanged: 2,
    })
  })

  test('the templates read back as a clean dry run of their example row', async () => {
    const { db } = await testDatabase()
    await buildDepartment(db, 'Хирургическое отделение')
    for (const kind of ['departments', 'users'] as const) {
      const fromCsv = await importFile(db, admin, {
        kind,
        file: { fileName: 't.csv', bytes: new TextEncoder().encode(templateCsv(kind)) },
        dryRun: true,
      })
      const fromXlsx = await importFile(db, admin, {
        kind,
        file: { fileName: 't.xlsx', bytes: new Uint8Array(await templateXlsx(kind)) },
        dryRun: true,
      })
      for (const result of [fromCsv, fromXlsx]) expect(result.counts.bad, kind).toBe(0)
      expect(fromXlsx.plan.rows.map((r) => r.label)).toEqual(fromCsv.plan.rows.map((r) => r.label))
    }
  })
})
