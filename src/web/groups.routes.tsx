import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { audit } from '#src/audit/journal.ts'
import { listCategories } from '#src/categories/category-store.ts'
import type { Db, Tx } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { parseId } from '#src/format/ids.ts'
import { createGroup } from '#src/groups/create-group.ts'
import { findGroup, type GroupWithMembers, groupMemberIds, listGroups } from '#src/groups/group-store.ts'
import { updateGroup } from '#src/groups/update-group.ts'
import { attempt, FormProblem, onlyWith, outcomeOf, toggleActive, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { t } from './i18n.ts'
import { requireSession } from './session.ts'
import { GroupFormPage, GroupsPage, type GroupValues, type StaffMember } from './views/groups.tsx'

/** /groups (curator and admin): executor groups with their members; create, edit, disable. */
export function groupRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('group.manage', 'Группы исполнителей'))

  routes.get('/', async (c) => renderGroups(c, { outcome: outcomeOf(c) }))

  routes.get('/new', async (c) => renderGroupForm(c, undefined, { name: '', description: '', memberIds: [] }))

  routes.post('/', async (c) => {
    const values = await groupFormValues(c)
    let created: GroupWithMembers | undefined
    const refused = await attempt(
      async () => {
        created = await createGroup(c.get('deps').db, c.get('actor'), {
          name: values.name,
          description: values.description,
          memberIds: checkedIds(values),
        })
      },
      (message) => renderGroupForm(c, undefined, values, message),
    )
    return refused ?? c.redirect(`/groups?done=created#group-${created?.id ?? ''}`, 303)
  })

  routes.get('/:id/edit', async (c) => {
    const group = await groupOr404(c)
    return renderGroupForm(c, group, {
      name: group.name,
      description: group.description ?? '',
      memberIds: group.memberIds,
    })
  })

  routes.post('/:id', async (c) => {
    const group = await groupOr404(c)
    const values = await groupFormValues(c)
    const refused = await attempt(
      () =>
        updateGroup(c.get('deps').db, c.get('actor'), {
          id: group.id,
          name: values.name,
          description: values.description,
          memberIds: checkedIds(values),
        }),
      (message) => renderGroupForm(c, group, values, message),
    )
    return refused ?? c.redirect(`/groups?done=saved#group-${group.id}`, 303)
  })

  routes.post(
    '/:id/active',
    toggleActive({
      list: '/groups',
      anchor: 'group',
      update: updateGroup,
      refused: (c, message) => renderGroups(c, { problem: message }),
    }),
  )

  return routes
}

async function groupOr404(c: WebContext): Promise<GroupWithMembers> {
  const { db } = c.get('deps')
  const group = await findGroup(db, idParam(c))
  if (!group) throw new DomainError('not_found', 'Группа исполнителей не найдена')
  return { ...group, memberIds: await groupMemberIds(db, group.id) }
}

/** Member ids as ticked; `NaN` marks a value that is not an id (refused before the use case runs). */
async function groupFormValues(c: WebContext): Promise<GroupValues> {
  const form = await readForm(c)
  const body = await c.req.parseBody({ all: true })
  const raw = body.member
  const ticked = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).slice(0, 1_000)
  return {
    name: form.text('name', 1_000) ?? '',
    description: form.text('description', 5_000) ?? '',
    memberIds: ticked.map((v) => (typeof v === 'string' ? parseId(v) : undefined) ?? Number.NaN),
  }
}

function checkedIds(values: GroupValues): number[] {
  if (values.memberIds.some((id) => !Number.isSafeInteger(id))) throw new FormProblem(t('Неизвестный участник'))
  return values.memberIds
}

async function renderGroups(c: WebContext, extras: { outcome?: string | undefined; problem?: string }) {
  const { db } = c.get('deps')
  const actor = c.get('actor')
  const groups = await listGroups(db)
  const memberIds = [...new Set(groups.flatMap((g) => g.memberIds))]
  const people = await staffPeople(db, memberIds, false)
  const categoryCounts = new Map<number, number>()
  for (const category of await listCategories(db)) {
    if (category.default_group_id !== null) {
      categoryCounts.set(category.default_group_id, (categoryCounts.get(category.default_group_id) ?? 0) + 1)
    }
  }
  // Members are named: a read of (staff) personal data, journaled like every list of people.
  await audit(db, actor, {
    action: 'group.list',
    objectType: 'executor_group',
    pdn: memberIds.length > 0,
    description: `Просмотр групп исполнителей: ${groups.length}`,
    details: { ids: groups.map((g) => g.id), memberIds },
  })
  return c.html(
    <GroupsPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      groups={groups}
      people={new Map(people.map((p) => [p.id, p]))}
      categoryCounts={categoryCounts}
      outcome={extras.outcome}
      problem={extras.problem}
    />,
    extras.problem ? 422 : 200,
  )
}

async function renderGroupForm(
  c: WebContext,
  group: GroupWithMembers | undefined,
  values: GroupValues,
  error?: string,
) {
  const candidates = await staffPeople(c.get('deps').db, group?.memberIds ?? [], true)
  return c.html(
    <GroupFormPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      group={group}
      values={values}
      candidates={candidates}
      error={error}
    />,
    error ? 422 : 200,
  )
}

/** These people (whatever their state) and, with `allStaff`, every active executor, curator and admin; by name. */
async function staffPeople(db: Tx | Db, ids: readonly number[], allStaff: boolean): Promise<StaffMember[]> {
  if (ids.length === 0 && !allStaff) return []
  const rows = await db
    .selectFrom('users')
    .select(['id', 'full_name', 'role', 'status'])
    .where((eb) => {
      const either = []
      if (ids.length > 0) either.push(eb('id', 'in', [...ids]))
      if (allStaff) {
        either.push(eb.and([eb('status', '=', 'active'), eb('role', 'in', ['executor', 'curator', 'admin'])]))
      }
      return eb.or(either)
    })
    .execute()
  const collator = new Intl.Collator('ru')
  return rows.sort((a, b) => collator.compare(a.full_name, b.full_name))
}
