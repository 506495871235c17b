import { createHash } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor } from '../../test/support/factories.ts'
import { auditRows, expectRefusal } from '../../test/support/state.ts'
import { currentConsentText, publishConsentText } from './consent.ts'

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

describe('consent texts', () => {
  test('a fresh database gets version 1: the default 152-ФЗ text, hashed and journaled once', async () => {
    const { db } = await testDatabase()
    const first = await currentConsentText(db)
    const again = await currentConsentText(db)

    expect(again).toEqual(first)
    expect(first).toMatchObject({ version: 1, created_by: null, sha256: sha256(first.text) })
    for (const element of [
      'ОБУЗ «Курская городская клиническая больница скорой медицинской помощи»',
      'Цель обработки',
      'фамилия, имя, отчество',
      'номер телефона',
      'должность',
      'отделение',
      'кабинет',
      'Telegram id',
      'тексты заявок',
      'Действия с персональными данными',
      'Срок действия',
      '/revoke',
      '152-ФЗ',
    ]) {
      expect(first.text).toContain(element)
    }
    const journal = await auditRows(db)
    expect(journal.map((r) => [r.action, r.object_id, r.actor_id])).toEqual([
      ['consent.text_publish', String(first.id), null],
    ])
  })

  test('first readers at the same time create one version 1', async () => {
    const { db } = await testDatabase()
    const texts = await Promise.all([currentConsentText(db), currentConsentText(db), currentConsentText(db)])
    expect(new Set(texts.map((t) => t.id)).size).toBe(1)
    expect(await db.selectFrom('consent_texts').select('id').execute()).toHaveLength(1)
  })

  test('a curator publishes the next version, which becomes current', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, { role: 'curator' })
    const v1 = await currentConsentText(db)

    const v2 = await publishConsentText(db, actor, { text: '  Новый текст согласия, версия 2  ' })

    expect(v2).toMatchObject({ version: 2, text: 'Новый текст согласия, версия 2', created_by: user.id })
    expect(v2.sha256).toBe(sha256('Новый текст согласия, версия 2'))
    expect(await currentConsentText(db)).toEqual(v2)
    expect((await db.selectFrom('consent_texts').select('text').where('id', '=', v1.id).executeTakeFirst())?.text).toBe(
      v1.text,
    )
    const last = (await auditRows(db)).at(-1)
    expect(last).toMatchObject({
      action: 'consent.text_publish',
      actor_id: user.id,
      object_id: String(v2.id),
      pdn_related: 0,
    })
  })

  test('an admin may publish too', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    expect((await publishConsentText(db, actor, { text: 'Текст администратора' })).version).toBe(1 + 1)
  })

  test.each(['requester', 'executor'] as const)('a %s may not publish, and the attempt is journaled', async (role) => {
    const { db } = await testDatabase()
    await currentConsentText(db)
    const { user, actor } = await buildActor(db, { role })
    const [denied] = await expectRefusal(db, 'forbidden', () => publishConsentText(db, actor, { text: 'Чужой текст' }))
    expect(denied).toMatchObject({ action: 'consent.text_publish', actor_id: user.id, result: 'denied' })
  })

  test('an empty text is refused', async () => {
    const { db } = await testDatabase()
    await currentConsentText(db)
    const { actor } = await buildActor(db, { role: 'curator' })
    await expectRefusal(db, 'validation', () => publishConsentText(db, actor, { text: ' \n ' }))
  })

  test('publishing the text that is already current is refused', async () => {
    const { db } = await testDatabase()
    const current = await currentConsentText(db)
    const { actor } = await buildActor(db, { role: 'curator' })
    await expectRefusal(db, 'conflict', () => publishConsentText(db, actor, { text: current.text }))
  })
})
