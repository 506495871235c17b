import type { Department, User } from '#src/db/schema.ts'
import { t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import {
  ActiveBadge,
  CatalogueTable,
  CsrfField,
  Empty,
  FormError,
  MoveButtons,
  Notice,
  OnceField,
  PageHead,
  ToggleForm,
} from './parts.tsx'

/** A refusal beside the form it concerns: the new-department form (`id` absent) or a row's rename. */
export interface DepartmentProblem {
  id?: number
  message: string
  /** The name as typed. */
  name: string
}

export interface DepartmentsProps {
  user: User
  csrf: string
  departments: Department[]
  outcome?: string | undefined
  problem?: DepartmentProblem | undefined
  /** A refusal of an action without a form of its own (move, disable). */
  error?: string | undefined
}

/** «Отделения»: the list people pick from when they register; add, rename, disable, reorder. */
export function DepartmentsPage(props: DepartmentsProps) {
  const { departments, problem } = props
  const newProblem = problem && problem.id === undefined ? problem : undefined
  return (
    <Layout title={t('Отделения')} user={props.user} csrf={props.csrf} section="departments">
      <PageHead title={t('Отделения')} />
      <Notice>{props.outcome}</Notice>
      <FormError message={props.error} />
      <form method="post" action="/departments" class="card stack form-narrow">
        <CsrfField token={props.csrf} />
        <OnceField />
        <FormError message={newProblem?.message} />
        <div class="inline-form">
          <label class="field inline-form__grow">
            <span>{t('Новое отделение')}</span>
            <input name="name" required maxlength={200} value={newProblem?.name ?? ''} />
          </label>
          <button type="submit" class="button button--primary">
            {t('Добавить')}
          </button>
        </div>
      </form>
      {departments.length === 0 ? (
        <Empty>{t('Отделений пока нет — добавьте первое: без них бот не сможет зарегистрировать людей.')}</Empty>
      ) : (
        <CatalogueTable
          class="catalogue-table"
          wide={[t('Название')]}
          fit={[t('Состояние'), t('Порядок'), t('Действия')]}
        >
          {departments.map((d, i) => {
            const rowProblem = problem?.id === d.id ? problem : undefined
            const active = Number(d.active) === 1
            return (
              <tr id={`department-${d.id}`} class={active ? undefined : 'is-disabled'}>
                <td>
                  <FormError message={rowProblem?.message} />
                  <form method="post" action={`/departments/${d.id}`} class="inline-form">
                    <CsrfField token={props.csrf} />
                    <label class="visually-hidden" for={`department-name-${d.id}`}>
                      {t('Название отделения')}
                    </label>
                    <input
                      id={`department-name-${d.id}`}
                      class="inline-form__grow"
                      name="name"
                      required
                      maxlength={200}
                      value={rowProblem?.name ?? d.name}
                    />
                    <button type="submit" class="button">
                      {t('Переименовать')}
                    </button>
                  </form>
                </td>
                <td class="fit">
                  <ActiveBadge active={d.active} neuter />
                  <a class="sub" href={`/departments/${d.id}/head`}>
                    {d.head_user_id === null ? t('Заведующий не назначен') : t('Заведующий назначен')}
                  </a>
                </td>
                <td class="fit">
                  <MoveButtons
                    action={`/departments/${d.id}/move`}
                    csrf={props.csrf}
                    first={i === 0}
                    last={i === departments.length - 1}
                    name={d.name}
                  />
                </td>
                <td class="fit">
                  <ToggleForm action={`/departments/${d.id}/active`} csrf={props.csrf} active={active} name={d.name} />
                </td>
              </tr>
            )
          })}
        </CatalogueTable>
      )}
    </Layout>
  )
}
