import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { findCategory, listCategories } from '#src/categories/category-store.ts'
import { createCategory } from '#src/categories/create-category.ts'
import { updateCategory } from '#src/categories/update-category.ts'
import { type Category, type Db, type Priority, priorities } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { listGroups } from '#src/groups/group-store.ts'
import {
  attempt,
  type CatalogueRows,
  FormProblem,
  moveRow,
  onlyWith,
  optionalId,
  outcomeOf,
  toggleActive,
  type WebContext,
} from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { type FormFields, readForm } from './forms.ts'
import { t } from './i18n.ts'
import { requireSession } from './session.ts'
import {
  CategoriesPage,
  CategoryFormPage,
  type CategoryValues,
  categoryValues,
  emptyCategory,
} from './views/categories.tsx'

/**
 * /categories (PRODUCT.md §3, §5; curator and admin): the tree with routing and deadlines; create, edit,
 * disable, reorder among siblings.
 */
export function categoryRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('category.manage', 'Категории'))

  routes.get('/', async (c) => renderCategories(c, { outcome: outcomeOf(c) }))

  routes.get('/new', async (c) => renderCategoryForm(c, undefined, emptyCategory))

  routes.post('/', async (c) => {
    const form = await readForm(c)
    const values = categoryFormValues(form)
    let created: Category | undefined
    const refused = await attempt(
      async () => {
        created = await createCategory(c.get('deps').db, c.get('actor'), categoryInput(form, values))
      },
      (message) => renderCategoryForm(c, undefined, values, message),
    )
    return refused ?? c.redirect(`/categories?done=created#category-${created?.id ?? ''}`, 303)
  })

  routes.get('/:id/edit', async (c) => {
    const category = await categoryOr404(c)
    return renderCategoryForm(c, category, categoryValues(category))
  })

  routes.post('/:id', async (c) => {
    const category = await categoryOr404(c)
    const form = await readForm(c)
    const values = categoryFormValues(form)
    const refused = await attempt(
      () => updateCategory(c.get('deps').db, c.get('actor'), { id: category.id, ...categoryInput(form, values) }),
      (message) => renderCategoryForm(c, category, values, message),
    )
    return refused ?? c.redirect(`/categories?done=saved#category-${category.id}`, 303)
  })

  const rows: CatalogueRows = {
    list: '/categories',
    anchor: 'category',
    update: updateCategory,
    refused: (c, message) => renderCategories(c, { problem: message }),
  }
  routes.post('/:id/active', toggleActive(rows))
  routes.post('/:id/move', moveRow({ ...rows, siblings: categorySiblings }))

  return routes
}

/** The category's siblings (same parent), in display order. */
async function categorySiblings(db: Db, id: number): Promise<Category[]> {
  const category = await findCategory(db, id)
  if (!category) throw new DomainError('not_found', 'Категория не найдена')
  return (await listCategories(db)).filter((s) => s.parent_id === category.parent_id)
}

async function categoryOr404(c: WebContext): Promise<Category> {
  const category = await findCategory(c.get('deps').db, idParam(c))
  if (!category) throw new DomainError('not_found', 'Категория не найдена')
  return category
}

/** What was typed, for showing the form again; ids and the priority are checked in `categoryInput`. */
function categoryFormValues(form: FormFields): CategoryValues {
  return {
    name: form.text('name', 1_000) ?? '',
    description: form.text('description', 5_000) ?? '',
    parentId: form.id('parent') ?? null,
    defaultGroupId: form.id('group') ?? null,
    defaultPriority: priorities.find((p) => p === form.text('priority')) ?? 'normal',
    responseMinutes: (form.text('response', 20) ?? '').trim(),
    resolutionMinutes: (form.text('resolution', 20) ?? '').trim(),
    requiresApproval: form.text('requires_approval') === '1',
  }
}

function categoryInput(form: FormFields, values: CategoryValues) {
  const priority: Priority | undefined = priorities.find((p) => p === form.text('priority'))
  if (priority === undefined) throw new FormProblem(t('Выберите приоритет'))
  return {
    name: values.name,
    description: values.description,
    parentId: optionalId(form, 'parent', t('Родительская категория не найдена')),
    defaultGroupId: optionalId(form, 'group', t('Группа исполнителей не найдена')),
    defaultPriority: priority,
    // Not a number reaches the use case as NaN, which it refuses in Russian with the field's name.
    responseMinutes: values.responseMinutes === '' ? null : Number(values.responseMinutes),
    resolutionMinutes: values.resolutionMinutes === '' ? null : Number(values.resolutionMinutes),
    requiresApproval: values.requiresApproval,
  }
}

async function renderCategories(c: WebContext, extras: { outcome?: string | undefined; problem?: string }) {
  const { db } = c.get('deps')
  return c.html(
    <CategoriesPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      categories={await listCategories(db)}
      groups={await listGroups(db)}
      outcome={extras.outcome}
      problem={extras.problem}
    />,
    extras.problem ? 422 : 200,
  )
}

async function renderCategoryForm(
  c: WebContext,
  category: Category | undefined,
  values: CategoryValues,
  error?: string,
) {
  const { db } = c.get('deps')
  const all = await listCategories(db)
  return c.html(
    <CategoryFormPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      category={category}
      values={values}
      parents={all.filter((p) => p.parent_id === null && p.id !== category?.id)}
      groups={await listGroups(db)}
      hasChildren={category !== undefined && all.some((p) => p.parent_id === category.id)}
      error={error}
    />,
    error ? 422 : 200,
  )
}
