import { Hono } from 'hono'
import { compress } from 'hono/compress'
import { idParam } from '#src/api/validate.ts'
import { transact } from '#src/db/transaction.ts'
import { createDepartment } from '#src/departments/create-department.ts'
import { listDepartments } from '#src/departments/department-store.ts'
import { updateDepartment } from '#src/departments/update-department.ts'
import { DomainError } from '#src/errors.ts'
import { attempt, direction, moveAmong, onlyWith, outcomeOf, type WebContext, wantedActive } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { requireSession } from './session.ts'
import { type DepartmentProblem, DepartmentsPage } from './views/departments.tsx'

/**
 * /departments (curator and admin): the list people pick from when they register; add, rename, disable,
 * reorder.
 */
export function departmentRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('department.manage', 'Отделения'))
  routes.use(compress())

  routes.get('/', async (c) => renderDepartments(c, { outcome: outcomeOf(c) }))

  routes.post('/', async (c) => {
    const form = await readForm(c)
    const name = form.text('name', 1_000) ?? ''
    const refused = await attempt(
      () => createDepartment(c.get('deps').db, c.get('actor'), { name }),
      (message) => renderDepartments(c, { problem: { message, name } }),
    )
    return refused ?? c.redirect('/departments?done=created', 303)
  })

  routes.post('/:id', async (c) => {
    const id = idParam(c)
    const form = await readForm(c)
    const name = form.text('name', 1_000) ?? ''
    const refused = await attempt(
      () => updateDepartment(c.get('deps').db, c.get('actor'), { id, name }),
      (message) => renderDepartments(c, { problem: { id, message, name } }),
    )
    return refused ?? c.redirect(`/departments?done=saved#department-${id}`, 303)
  })

  routes.post('/:id/active', async (c) => {
    const id = idParam(c)
    const form = await readForm(c)
    let active = false
    const refused = await attempt(
      async () => {
        active = wantedActive(form)
        await updateDepartment(c.get('deps').db, c.get('actor'), { id, active })
      },
      (message) => renderDepartments(c, { error: message }),
    )
    return refused ?? c.redirect(`/departments?done=${active ? 'enabled' : 'disabled'}#department-${id}`, 303)
  })

  routes.post('/:id/move', async (c) => {
    const id = idParam(c)
    const form = await readForm(c)
    const { db } = c.get('deps')
    const actor = c.get('actor')
    const refused = await attempt(
      async () => {
        const way = direction(form)
        await transact(db, async (tx) => {
          const departments = await listDepartments(tx)
          if (!departments.some((d) => d.id === id)) throw new DomainError('not_found', 'Отделение не найдено')
          await moveAmong(departments, id, way, (departmentId, sortOrder) =>
            updateDepartment(tx, actor, { id: departmentId, sortOrder }),
          )
        })
      },
      (message) => renderDepartments(c, { error: message }),
    )
    return refused ?? c.redirect(`/departments#department-${id}`, 303)
  })

  return routes
}

async function renderDepartments(
  c: WebContext,
  extras: { outcome?: string | undefined; problem?: DepartmentProblem; error?: string },
) {
  return c.html(
    <DepartmentsPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      departments={await listDepartments(c.get('deps').db)}
      outcome={extras.outcome}
      problem={extras.problem}
      error={extras.error}
    />,
    extras.problem || extras.error ? 422 : 200,
  )
}
