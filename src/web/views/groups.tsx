import type { User } from '#src/db/schema.ts'
import type { GroupWithMembers } from '#src/groups/group-store.ts'
import { msg, t } from '../i18n.ts'
import { ToggleForm } from './categories.tsx'
import { Layout } from './layout.tsx'
import { ActiveBadge, CsrfField, FormError, Notice } from './parts.tsx'

/** A person who is or may become a member: IT staff (a present member may since have left). */
export interface StaffMember {
  id: number
  full_name: string
  role: User['role']
  status: User['status']
}

const roleLabels: Record<User['role'], string> = {
  requester: msg('Пользователь'),
  executor: msg('Исполнитель'),
  curator: msg('Куратор'),
  admin: msg('Администратор'),
}

export interface GroupsProps {
  user: User
  csrf: string
  groups: GroupWithMembers[]
  /** Everyone named as a member, by id. */
  people: Map<number, StaffMember>
  categoryCounts: Map<number, number>
  outcome?: string | undefined
  problem?: string | undefined
}

/** «Группы исполнителей»: who receives the заявки of which categories. */
export function GroupsPage(props: GroupsProps) {
  return (
    <Layout title={t('Группы исполнителей')} user={props.user} csrf={props.csrf} section="groups">
      <div class="page-head">
        <h1>{t('Группы исполнителей')}</h1>
        <div class="page-head__actions">
          <a class="button button--primary" href="/groups/new">
            {t('Новая группа')}
          </a>
        </div>
      </div>
      {props.outcome ? <Notice>{props.outcome}</Notice> : null}
      <FormError message={props.problem} />
      {props.groups.length === 0 ? (
        <div class="empty">
          <p>
            {t('Групп пока нет —')} <a href="/groups/new">{t('создайте первую')}</a>
          </p>
        </div>
      ) : (
        <div class="table-wrap">
          <table class="tickets catalogue">
            <thead>
              <tr>
                <th scope="col">{t('Группа')}</th>
                <th scope="col">{t('Участники')}</th>
                <th scope="col" class="fit">
                  {t('Категорий')}
                </th>
                <th scope="col" class="fit">
                  {t('Состояние')}
                </th>
                <th scope="col" class="fit">
                  {t('Действия')}
                </th>
              </tr>
            </thead>
            <tbody>
              {props.groups.map((g) => {
                const active = Number(g.active) === 1
                return (
                  <tr id={`group-${g.id}`} class={active ? undefined : 'is-disabled'}>
                    <td>
                      <a href={`/groups/${g.id}/edit`} class="ticket-link">
                        {g.name}
                      </a>
                      {g.description ? <span class="sub">{g.description}</span> : null}
                    </td>
                    <td>
                      {g.memberIds.length === 0 ? (
                        <span class="muted">{t('нет участников')}</span>
                      ) : (
                        <ul class="members">
                          {g.memberIds.map((id) => (
                            <li>
                              <MemberName person={props.people.get(id)} />
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td class="num fit">{props.categoryCounts.get(g.id) ?? 0}</td>
                    <td class="fit">
                      <ActiveBadge active={g.active} />
                    </td>
                    <td class="fit">
                      <div class="row-actions">
                        <a class="button" href={`/groups/${g.id}/edit`}>
                          {t('Изменить')}
                        </a>
                        <ToggleForm action={`/groups/${g.id}/active`} csrf={props.csrf} active={active} name={g.name} />
                      </div>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  )
}

function MemberName(props: { person: StaffMember | undefined }) {
  const p = props.person
  if (!p) return <span class="muted">—</span>
  const away = p.status !== 'active'
  return (
    <>
      {p.full_name}
      {away ? <span class="muted small">{` (${t('отключён')})`}</span> : null}
    </>
  )
}

export interface GroupValues {
  name: string
  description: string
  memberIds: number[]
}

export interface GroupFormProps {
  user: User
  csrf: string
  /** The group being edited; absent for a new one. */
  group?: GroupWithMembers | undefined
  values: GroupValues
  /** Who may be chosen: active IT staff, and present members whatever their state. */
  candidates: StaffMember[]
  error?: string | undefined
}

export function GroupFormPage(props: GroupFormProps) {
  const v = props.values
  const editing = props.group
  const title = editing ? t('Группа «{name}»', { name: editing.name }) : t('Новая группа')
  return (
    <Layout title={title} user={props.user} csrf={props.csrf} section="groups">
      <p class="crumbs">
        <a href="/groups">{`← ${t('Группы исполнителей')}`}</a>
      </p>
      <h1>{title}</h1>
      <form method="post" action={editing ? `/groups/${editing.id}` : '/groups'} class="card stack form-narrow">
        <CsrfField token={props.csrf} />
        <FormError message={props.error} />
        <label class="field">
          <span>{t('Название')}</span>
          <input name="name" required maxlength={200} value={v.name} placeholder={t('Например, «Сети» или «МИС»')} />
        </label>
        <label class="field">
          <span>{t('Описание')}</span>
          <textarea name="description" rows={3} maxlength={2000}>
            {v.description}
          </textarea>
        </label>
        <fieldset>
          <legend>{t('Участники')}</legend>
          {props.candidates.length === 0 ? (
            <p class="muted">{t('Нет активных исполнителей и кураторов.')}</p>
          ) : (
            <ul class="checks">
              {props.candidates.map((p) => (
                <li class="checks__item">
                  <label>
                    <input type="checkbox" name="member" value={String(p.id)} checked={v.memberIds.includes(p.id)} />
                    {` ${p.full_name}`}
                    <span class="muted small">
                      {` · ${t(roleLabels[p.role])}${p.status === 'active' ? '' : `, ${t('отключён')}`}`}
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          )}
        </fieldset>
        <div class="actions">
          <a href="/groups" class="button button--ghost">
            {t('Отмена')}
          </a>
          <button type="submit" class="button button--primary">
            {editing ? t('Сохранить') : t('Создать группу')}
          </button>
        </div>
      </form>
    </Layout>
  )
}
