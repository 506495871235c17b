import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import type { Db, Department } from '#src/db/schema.ts'
import { createDepartment } from '#src/departments/create-department.ts'
import { listDepartments } from '#src/departments/department-store.ts'
import { updateDepartment } from '#src/departments/update-department.ts'
import { DomainError } from '#src/errors.ts'
import {
  attempt,
  type CatalogueRows,
  moveRow,
  onlyWith,
  outcomeOf,
  toggleActive,
  type WebContext,
} from './curator-forms.ts'
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

  const rows: CatalogueRows = {
    list: '/departments',
    anchor: 'department',
    update: updateDepartment,
    refused: (c, message) => renderDepartments(c, { error: message }),
  }
  routes.post('/:id/active', toggleActive(rows))
  routes.post('/:id/move', moveRow({ ...rows, siblings: allDepartments }))

  return routes
}

/** Every department is a sibling of every other: one flat list. */
async function allDepartments(db: Db, id: number): Promise<Department[]> {
  const departments = await listDepartments(db)
  if (!departments.some((d) => d.id === id)) throw new DomainError('not_found', 'Отделение не найдено')
  return departments
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
