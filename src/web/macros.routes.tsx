import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { auditDenied } from '#src/audit/denied.ts'
import { DomainError } from '#src/errors.ts'
import { parseId } from '#src/format/ids.ts'
import { listGroups } from '#src/groups/group-store.ts'
import { archiveMacro } from '#src/macros/archive-macro.ts'
import { createMacro } from '#src/macros/create-macro.ts'
import { listMacros } from '#src/macros/list-macros.ts'
import { MACRO_BODY_MAX, MACRO_TITLE_MAX, type MacroScope, mayEditMacro, scopeOf } from '#src/macros/macro-rules.ts'
import type { MacroRow } from '#src/macros/macro-store.ts'
import { updateMacro } from '#src/macros/update-macro.ts'
import { viewMacro } from '#src/macros/view-macro.ts'
import { can } from '#src/users/permissions.ts'
import { attempt, FormProblem, onlyWith, outcomeOf, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { msg, t } from './i18n.ts'
import { requireSession } from './session.ts'
import { MacroFormPage, MacrosPage, type MacroValues } from './views/macros.tsx'

/** The outcome line after a redirect: a fixed code in the URL, never text from it (curator-forms.ts `outcomeOf`). */
const outcomes: Record<string, string> = {
  created: msg('Шаблон создан'),
  saved: msg('Шаблон сохранён'),
  deleted: msg('Шаблон удалён'),
}

/** /macros («Шаблоны ответов», IT staff): one's own, one's groups', everyone's; create, edit, remove. */
export function macroRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('macro.use', 'Шаблоны ответов'))

  routes.get('/', async (c) => renderList(c, outcomeOf(c, outcomes)))

  routes.get('/new', async (c) =>
    renderForm(c, undefined, {
      title: '',
      body: 'Здравствуйте, {{заявитель.имя}}!\n\n',
      internal: false,
      scope: 'personal',
      setStatus: '',
      setPriority: '',
    }),
  )

  routes.post('/', async (c) => {
    const values = await formValues(c)
    let created: MacroRow | undefined
    const refused = await attempt(
      async () => {
        created = await createMacro(c.get('deps').db, c.get('actor'), { ...fields(values), ...scopeOfForm(values) })
      },
      (message) => renderForm(c, undefined, values, message),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect(`/macros?done=created#macro-${created?.id ?? ''}`, 303)
  })

  routes.get('/:id/edit', async (c) => {
    const macro = await editableMacro(c)
    return renderForm(c, macro, {
      title: macro.title,
      body: macro.body,
      internal: Number(macro.internal) === 1,
      scope: macro.group_id !== null ? `group:${macro.group_id}` : scopeOf(macro),
      setStatus: macro.set_status ?? '',
      setPriority: macro.set_priority ?? '',
    })
  })

  routes.post('/:id', async (c) => {
    const macro = await editableMacro(c)
    const values = await formValues(c)
    const refused = await attempt(
      () => updateMacro(c.get('deps').db, c.get('actor'), { id: macro.id, ...fields(values), ...scopeOfForm(values) }),
      (message) => renderForm(c, macro, values, message),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect(`/macros?done=saved#macro-${macro.id}`, 303)
  })

  routes.post('/:id/delete', async (c) => {
    const id = idParam(c)
    const refused = await attempt(
      () => archiveMacro(c.get('deps').db, c.get('actor'), { id }),
      (message) => renderList(c, undefined, message),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect('/macros?done=deleted', 303)
  })

  return routes
}

/** The macro, if the person may change it; else the 404 page (someone else's does not exist for them). */
async function editableMacro(c: WebContext): Promise<MacroRow> {
  const { db } = c.get('deps')
  const actor = c.get('actor')
  const macro = await viewMacro(db, actor, { id: idParam(c) })
  if (!mayEditMacro(actor, macro)) {
    await auditDenied(db, actor, {
      action: 'macro.update',
      objectType: 'macro',
      objectId: macro.id,
      description: `Отказано в действии macro.update с шаблоном № ${macro.id}`,
    })
    throw new DomainError('not_found', 'Шаблон не найден')
  }
  return macro
}

async function formValues(c: WebContext): Promise<MacroValues> {
  const form = await readForm(c)
  // Cut past the limit (in UTF-16 units, two for an emoji): longer text stays too long, refused by the use case.
  const over = (max: number) => (max + 1) * 2
  return {
    title: form.text('title', over(MACRO_TITLE_MAX)) ?? '',
    body: form.text('body', over(MACRO_BODY_MAX)) ?? '',
    internal: form.text('kind') === 'internal',
    scope: form.text('scope', 40) ?? 'personal',
    setStatus: form.text('set_status', 20) ?? '',
    setPriority: form.text('set_priority', 20) ?? '',
  }
}

function fields(values: MacroValues) {
  return {
    title: values.title,
    body: values.body,
    internal: values.internal,
    setStatus: values.setStatus,
    setPriority: values.setPriority,
  }
}

/** `personal`, `global` or `group:<id>` as the use cases take it. */
function scopeOfForm(values: MacroValues): { scope: MacroScope; groupId: number | null } {
  if (values.scope === 'personal' || values.scope === 'global') return { scope: values.scope, groupId: null }
  const groupId = values.scope.startsWith('group:') ? parseId(values.scope.slice('group:'.length)) : undefined
  if (groupId === undefined) throw new FormProblem(t('Выберите, кому виден шаблон'))
  return { scope: 'group', groupId }
}

async function renderList(c: WebContext, outcome: string | undefined, problem?: string) {
  const actor = c.get('actor')
  const macros = await listMacros(c.get('deps').db, actor)
  return c.html(
    <MacrosPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      macros={macros.map((m) => ({ ...m, editable: mayEditMacro(actor, m) }))}
      outcome={outcome}
      problem={problem}
    />,
    problem ? 422 : 200,
  )
}

async function renderForm(c: WebContext, macro: MacroRow | undefined, values: MacroValues, error?: string) {
  const actor = c.get('actor')
  const shared = can(actor, 'macro.manage_shared')
  // A disabled group is offered no more, except to the macro that is shared with it still.
  const groups = shared
    ? (await listGroups(c.get('deps').db)).filter((g) => Number(g.active) === 1 || g.id === macro?.group_id)
    : []
  return c.html(
    <MacroFormPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      macro={macro}
      values={values}
      sharedScopes={shared}
      groups={groups.map((g) => ({ id: g.id, name: g.name }))}
      error={error}
    />,
    error ? 422 : 200,
  )
}
