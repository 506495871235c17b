import type { Priority, User } from '#src/db/schema.ts'
import { priorities } from '#src/db/schema.ts'
import {
  MACRO_BODY_MAX,
  MACRO_TITLE_MAX,
  type MacroStatus,
  macroStatuses,
  type Placeholder,
  placeholderNames,
} from '#src/macros/macro-rules.ts'
import type { MacroRow } from '#src/macros/macro-store.ts'
import { priorityLabels, statusLabels } from '#src/tickets/rules.ts'
import { msg, t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CsrfField, FormError, Notice, OnceField, PageHead, PlaceholderHelp } from './parts.tsx'

/** What each placeholder becomes, as the form explains it. */
const placeholderHelp: Record<Placeholder, string> = {
  'заявитель.имя': msg('имя и отчество заявителя — как к нему обращаются'),
  'заявитель.фио': msg('фамилия, имя и отчество заявителя'),
  'заявка.номер': msg('номер заявки'),
  'заявка.тема': msg('тема заявки'),
  'исполнитель.имя': msg('Ваши имя и отчество'),
  'исполнитель.фио': msg('Ваши фамилия, имя и отчество'),
}

/** «также: статус → Ожидает ответа, приоритет → Высокий»: what a macro does besides the text; '' when nothing. */
export function macroAlso(setStatus: MacroStatus | null, setPriority: Priority | null): string {
  const parts = [
    setStatus ? t('статус → {status}', { status: t(statusLabels[setStatus]) }) : null,
    setPriority ? t('приоритет → {priority}', { priority: t(priorityLabels[setPriority]) }) : null,
  ].filter((part) => part !== null)
  return parts.length === 0 ? '' : t('также: {what}', { what: parts.join(', ') })
}

export interface MacrosPageProps {
  user: User
  csrf: string
  macros: Array<MacroRow & { editable: boolean }>
  outcome?: string | undefined
  problem?: string | undefined
}

/** «Шаблоны ответов»: the person's own, their groups', everyone's; each with what it does besides the text. */
export function MacrosPage(props: MacrosPageProps) {
  const personal = props.macros.filter((m) => m.owner_id !== null)
  const group = props.macros.filter((m) => m.owner_id === null && m.group_id !== null)
  const global = props.macros.filter((m) => m.owner_id === null && m.group_id === null)
  return (
    <Layout title={t('Шаблоны ответов')} user={props.user} csrf={props.csrf} section="macros">
      <PageHead title={t('Шаблоны ответов')}>
        <a class="button button--primary" href="/macros/new">
          {t('Новый шаблон')}
        </a>
      </PageHead>
      <p class="muted">
        {t('Шаблон вставляется в ответ на странице заявки: выберите его в списке «Шаблон» или наберите :: в тексте.')}
      </p>
      <Notice>{props.outcome}</Notice>
      <FormError message={props.problem} />
      <div class="stack">
        <MacroSection id="macros-personal" title={t('Личные')} macros={personal} csrf={props.csrf} />
        <MacroSection id="macros-group" title={t('Для групп')} macros={group} csrf={props.csrf} showGroup />
        <MacroSection id="macros-global" title={t('Общие')} macros={global} csrf={props.csrf} />
      </div>
    </Layout>
  )
}

function MacroSection(props: {
  id: string
  title: string
  macros: Array<MacroRow & { editable: boolean }>
  csrf: string
  showGroup?: boolean
}) {
  return (
    <section class="card stack" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.macros.length === 0 ? (
        <p class="muted">
          {t('Шаблонов нет.')}
          {props.id === 'macros-personal' ? (
            <>
              {' '}
              <a href="/macros/new">{t('Создать шаблон ответа')}</a>
            </>
          ) : null}
        </p>
      ) : (
        <ul class="members stack">
          {props.macros.map((m) => {
            const also = macroAlso(m.set_status, m.set_priority)
            return (
              <li id={`macro-${m.id}`} class="stack">
                <div>
                  <strong>{m.title}</strong>
                  <span class="sub">
                    {Number(m.internal) === 1 ? t('Внутренняя заметка') : t('Ответ заявителю')}
                    {props.showGroup && m.group_name ? ` · ${t('группа «{name}»', { name: m.group_name })}` : ''}
                    {also ? ` · ${also}` : ''}
                  </span>
                </div>
                <p class="pre">{m.body}</p>
                {m.editable ? (
                  <div class="row-actions">
                    <a
                      class="button"
                      href={`/macros/${m.id}/edit`}
                      aria-label={t('Изменить: {name}', { name: m.title })}
                    >
                      {t('Изменить')}
                    </a>
                    <form
                      method="post"
                      action={`/macros/${m.id}/delete`}
                      data-confirm={t('Удалить шаблон «{name}»? Он пропадёт из списка у всех, кому виден.', {
                        name: m.title,
                      })}
                    >
                      <CsrfField token={props.csrf} />
                      <button
                        type="submit"
                        class="button button--ghost"
                        aria-label={t('Удалить: {name}', { name: m.title })}
                      >
                        {t('Удалить')}
                      </button>
                    </form>
                  </div>
                ) : null}
              </li>
            )
          })}
        </ul>
      )}
    </section>
  )
}

