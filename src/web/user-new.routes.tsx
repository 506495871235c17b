import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'
import { auditDenied } from '#src/audit/denied.ts'
import { type Role, roles } from '#src/db/schema.ts'
import { listDepartments } from '#src/departments/department-store.ts'
import { DomainError } from '#src/errors.ts'
import { createAccount } from '#src/users/create-account.ts'
import { can } from '#src/users/permissions.ts'
import { attempt, FormProblem, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { requireSession } from './session.ts'
import { NewUserPage, type NewUserValues, PasswordLinkIssuedPage } from './views/user-new.tsx'

/**
 * «Пользователи → Новый пользователь» (issue 9): admins create any account, curators requesters only
 * (so it is mounted before the admin-only /users). Anyone else gets the 404 page, journaled.
 */
const creators = createMiddleware<WebEnv>(async (c, next) => {
  const actor = c.get('actor')
  if (!can(actor, 'user.create') && !can(actor, 'registration.decide')) {
    await auditDenied(c.get('deps').db, actor, {
      action: 'user.create',
      objectType: 'user',
      pdn: true,
      description: 'Отказано в доступе к созданию пользователя',
    })
    throw new DomainError('forbidden', 'Создавать пользователей могут администратор и куратор')
  }
  await next()
})

export function newUserRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession, creators)

  routes.get('/', async (c) => renderForm(c, {}))

  routes.post('/', async (c) => {
    const { db, config } = c.get('deps')
    const form = await readForm(c)
    const department = form.text('department')
    const values: NewUserValues = {
      fullName: form.text('full_name', 300),
      login: form.text('login', 100),
      role: form.text('role', 20),
      departmentId: department ? form.id('department') : undefined,
      position: form.text('position', 300),
      phone: form.text('phone', 50),
      chatId: form.text('chat_id', 30),
    }
    let issued: Awaited<ReturnType<typeof createAccount>> | undefined
    const refused = await attempt(
      async () => {
        const role = roles.find((r) => r === values.role)
        if (role === undefined) throw new FormProblem('Выберите роль')
        if (department && values.departmentId === undefined) throw new FormProblem('Отделение не найдено')
        issued = await createAccount(db, c.get('actor'), {
          fullName: values.fullName ?? '',
          login: values.login ?? '',
          role,
          departmentId: values.departmentId ?? null,
          position: values.position ?? null,
          phone: values.phone || null,
          telegramChatId: values.chatId || null,
          baseUrl: config.baseUrl,
        })
      },
      (message) => renderForm(c, values, message, 422),
      { forbiddenBeside: true },
    )
    if (refused || !issued) return refused ?? renderForm(c, values, undefined, 422)
    c.header('cache-control', 'no-store')
    return c.html(
      <PasswordLinkIssuedPage
        user={c.get('user')}
        csrf={c.get('csrf')}
        person={issued.user}
        url={issued.url}
        sentToTelegram={issued.sentToTelegram}
        created
      />,
    )
  })
  return routes
}

async function renderForm(c: WebContext, values: NewUserValues, error?: string, status: 200 | 422 = 200) {
  const actor = c.get('actor')
  const allowed: readonly Role[] = can(actor, 'user.create') ? roles : ['requester']
  return c.html(
    <NewUserPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      roles={allowed}
      departments={await listDepartments(c.get('deps').db)}
      values={{ role: 'requester', ...values }}
      error={error}
    />,
    status,
  )
}
