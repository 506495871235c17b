import type { Category, Priority, User } from '#src/db/schema.ts'
import { priorities } from '#src/db/schema.ts'
import { priorityLabels } from '#src/tickets/rules.ts'
import { Layout } from './layout.tsx'
import { CsrfField, FormError } from './parts.tsx'
import { CategorySelect } from './ticket-page.tsx'

export interface NewTicketValues {
  title?: string
  description?: string
  category?: number
  priority?: Priority
  requester?: number
  requesterLabel?: string
}

export interface NewTicketProps {
  user: User
  csrf: string
  staff: boolean
  categories: Category[]
  values?: NewTicketValues
  error?: string | undefined
}

export function NewTicketPage(props: NewTicketProps) {
  const v = props.values ?? {}
  return (
    <Layout title="Новая заявка" user={props.user} csrf={props.csrf} section="new">
      <h1>Новая заявка</h1>
      <form method="post" action="/tickets/new" class="card stack form-narrow">
        <CsrfField token={props.csrf} />
        <FormError message={props.error} />
        {props.staff ? (
          <fieldset class="stack on-behalf">
            <legend>Заявитель</legend>
            <label class="field">
              <span>Найти по ФИО или телефону</span>
              <input
                type="search"
                name="q"
                autocomplete="off"
                placeholder="Например, Иванова или 8900…"
                hx-get="/people"
                hx-trigger="input changed delay:250ms, search"
                hx-target="#requester"
                hx-push-url="false"
              />
            </label>
            <label class="field">
              <span>От чьего имени</span>
              <select name="requester" id="requester">
                <option value="">{`Я сам(а) — ${props.user.full_name}`}</option>
                {v.requester && v.requesterLabel ? (
                  <option value={String(v.requester)} selected>
                    {v.requesterLabel}
                  </option>
                ) : null}
              </select>
            </label>
          </fieldset>
        ) : null}
        <label class="field">
          <span>Кратко, что случилось</span>
          <input
            name="title"
            maxlength={200}
            value={v.title ?? ''}
            placeholder="Например: не печатает принтер в ординаторской"
          />
        </label>
        <label class="field">
          <span>Подробности</span>
          <textarea name="description" rows={6} required maxlength={10000}>
            {v.description ?? ''}
          </textarea>
        </label>
        <div class="grid-2">
          <label class="field" for="new-category">
            <span>Категория</span>
            <CategorySelect categories={props.categories} selected={v.category ?? null} id="new-category" />
          </label>
          <label class="field">
            <span>Приоритет</span>
            <select name="priority">
              <option value="">По умолчанию для категории</option>
              {[...priorities].reverse().map((p) => (
                <option value={p} selected={v.priority === p}>
                  {priorityLabels[p]}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div class="actions">
          <a href="/tickets" class="button button--ghost">
            Отмена
          </a>
          <button type="submit" class="button button--primary">
            Отправить заявку
          </button>
        </div>
      </form>
    </Layout>
  )
}

/** The options of the requester select, for `GET /people?q=`. */
export function PeopleOptions(props: {
  self: User
  people: Array<{ id: number; full_name: string; phone: string | null; department: string | null }>
}) {
  return (
    <>
      <option value="">{`Я сам(а) — ${props.self.full_name}`}</option>
      {props.people.map((p, i) => (
        <option value={String(p.id)} selected={i === 0}>
          {[p.full_name, p.department, p.phone].filter(Boolean).join(' · ')}
        </option>
      ))}
    </>
  )
}
