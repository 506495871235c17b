import { describe, expect, test } from 'vitest'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { webUser } from '../../test/support/web.ts'

/** Found by the B1 fuzzer: a multipart body the parser cannot read was a 500 on every web form. */
describe('a form body that cannot be read', () => {
  const broken = [
    [
      'cut short',
      'multipart/form-data; boundary=XYZ',
      '--XYZ\r\nContent-Disposition: form-data; name="room"\r\n\r\nno end',
    ],
    ['no boundary', 'multipart/form-data', 'room=1'],
    [
      'another boundary',
      'multipart/form-data; boundary=XYZ',
      '--OTHER\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--OTHER--\r\n',
    ],
  ] as const

  test.each(broken)(
    '%s: 400 with a Russian page, nothing saved, nothing logged as a fault',
    async (_name, type, body) => {
      const { db } = await testDatabase()
      const { app, logs } = testApp(db)
      const person = await webUser(db)
      const response = await app.request('/profile/contacts', {
        method: 'POST',
        body,
        headers: { cookie: person.cookie, 'content-type': type, 'x-csrf-token': person.csrf },
      })
      const text = await response.text()
      expect(response.status).toBe(400)
      expect(text).toContain('Форма пришла повреждённой')
      expect(logs.filter((l) => l.msg === 'unhandled error')).toEqual([])
      const row = await db.selectFrom('users').select('room').where('id', '=', person.user.id).executeTakeFirstOrThrow()
      expect(row.room).toBe(person.user.room)
    },
  )

  test('the login form too, before anyone is signed in', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const response = await app.request('/login', {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
    })
    expect(response.status).toBe(400)
  })

  test('a readable multipart form still goes through', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const person = await webUser(db)
    const form = new FormData()
    form.set('_csrf', person.csrf)
    form.set('room', 'Корпус 3, каб. 7')
    form.set('phone', '+7 900 000-00-01')
    const response = await app.request('/profile/contacts', {
      method: 'POST',
      body: form,
      headers: { cookie: person.cookie },
    })
    expect(response.status).toBe(303)
    const row = await db.selectFrom('users').select('room').where('id', '=', person.user.id).executeTakeFirstOrThrow()
    expect(row.room).toBe('Корпус 3, каб. 7')
  })
})
