import type { Category, Priority, User } from '#src/db/schema.ts'
import { priorities } from '#src/db/schema.ts'
import type { ReportedEquipment } from '#src/equipment/reported-equipment.ts'
import { priorityLabels } from '#src/tickets/rules.ts'
import { t } from '../i18n.ts'
import { ReportedDevice } from './equipment.tsx'
import { Layout } from './layout.tsx'
import { CsrfField, FormError, OnceField } from './parts.tsx'
import { CategorySelect, FileField } from './ticket-page.tsx'

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
  /** Filed from a device's sticker (issue 14): the device, shown and carried with the form. */
  equipment?: ReportedEquipment | undefined
}

export function NewTicketPage(props: NewTicketProps) {
  const v = props.values ?? {}
  return (
    <Layout title={t('Новая заявка')} user={props.user} csrf={props.csrf} section="new">
      <h1>{t('Новая заявка')}</h1>
      <form
        method="post"
        action="/tickets/new"
        enctype="multipart/form-data"
        class="card stack form-narrow"
        data-new-ticket
      >
        <CsrfField token={props.csrf} />
        <OnceField />
        <FormError message={props.error} />
        {props.equipment ? <ReportedDevice device={props.equipment} /> : null}
        {props.staff ? (
          <fieldset class="stack on-behalf">
            <legend>{t('Заявитель')}</legend>
            <label class="field">
              <span>{t('Найти по ФИО или телефону')}</span>
              <input
                type="search"
                name="q"
                autocomplete="off"
                placeholder={t('Например, Иванова или 8900…')}
                hx-get="/people"
                hx-trigger="input changed delay:250ms, search"
                hx-target="#requester"
                hx-push-url="false"
                data-people-search
              />
            </label>
            <label class="field">
              <span>{t('От чьего имени')}</span>
              <select name="requester" id="requester">
                <option value="">{t('Я сам(а) — {name}', { name: props.user.full_name })}</option>
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
          <span>{t('Кратко, что случилось')}</span>
          <input
            name="title"
            maxlength={200}
            value={v.title ?? ''}
            placeholder={t('Например: не печатает принтер в ординаторской')}
          />
        </label>
        <label class="field">
          <span>{t('Подробности')}</span>
          <textarea name="description" rows={6} required maxlength={10000}>
            {v.description ?? ''}
          </textarea>
        </label>
        <FileField id="new-files" />
        <div class="grid-2">
          <label class="field" for="new-category">
            <span>{t('Категория')}</span>
            <CategorySelect categories={props.categories} selected={v.category ?? null} id="new-category" />
          </label>
          <label class="field">
            <span>{t('Приоритет')}</span>
            <select name="priority">
              <option value="">{t('По умолчанию для категории')}</option>
              {[...priorities].reverse().map((p) => (
                <option value={p} selected={v.priority === p}>
                  {t(priorityLabels[p])}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div class="actions">
          <a href="/tickets" class="button button--ghost">
            {t('Отмена')}
          </a>
          <button type="submit" class="button button--primary">
            {t('Отправить заявку')}
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
      <option value="">{t('Я сам(а) — {name}', { name: props.self.full_name })}</option>
      {props.people.map((p, i) => (
        <option value={String(p.id)} selected={i === 0}>
          {[p.full_name, p.department, p.phone].filter(Boolean).join(' · ')}
        </option>
      ))}
    </>
  )
}
