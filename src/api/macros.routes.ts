import { Hono } from 'hono'
import { z } from 'zod'
import { priorities } from '#src/db/schema.ts'
import { applyMacro } from '#src/macros/apply-macro.ts'
import { archiveMacro } from '#src/macros/archive-macro.ts'
import { createMacro } from '#src/macros/create-macro.ts'
import { listMacros } from '#src/macros/list-macros.ts'
import {
  MACRO_BODY_MAX,
  MACRO_TITLE_MAX,
  macroScopes,
  macroStatuses,
  mayEditMacro,
  scopeOf,
} from '#src/macros/macro-rules.ts'
import type { MacroRow } from '#src/macros/macro-store.ts'
import { previewMacro } from '#src/macros/preview-macro.ts'
import { updateMacro } from '#src/macros/update-macro.ts'
import { viewMacro } from '#src/macros/view-macro.ts'
import type { Actor } from '#src/users/actor.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { bool } from './present.ts'
import { dbId, idParam, jsonBody, q, queryOf, text } from './validate.ts'

export const createMacroBody = z
  .object({
    title: text(MACRO_TITLE_MAX),
    /** Placeholders: {{заявитель.имя}}, {{заявитель.фио}}, {{заявка.номер}}, {{заявка.тема}}, {{исполнитель.имя}}, {{исполнитель.фио}}. */
    body: text(MACRO_BODY_MAX),
    /** An internal note (staff only) rather than a reply to the requester. */
    internal: z.boolean().optional(),
    /** personal — one's own; group — the group's members (group_id); global — all IT staff. */
    scope: z.enum(macroScopes),
    group_id: dbId().nullable().optional(),
    set_status: z.enum(macroStatuses).nullable().optional(),
    set_priority: z.enum(priorities).nullable().optional(),
  })
  .strict()

export const updateMacroBody = createMacroBody
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'Укажите, что изменить')
  // The group goes with the scope: group_id alone would be a change that changes nothing.
  .refine((b) => b.group_id === undefined || b.scope !== undefined, {
    message: 'Группу указывают только вместе с полем scope: "scope": "group"',
    path: ['group_id'],
  })

export const macroPreviewQuery = z.object({ ticket_id: q.int() }).strict()

export const applyMacroBody = z
  .object({
    ticket_id: dbId(),
    /** The text as edited; absent or empty: the macro's own, placeholders filled. */
    body: text(MACRO_BODY_MAX).optional(),
    /** Absent: as the macro says. */
    internal: z.boolean().optional(),
  })
  .strict()

/** A macro as the API shows it; `editable`: the caller may change or remove it. */
export function presentMacro(macro: MacroRow, actor: Actor) {
  return {
    id: macro.id,
    title: macro.title,
    body: macro.body,
    internal: bool(macro.internal),
    scope: scopeOf(macro),
    owner_id: macro.owner_id,
    group_id: macro.group_id,
    group_name: macro.group_name,
    set_status: macro.set_status,
    set_priority: macro.set_priority,
    editable: mayEditMacro(actor, macro),
    created_by: macro.created_by,
    created_at: macro.created_at,
    updated_at: macro.updated_at,
  }
}

/** /macros: canned responses («Шаблоны ответов») — the caller's, their groups', everyone's; preview and use. */
export function macroRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)

  routes.get('/', async (c) => {
    const actor = c.get('actor')
    const items = await listMacros(c.get('deps').db, actor)
    return c.json({ items: items.map((macro) => presentMacro(macro, actor)) })
  })

  routes.post('/', async (c) => {
    const body = await jsonBody(c, createMacroBody)
    const actor = c.get('actor')
    const macro = await createMacro(c.get('deps').db, actor, {
      title: body.title,
      body: body.body,
      internal: body.internal,
      scope: body.scope,
      groupId: body.group_id,
      setStatus: body.set_status,
      setPriority: body.set_priority,
    })
    return c.json(presentMacro(macro, actor), 201)
  })

  routes.get('/:id', async (c) => {
    const actor = c.get('actor')
    return c.json(presentMacro(await viewMacro(c.get('deps').db, actor, { id: idParam(c) }), actor))
  })

  routes.patch('/:id', async (c) => {
    const id = idParam(c)
    const body = await jsonBody(c, updateMacroBody)
    const actor = c.get('actor')
    const macro = await updateMacro(c.get('deps').db, actor, {
      id,
      title: body.title,
      body: body.body,
      internal: body.internal,
      scope: body.scope,
      groupId: body.group_id,
      setStatus: body.set_status,
      setPriority: body.set_priority,
    })
    return c.json(presentMacro(macro, actor))
  })

  routes.delete('/:id', async (c) => {
    await archiveMacro(c.get('deps').db, c.get('actor'), { id: idParam(c) })
    return c.body(null, 204)
  })

  routes.post('/:id/preview', async (c) => {
    const macroId = idParam(c)
    const query = queryOf(c, macroPreviewQuery)
    const preview = await previewMacro(c.get('deps').db, c.get('actor'), { macroId, ticketId: query.ticket_id })
    return c.json({
      macro_id: preview.macroId,
      ticket_id: preview.ticketId,
      text: preview.text,
      internal: preview.internal,
      set_status: preview.setStatus,
      set_priority: preview.setPriority,
    })
  })

  routes.post('/:id/apply', async (c) => {
    const macroId = idParam(c)
    const body = await jsonBody(c, applyMacroBody)
    const applied = await applyMacro(c.get('deps').db, c.get('actor'), {
      macroId,
      ticketId: body.ticket_id,
      body: body.body,
      internal: body.internal,
    })
    return c.json({ message: applied.message, ticket: applied.ticket }, 201)
  })

  return routes
}
