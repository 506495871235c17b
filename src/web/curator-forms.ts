import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { idParam } from '#src/api/validate.ts'
import { auditDenied } from '#src/audit/denied.ts'
import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError, isDomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { type Action, can } from '#src/users/permissions.ts'
import type { WebEnv } from './env.ts'
import { type FormFields, readForm } from './forms.ts'
import { msg, t } from './i18n.ts'

/**
 * What the curator's pages share (registrations, /categories, /departments, /groups): the guard, plain
 * forms with redirects (PRG) so that every page works without JavaScript, refusals shown in Russian
 * beside their form, outcome lines, and ↑/↓ reordering. /users and /profile use the refusals too.
 */

export type WebContext = Context<WebEnv>

/**
 * Pages only for people with `permission`: anyone else gets the 404 page, as for what does not exist
 * (they need not learn the page is there), and the attempt is journaled as denied.
 */
export function onlyWith(permission: Action, section: string) {
  return createMiddleware<WebEnv>(async (c, next) => {
    const actor = c.get('actor')
    if (!can(actor, permission)) {
      await auditDenied(c.get('deps').db, actor, {
        action: permission,
        description: `Отказано в доступе к разделу «${section}»`,
        details: { method: c.req.method, path: c.req.path },
      })
      throw new DomainError('not_found', 'Не найдено')
    }
    await next()
  })
}

/** A refusal of the form itself, before any use case runs. */
export class FormProblem extends Error {}

/**
 * The Russian message of a refusal to show beside the form; undefined for what is not a refusal. A missing
 * row is no form's business: it gets the error page, as anywhere; so does a missing right, unless the
 * form is one everybody sees and the right depends on the row (a ticket's actions: `forbiddenBeside`).
 */
function refusalOf(error: unknown, forbiddenBeside: boolean): string | undefined {
  if (error instanceof FormProblem) return error.message
  if (!isDomainError(error) || error.code === 'not_found') return undefined
  return error.code !== 'forbidden' || forbiddenBeside ? error.message : undefined
}

/** Runs a change; on a refusal, renders `onRefusal(message)` (status 422) instead of throwing. */
export async function attempt(
  run: () => Promise<unknown>,
  onRefusal: (message: string) => Promise<Response>,
  options: { forbiddenBeside?: boolean } = {},
): Promise<Response | undefined> {
  try {
    await run()
    return undefined
  } catch (error) {
    const message = refusalOf(error, options.forbiddenBeside ?? false)
    if (message === undefined) throw error
    return onRefusal(message)
  }
}

/** The outcome line after a redirect: a fixed code in the URL, never text from it. */
export const outcomes: Record<string, string> = {
  created: msg('Создано'),
  saved: msg('Изменения сохранены'),
  disabled: msg('Отключено: больше не предлагается для новых записей, старые записи его сохраняют'),
  enabled: msg('Включено снова'),
}

/** The outcome line for `?done=<code>`, from `table` (the catalogues' by default); undefined for an unknown code. */
export function outcomeOf(c: WebContext, table: Record<string, string> = outcomes): string | undefined {
  const code = c.req.query('done')
  return code !== undefined && Object.hasOwn(table, code) ? t(table[code] ?? '') : undefined
}

export function wantedActive(form: FormFields): boolean {
  const value = form.text('active')
  if (value !== '0' && value !== '1') throw new FormProblem(t('Неизвестное состояние'))
  return value === '1'
}

export function direction(form: FormFields): 'up' | 'down' {
  const value = form.text('direction')
  if (value !== 'up' && value !== 'down') throw new FormProblem(t('Неизвестное направление'))
  return value
}

/**
 * Moves one row among its siblings (in display order) and numbers the siblings 10, 20, 30…: sort orders
 * start equal (0) and the names decide, so a swap alone would not move anything.
 */
export async function moveAmong<T extends { id: number; sort_order: number }>(
  siblings: readonly T[],
  id: number,
  way: 'up' | 'down',
  save: (id: number, sortOrder: number) => Promise<unknown>,
): Promise<void> {
  const order = [...siblings]
  const from = order.findIndex((s) => s.id === id)
  const to = way === 'up' ? from - 1 : from + 1
  if (from < 0 || to < 0 || to >= order.length) return
  const [moved] = order.splice(from, 1)
  if (moved) order.splice(to, 0, moved)
  for (const [i, sibling] of order.entries()) {
    const sortOrder = (i + 1) * 10
    if (sibling.sort_order !== sortOrder) await save(sibling.id, sortOrder)
  }
}

/** A form's optional row id: empty is null; anything but an id is refused with `message`. */
export function optionalId(form: FormFields, name: string, message: string): number | null {
  if ((form.text(name) ?? '') === '') return null
  const id = form.id(name)
  if (id === undefined) throw new FormProblem(message)
  return id
}

/** What the shared row handlers need to know of one catalogue (categories, departments, groups). */
export interface CatalogueRows {
  /** The list page, e.g. `/categories`; a row there is anchored `#<anchor>-<id>`. */
  list: string
  anchor: string
  /** The catalogue's update use case. */
  update: (db: Db, actor: Actor, input: { id: number; active?: boolean; sortOrder?: number }) => Promise<unknown>
  /** The list page again with the refusal above it. */
  refused: (c: WebContext, message: string) => Promise<Response>
}

/** POST /:id/active: disables or enables a row, then back to it in the list. */
export function toggleActive(rows: CatalogueRows) {
  return async (c: WebContext): Promise<Response> => {
    const id = idParam(c)
    const form = await readForm(c)
    let active = false
    const refused = await attempt(
      async () => {
        active = wantedActive(form)
        await rows.update(c.get('deps').db, c.get('actor'), { id, active })
      },
      (message) => rows.refused(c, message),
    )
    return refused ?? c.redirect(`${rows.list}?done=${active ? 'enabled' : 'disabled'}#${rows.anchor}-${id}`, 303)
  }
}

/**
 * POST /:id/move: one step up or down among the row's siblings, in one transaction; `siblings` refuses
 * a row that does not exist.
 */
export function moveRow<T extends { id: number; sort_order: number }>(
  rows: CatalogueRows & { siblings: (tx: Db, id: number) => Promise<readonly T[]> },
) {
  return async (c: WebContext): Promise<Response> => {
    const id = idParam(c)
    const form = await readForm(c)
    const { db } = c.get('deps')
    const actor = c.get('actor')
    const refused = await attempt(
      async () => {
        const way = direction(form)
        await transact(db, async (tx) => {
          await moveAmong(await rows.siblings(tx, id), id, way, (siblingId, sortOrder) =>
            rows.update(tx, actor, { id: siblingId, sortOrder }),
          )
        })
      },
      (message) => rows.refused(c, message),
    )
    return refused ?? c.redirect(`${rows.list}#${rows.anchor}-${id}`, 303)
  }
}
