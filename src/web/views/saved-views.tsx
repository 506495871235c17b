import type { Category, Department, ExecutorGroup, User } from '#src/db/schema.ts'
import { VIEW_NAME_MAX } from '#src/saved-views/saved-view-store.ts'
import { priorityLabels, statusLabels } from '#src/tickets/rules.ts'
import type { CappedCount } from '#src/tickets/ticket-store.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { t } from '../i18n.ts'
import { type ListQuery, listHref } from '../ticket-query.ts'
import { Layout } from './layout.tsx'
import {
  CsrfField,
  DangerZone,
  Empty,
  FormError,
  MoveButtons,
  Notice,
  OnceField,
  PageHead,
  shownCount,
} from './parts.tsx'
import type { Person } from './ticket-list.tsx'

/** A saved view as the navigation shows it: its name, where it leads, how many tickets it has now. */
export interface SavedViewLink {
  id: number
  name: string
  shared: boolean
  /** Its author's: a personal view is always the viewer's own. */
  ownerId: number
  /** The list's query it stands for (as the list reads it) and the list's address. */
  query: ListQuery
  href: string
  count: CappedCount
}

/** The list without its page and sort: a view is «current» whatever page or order the list shows. */
function sameList(a: ListQuery, b: ListQuery): boolean {
  const strip = (q: ListQuery) => listHref({ ...q, sort: undefined, cursor: undefined })
  return strip(a) === strip(b)
}

/**
 * The saved views in the list's navigation, after the four ready ones: each with its count (capped as theirs),
 * the form that saves the list as it is now, and the way to the page that manages them.
 */
export function SavedViewsNav(props: { views: SavedViewLink[]; query: ListQuery; user: User; csrf: string }) {
  const mayShare = can(actorFromUser(props.user, 'web'), 'saved_view.share')
  return (
    <>
      {props.views.map((v) => (
        <a
          class="view view--saved"
          href={v.href}
          aria-current={sameList(props.query, v.query) ? 'page' : undefined}
          title={v.shared ? t('Общий вид') : t('Мой вид')}
        >
          {v.name} <span class="view__count">{shownCount(v.count)}</span>
        </a>
      ))}
      <details class="save-view">
        <summary class="view view--tool">{t('Сохранить вид…')}</summary>
        <form method="post" action="/tickets/views" class="save-view__form" aria-label={t('Сохранить вид списка')}>
          <CsrfField token={props.csrf} />
          <OnceField />
          <input type="hidden" name="query" value={listHref(props.query, { cursor: undefined })} />
          <label class="field">
            <span>{t('Название вида')}</span>
            <input name="name" required maxlength={VIEW_NAME_MAX} autocomplete="off" />
          </label>
          {mayShare ? (
            <label>
              <input type="checkbox" name="shared" value="1" /> {t('Общий: видят все сотрудники ИТ')}
            </label>
          ) : null}
          <button type="submit" class="button button--primary">
            {t('Сохранить')}
          </button>
        </form>
      </details>
      <a class="view view--tool" href="/tickets/views">
        {t('Виды…')}
      </a>
    </>
  )
}

/** Names of what a view's filter refers to, for its description on the page that manages views. */
export interface ViewLookups {
  categories: Category[]
  departments: Department[]
  groups: ExecutorGroup[]
  staff: Person[]
}

/** «Статус: Новая, В работе · Категория: Принтеры · поиск «картридж»»: what a view shows, in words. */
export function describeQuery(query: ListQuery, lookups: ViewLookups): string {
  const parts: string[] = []
  const name = (list: Array<{ id: number; name?: string; full_name?: string }>, id: number) => {
    const found = list.find((item) => item.id === id)
    return found?.name ?? found?.full_name ?? `№ ${id}`
  }
  if (query.allStatuses) parts.push(t('все статусы'))
  else if (query.status.length > 0)
    parts.push(`${t('Статус')}: ${query.status.map((s) => t(statusLabels[s])).join(', ')}`)
  if (query.priority.length > 0)
    parts.push(`${t('Приоритет')}: ${query.priority.map((p) => t(priorityLabels[p])).join(', ')}`)
  if (query.category !== undefined) parts.push(`${t('Категория')}: ${name(lookups.categories, query.category)}`)
  if (query.assignee === 'none') parts.push(t('не назначена'))
  else if (query.assignee !== undefined) parts.push(`${t('Исполнитель')}: ${name(lookups.staff, query.assignee)}`)
  if (query.group !== undefined) parts.push(`${t('Группа')}: ${name(lookups.groups, query.group)}`)
  if (query.department !== undefined) parts.push(`${t('Отделение')}: ${name(lookups.departments, query.department)}`)
  if (query.from !== undefined || query.to !== undefined)
    parts.push(`${t('Создана')}: ${query.from ?? '…'} – ${query.to ?? '…'}`)
  if (query.overdue) parts.push(t('просроченные'))
  if (query.scope === 'mine') parts.push(t('мои и моих групп'))
  if (query.q !== undefined) parts.push(t('поиск «{q}»', { q: query.q }))
  return parts.join(' · ')
}

/** What the manage page was asked to do and could not: the form's values come back with the refusal. */
export interface ViewProblem {
  /** The view whose form was refused; none: the «save» form. */
  viewId?: number
  message: string
  draft?: { name: string; query: string; shared: boolean }
}

