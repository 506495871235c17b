import { describe, expect, test } from 'vitest'
import { passwordLinkMessages } from '#src/users/password-links.ts'
import { createSession, resolveSession } from '#src/users/sessions.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

describe("an LDAP account's page", () => {
  test('shows the e-mail, says the password is set in Active Directory instead of «Сбросить пароль», and a reset is refused beside the form', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const local = await buildUser(db, { login: 'local.user' })
    const person = await buildUser(db, { login: 'ivanov', role: 'executor' })
    await db
      .updateTable('users')
      .set({ auth_source: 'ldap', email: 'ivanov@example.org' })
      .where('id', '=', person.id)
      .execute()
    const session = await createSession(db, person.id, { ip: null, userAgent: null })

    const page = await getPage(app, `/users/${person.id}`, admin)
    expect(page.status).toBe(200)
    expect(page.text).toContain('ivanov@example.org')
    expect(page.text).toContain(passwordLinkMessages.ldap)
    expect(page.text).not.toContain(`action="/users/${person.id}/password-reset"`)
    expect(inlineProblems(page.text)).toEqual([])
    // A local account keeps its button and shows no address.
    const localPage = await getPage(app, `/users/${local.id}`, admin)
    expect(localPage.text).toContain(`action="/users/${local.id}/password-reset"`)
    expect(localPage.text).not.toContain(passwordLinkMessages.ldap)

    const refused = await postForm(app, `/users/${person.id}/password-reset`, admin)
    expect(refused.status).toBe(422)
    expect(refused.text).toContain(passwordLinkMessages.ldap)
    expect(await resolveSession(db, session.token)).toBeDefined()
    expect(await db.selectFrom('password_links').select('user_id').execute()).toEqual([])
  })
})