export interface MacroValues {
  title: string
  body: string
  internal: boolean
  /** `personal`, `global`, or `group:<id>`. */
  scope: string
  setStatus: string
  setPriority: string
}

export interface MacroFormProps {
  user: User
  csrf: string
  /** The macro being edited; absent for a new one. */
  macro?: MacroRow | undefined
  values: MacroValues
  /** Shared scopes are offered to those who keep them: everyone's, and these active groups. */
  sharedScopes: boolean
  groups: Array<{ id: number; name: string }>
  error?: string | undefined
}

export function MacroFormPage(props: MacroFormProps) {
  const v = props.values
  const editing = props.macro
  const title = editing ? t('Шаблон «{name}»', { name: editing.title }) : t('Новый шаблон')
  return (
    <Layout title={title} user={props.user} csrf={props.csrf} section="macros">
      <p class="crumbs">
        <a href="/macros">{`← ${t('Шаблоны ответов')}`}</a>
      </p>
      <h1>{title}</h1>
      <form method="post" action={editing ? `/macros/${editing.id}` : '/macros'} class="card stack form-narrow">
        <CsrfField token={props.csrf} />
        {editing ? null : <OnceField />}
        <FormError message={props.error} />
        <label class="field">
          <span>{t('Название')}</span>
          <input
            name="title"
            required
            maxlength={MACRO_TITLE_MAX}
            value={v.title}
            placeholder={t('Например, «Уточнить модель принтера»')}
          />
        </label>
        <label class="field">
          <span>{t('Текст шаблона')}</span>
          <textarea name="body" rows={8} maxlength={MACRO_BODY_MAX} required aria-describedby="macro-placeholders">
            {v.body}
          </textarea>
        </label>
        <PlaceholderHelp
          id="macro-placeholders"
          intro={t('Подстановки заполняются при вставке в заявку:')}
          names={placeholderNames}
          help={placeholderHelp}
        />
        <label class="field">
          <span>{t('Кому виден')}</span>
          <select name="scope">
            <option value="personal" selected={v.scope === 'personal'}>
              {t('Только мне')}
            </option>
            {props.sharedScopes ? (
              <>
                <option value="global" selected={v.scope === 'global'}>
                  {t('Всем сотрудникам ИТ')}
                </option>
                {props.groups.map((g) => (
                  <option value={`group:${g.id}`} selected={v.scope === `group:${g.id}`}>
                    {t('Группе «{name}»', { name: g.name })}
                  </option>
                ))}
              </>
            ) : null}
          </select>
        </label>
        <div>
          <fieldset class="language-switch">
            <legend>{t('Как отправлять')}</legend>
            <label class="chip">
              <input type="radio" name="kind" value="external" checked={!v.internal} />
              {t('Ответ заявителю')}
            </label>
            <label class="chip">
              <input type="radio" name="kind" value="internal" checked={v.internal} />
              {t('Внутренняя заметка')}
            </label>
          </fieldset>
        </div>
        <div class="grid-2">
          <label class="field">
            <span>{t('Также сменить статус')}</span>
            <select name="set_status">
              <option value="">{t('— не менять —')}</option>
              {macroStatuses.map((s) => (
                <option value={s} selected={v.setStatus === s}>
                  {t(statusLabels[s])}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t('Также сменить приоритет')}</span>
            <select name="set_priority">
              <option value="">{t('— не менять —')}</option>
              {[...priorities].reverse().map((p) => (
                <option value={p} selected={v.setPriority === p}>
                  {t(priorityLabels[p])}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div class="actions">
          <a href="/macros" class="button button--ghost">
            {t('Отмена')}
          </a>
          <button type="submit" class="button button--primary">
            {editing ? t('Сохранить') : t('Создать шаблон')}
          </button>
        </div>
      </form>
    </Layout>
  )
}
