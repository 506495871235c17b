import type { User } from '#src/db/schema.ts'
import type { GroupWithMembers } from '#src/groups/group-store.ts'
import { roleLabel } from '../format.ts'
import { t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { ActiveBadge, CatalogueForm, CatalogueTable, Empty, FormError, Notice, PageHead, ToggleForm } from './parts.tsx'

/** A person who is or may become a member: IT staff (a present member may since have left). */
export interface StaffMember {
  id: number
  full_name: string
  role: User['role']
  status: User['status']
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
      <PageHead title={t('Группы исполнителей')}>
        <a class="button button--primary" href="/groups/new">
          {t('Новая группа')}
        </a>
      </PageHead>
      <Notice>{props.outcome}</Notice>
      <FormError message={props.problem} />
      {props.groups.length === 0 ? (
        <Empty>
          {t('Групп пока нет —')} <a href="/groups/new">{t('создайте первую')}</a>
        </Empty>
      ) : (
        <CatalogueTable wide={[t('Группа'), t('Участники')]} fit={[t('Категорий'), t('Состояние'), t('Действия')]}>
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
        </CatalogueTable>
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
      <CatalogueForm
        action={editing ? `/groups/${editing.id}` : '/groups'}
        once={!editing}
        back="/groups"
        csrf={props.csrf}
        error={props.error}
        name={v.name}
        namePlaceholder={t('Например, «Сети» или «МИС»')}
        description={v.description}
        submit={editing ? t('Сохранить') : t('Создать группу')}
      >
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
                      {` · ${roleLabel(p.role)}${p.status === 'active' ? '' : `, ${t('отключён')}`}`}
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          )}
        </fieldset>
      </CatalogueForm>
    </Layout>
  )
}