export interface SavedViewsPageProps {
  user: User
  csrf: string
  views: SavedViewLink[]
  lookups: ViewLookups
  outcome?: string | undefined
  problem?: ViewProblem | undefined
}

/** «Виды списка»: the person's own views and the shared ones, renamed, shared, reordered and deleted here. */
export function SavedViewsPage(props: SavedViewsPageProps) {
  const actor = actorFromUser(props.user, 'web')
  const mayShare = can(actor, 'saved_view.share')
  const shared = props.views.filter((v) => v.shared)
  const own = props.views.filter((v) => !v.shared)
  const draft = props.problem?.viewId === undefined ? props.problem?.draft : undefined
  return (
    <Layout title={t('Виды списка')} user={props.user} csrf={props.csrf} section="tickets">
      <p class="crumbs">
        <a href="/tickets">{t('← Заявки')}</a>
      </p>
      <PageHead title={t('Виды списка')} />
      {props.outcome ? <Notice>{props.outcome}</Notice> : null}
      <p class="muted">
        {t(
          'Вид — сохранённый фильтр списка заявок. Отфильтруйте список и нажмите «Сохранить вид…»: вид появится рядом с «Мои», «Не назначенные», «Просроченные» и «Все открытые», с числом заявок.',
        )}
      </p>
      {draft ? (
        <form method="post" action="/tickets/views" class="card stack">
          <h2>{t('Сохранить вид')}</h2>
          <CsrfField token={props.csrf} />
          <OnceField />
          <FormError message={props.problem?.message} />
          <input type="hidden" name="query" value={draft.query} />
          <label class="field">
            <span>{t('Название вида')}</span>
            <input name="name" required maxlength={VIEW_NAME_MAX} value={draft.name} />
          </label>
          {mayShare ? (
            <label>
              <input type="checkbox" name="shared" value="1" checked={draft.shared} />{' '}
              {t('Общий: видят все сотрудники ИТ')}
            </label>
          ) : null}
          <div class="actions">
            <button type="submit" class="button button--primary">
              {t('Сохранить')}
            </button>
          </div>
        </form>
      ) : null}
      <ViewSection
        {...props}
        id="views-shared"
        title={t('Общие виды')}
        hint={t('Видят все сотрудники ИТ-отдела; меняют куратор и администратор.')}
        views={shared}
        mayChange={mayShare}
        mayShare={mayShare}
        empty={t('Общих видов пока нет.')}
      />
      <ViewSection
        {...props}
        id="views-own"
        title={t('Мои виды')}
        hint={t('Видите только вы.')}
        views={own}
        mayChange
        mayShare={mayShare}
        empty={t('Своих видов пока нет.')}
      />
    </Layout>
  )
}

function ViewSection(
  props: SavedViewsPageProps & {
    id: string
    title: string
    hint: string
    views: SavedViewLink[]
    mayChange: boolean
    mayShare: boolean
    empty: string
  },
) {
  return (
    <section aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      <p class="muted small">{props.hint}</p>
      {props.views.length === 0 ? (
        <Empty>{props.empty}</Empty>
      ) : (
        <ul class="saved-views__list">
          {props.views.map((v, i) => (
            <li class="card" id={`view-${v.id}`}>
              <div class="saved-view__row">
                <a href={v.href}>{v.name}</a>{' '}
                <span class="view__count" title={t('Заявок сейчас')}>
                  {shownCount(v.count)}
                </span>
                {props.mayChange ? (
                  <MoveButtons
                    action={`/tickets/views/${v.id}/move`}
                    csrf={props.csrf}
                    first={i === 0}
                    last={i === props.views.length - 1}
                    name={v.name}
                  />
                ) : null}
              </div>
              <p class="muted small">{describeQuery(v.query, props.lookups)}</p>
              {props.problem?.viewId === v.id ? <FormError message={props.problem.message} /> : null}
              {props.mayChange ? <ViewActions view={v} csrf={props.csrf} mayShare={props.mayShare} /> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function ViewActions(props: { view: SavedViewLink; csrf: string; mayShare: boolean }) {
  const v = props.view
  return (
    <div class="saved-view__row">
      <form method="post" action={`/tickets/views/${v.id}`} class="saved-view__row">
        <CsrfField token={props.csrf} />
        <label class="field">
          <span class="visually-hidden">{t('Новое название: {name}', { name: v.name })}</span>
          <input name="name" required maxlength={VIEW_NAME_MAX} value={v.name} />
        </label>
        <button type="submit" class="button">
          {t('Переименовать')}
        </button>
      </form>
      {props.mayShare ? (
        <form method="post" action={`/tickets/views/${v.id}`}>
          <CsrfField token={props.csrf} />
          <input type="hidden" name="shared" value={v.shared ? '0' : '1'} />
          <button type="submit" class="button button--ghost">
            {v.shared ? t('Сделать личным') : t('Поделиться со всеми')}
          </button>
        </form>
      ) : null}
      <DangerZone
        summary={t('Удалить…')}
        action={`/tickets/views/${v.id}/delete`}
        confirm={t('Удалить вид «{name}»? Заявки останутся как есть.', { name: v.name })}
        csrf={props.csrf}
        submit={t('Удалить вид')}
      />
    </div>
  )
}
