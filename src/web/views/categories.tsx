import type { Category, ExecutorGroup, Priority, User } from '#src/db/schema.ts'
import { priorities } from '#src/db/schema.ts'
import { priorityLabels } from '#src/tickets/rules.ts'
import { t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import {
  ActiveBadge,
  CatalogueForm,
  CatalogueTable,
  Empty,
  FormError,
  MoveButtons,
  Notice,
  PageHead,
  PriorityBadge,
  ToggleForm,
} from './parts.tsx'

export interface CategoriesProps {
  user: User
  csrf: string
  /** In display order (sort order, then name); the page builds the parent → children tree. */
  categories: Category[]
  groups: ExecutorGroup[]
  outcome?: string | undefined
  problem?: string | undefined
}

/** «Категории»: the tree with routing and deadlines; edit, disable, reorder. */
export function CategoriesPage(props: CategoriesProps) {
  const tops = props.categories.filter((c) => c.parent_id === null)
  const groupNames = new Map(props.groups.map((g) => [g.id, g.name]))
  return (
    <Layout title={t('Категории')} user={props.user} csrf={props.csrf} section="categories">
      <PageHead title={t('Категории')}>
        <a class="button button--primary" href="/categories/new">
          {t('Новая категория')}
        </a>
      </PageHead>
      <Notice>{props.outcome}</Notice>
      <FormError message={props.problem} />
      {tops.length === 0 ? (
        <Empty>
          {t('Категорий пока нет —')} <a href="/categories/new">{t('создайте первую')}</a>
        </Empty>
      ) : (
        <CatalogueTable
          wide={[t('Название'), t('Группа по умолчанию')]}
          fit={[t('Приоритет'), t('Сроки: реакция / решение'), t('Состояние'), t('Порядок'), t('Действия')]}
        >
          {tops.map((top, i) => {
            const children = props.categories.filter((c) => c.parent_id === top.id)
            return (
              <>
                <Row {...props} category={top} groupNames={groupNames} first={i === 0} last={i === tops.length - 1} />
                {children.map((child, j) => (
                  <Row
                    {...props}
                    category={child}
                    groupNames={groupNames}
                    first={j === 0}
                    last={j === children.length - 1}
                  />
                ))}
              </>
            )
          })}
        </CatalogueTable>
      )}
    </Layout>
  )
}

function Row(props: {
  category: Category
  groupNames: Map<number, string>
  csrf: string
  first: boolean
  last: boolean
}) {
  const c = props.category
  const active = Number(c.active) === 1
  const child = c.parent_id !== null
  return (
    <tr id={`category-${c.id}`} class={active ? undefined : 'is-disabled'}>
      <td class={child ? 'tree-child' : 'tree-top'}>
        {child ? (
          <span class="tree-child__mark" aria-hidden="true">
            ↳{' '}
          </span>
        ) : null}
        <a href={`/categories/${c.id}/edit`} class="ticket-link">
          {c.name}
        </a>
        {c.description ? <span class="sub">{c.description}</span> : null}
      </td>
      <td>
        {c.default_group_id === null ? (
          <span class="muted">{t('не задана')}</span>
        ) : (
          (props.groupNames.get(c.default_group_id) ?? '—')
        )}
      </td>
      <td class="fit">
        <PriorityBadge priority={c.default_priority} />
      </td>
      <td class="fit">
        {c.response_minutes === null && c.resolution_minutes === null ? (
          <span class="muted">{t('по приоритету')}</span>
        ) : (
          `${minutesLabel(c.response_minutes)} / ${minutesLabel(c.resolution_minutes)}`
        )}
      </td>
      <td class="fit">
        <ActiveBadge active={c.active} />
      </td>
      <td class="fit">
        <MoveButtons
          action={`/categories/${c.id}/move`}
          csrf={props.csrf}
          first={props.first}
          last={props.last}
          name={c.name}
        />
      </td>
      <td class="fit">
        <div class="row-actions">
          <a class="button" href={`/categories/${c.id}/edit`}>
            {t('Изменить')}
          </a>
          <ToggleForm action={`/categories/${c.id}/active`} csrf={props.csrf} active={active} name={c.name} />
        </div>
      </td>
    </tr>
  )
}

/** «30 мин», «4 ч», «2 д», «1 ч 30 мин»; «—» for the priority's default. */
export function minutesLabel(minutes: number | null): string {
  if (minutes === null) return '—'
  const days = Math.floor(minutes / 1440)
  const hours = Math.floor((minutes % 1440) / 60)
  const rest = minutes % 60
  const parts = [
    days > 0 ? t('{n} д', { n: days }) : '',
    hours > 0 ? t('{n} ч', { n: hours }) : '',
    rest > 0 ? t('{n} мин', { n: rest }) : '',
  ]
  return parts.filter(Boolean).join(' ')
}

/** What the category form shows: the row's values, or what was typed before a refusal. */
export interface CategoryValues {
  name: string
  description: string
  parentId: number | null
  defaultGroupId: number | null
  defaultPriority: Priority
  /** As typed: empty means «by priority». */
  responseMinutes: string
  resolutionMinutes: string
  /** Issue 14: its tickets wait for approval. */
  requiresApproval: boolean
}

export function categoryValues(c: Category): CategoryValues {
  return {
    name: c.name,
    description: c.description ?? '',
    parentId: c.parent_id,
    defaultGroupId: c.default_group_id,
    defaultPriority: c.default_priority,
    responseMinutes: c.response_minutes === null ? '' : String(c.response_minutes),
    resolutionMinutes: c.resolution_minutes === null ? '' : String(c.resolution_minutes),
    requiresApproval: Number(c.requires_approval) === 1,
  }
}

export const emptyCategory: CategoryValues = {
  name: '',
  description: '',
  parentId: null,
  defaultGroupId: null,
  defaultPriority: 'normal',
  responseMinutes: '',
  resolutionMinutes: '',
  requiresApproval: false,
}

export interface CategoryFormProps {
  user: User
  csrf: string
  /** The category being edited; absent for a new one. */
  category?: Category | undefined
  values: CategoryValues
  /** Top-level categories that may be the parent. */
  parents: Category[]
  groups: ExecutorGroup[]
  /** A category with subcategories stays at the top level (one level of nesting). */
  hasChildren: boolean
  error?: string | undefined
}

export function CategoryFormPage(props: CategoryFormProps) {
  const v = props.values
  const editing = props.category
  const title = editing ? t('Категория «{name}»', { name: editing.name }) : t('Новая категория')
  // A disabled group cannot be chosen anew, but the one a category already has stays visible.
  const groups = props.groups.filter((g) => Number(g.active) === 1 || g.id === v.defaultGroupId)
  return (
    <Layout title={title} user={props.user} csrf={props.csrf} section="categories">
      <p class="crumbs">
        <a href="/categories">{`← ${t('Категории')}`}</a>
      </p>
      <h1>{title}</h1>
      <CatalogueForm
        action={editing ? `/categories/${editing.id}` : '/categories'}
        once={!editing}
        back="/categories"
        csrf={props.csrf}
        error={props.error}
        name={v.name}
        description={v.description}
        submit={editing ? t('Сохранить') : t('Создать категорию')}
      >
        <div class="grid-2">
          <label class="field">
            <span>{t('Родительская категория')}</span>
            <select name="parent">
              <option value="">{t('— верхний уровень —')}</option>
              {props.hasChildren
                ? null
                : props.parents.map((p) => (
                    <option value={String(p.id)} selected={v.parentId === p.id}>
                      {p.name}
                    </option>
                  ))}
            </select>
            {props.hasChildren ? (
              <span class="hint">{t('У категории есть подкатегории: она остаётся на верхнем уровне.')}</span>
            ) : null}
          </label>
          <label class="field">
            <span>{t('Группа исполнителей по умолчанию')}</span>
            <select name="group">
              <option value="">{t('— не задана —')}</option>
              {groups.map((g) => (
                <option value={String(g.id)} selected={v.defaultGroupId === g.id}>
                  {Number(g.active) === 1 ? g.name : `${g.name} (${t('отключена')})`}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label class="field">
          <span>{t('Приоритет по умолчанию')}</span>
          <select name="priority">
            {[...priorities].reverse().map((p) => (
              <option value={p} selected={v.defaultPriority === p}>
                {t(priorityLabels[p])}
              </option>
            ))}
          </select>
        </label>
        <fieldset class="stack">
          <legend>{t('Сроки для этой категории, в минутах (пусто — как у приоритета)')}</legend>
          <div class="grid-2">
            <label class="field">
              <span>{t('Первая реакция, минут')}</span>
              <input name="response" inputmode="numeric" pattern="[0-9]*" value={v.responseMinutes} />
            </label>
            <label class="field">
              <span>{t('Решение, минут')}</span>
              <input name="resolution" inputmode="numeric" pattern="[0-9]*" value={v.resolutionMinutes} />
            </label>
          </div>
        </fieldset>
        <label class="field">
          <span>
            <input type="checkbox" name="requires_approval" value="1" checked={v.requiresApproval} />{' '}
            {t('Требует согласования заведующего отделением')}
          </span>
          <span class="hint">
            {t(
              'Заявка ждёт, пока заведующий отделением заявителя её не согласует (без заведующего — куратор ИТ); до этого ИТ-отдел её не получает. Подкатегории наследуют это от родительской.',
            )}
          </span>
        </label>
      </CatalogueForm>
    </Layout>
  )
}
