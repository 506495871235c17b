import type { Priority, User } from '#src/db/schema.ts'
import { priorities } from '#src/db/schema.ts'
import {
  MONTH_DAY_MAX,
  PLAN_DESCRIPTION_MAX,
  PLAN_TITLE_MAX,
  type PlanPlaceholder,
  planPlaceholders,
  presetOf,
} from '#src/plans/plan-rules.ts'
import type { PlanRow, PlanRunRow } from '#src/plans/plan-store.ts'
import { priorityLabels } from '#src/tickets/rules.ts'
import { dateTime } from '../format.ts'
import { msg, t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import {
  ActiveBadge,
  CatalogueTable,
  CsrfField,
  Empty,
  Fact,
  FormError,
  Notice,
  OnceField,
  PageHead,
  PlaceholderHelp,
  StatusBadge,
} from './parts.tsx'

/** «по понедельникам в {time}», Monday first; index 1…7 as the presets number the weekdays. */
const weekdayPhrases: readonly string[] = [
  '',
  msg('По понедельникам в {time}'),
  msg('По вторникам в {time}'),
  msg('По средам в {time}'),
  msg('По четвергам в {time}'),
  msg('По пятницам в {time}'),
  msg('По субботам в {time}'),
  msg('По воскресеньям в {time}'),
]

const weekdayNames: readonly string[] = [
  '',
  msg('понедельник'),
  msg('вторник'),
  msg('среда'),
  msg('четверг'),
  msg('пятница'),
  msg('суббота'),
  msg('воскресенье'),
]

const placeholderHelp: Record<PlanPlaceholder, string> = {
  дата: msg('дата запуска, например 01.04.2026'),
  месяц: msg('месяц и год запуска, например «апрель 2026»'),
  год: msg('год запуска'),
}

/** The schedule in words: «Каждый день в 09:00», «1-го числа каждого месяца в 09:00», or the cron itself. */
export function scheduleLabel(schedule: string): string {
  const preset = presetOf(schedule)
  switch (preset.kind) {
    case 'daily':
      return t('Каждый день в {time}', { time: preset.time })
    case 'weekly':
      return t(weekdayPhrases[preset.weekday] ?? '', { time: preset.time })
    case 'monthly':
      return t('{day}-го числа каждого месяца в {time}', { day: preset.day, time: preset.time })
    case 'cron':
      return t('По выражению cron «{cron}»', { cron: preset.cron })
  }
}

export interface PlansPageProps {
  user: User
  csrf: string
  plans: PlanRow[]
  manage: boolean
  tz: string
  outcome?: string | undefined
}

/** «Плановые работы»: every plan with its schedule, group and next run. */
export function PlansPage(props: PlansPageProps) {
  return (
    <Layout title={t('Плановые работы')} user={props.user} csrf={props.csrf} section="plans">
      <PageHead title={t('Плановые работы')}>
        {props.manage ? (
          <a class="button button--primary" href="/plans/new">
            {t('Новая плановая работа')}
          </a>
        ) : null}
      </PageHead>
      <p class="muted">
        {t('Плановая работа создаёт заявку по расписанию и направляет её группе исполнителей. Время — {tz}.', {
          tz: props.tz,
        })}
      </p>
      <Notice>{props.outcome}</Notice>
      {props.plans.length === 0 ? (
        <Empty>
          {t('Плановых работ нет.')} {props.manage ? <a href="/plans/new">{t('Создать плановую работу')}</a> : null}
        </Empty>
      ) : (
        <CatalogueTable
          wide={[t('Название'), t('Расписание'), t('Группа')]}
          fit={[t('Следующий запуск'), t('Последняя заявка'), t('Состояние')]}
        >
          {props.plans.map((plan) => (
            <tr id={`plan-${plan.id}`}>
              <td>
                <a href={`/plans/${plan.id}`}>{plan.title}</a>
              </td>
              <td>{scheduleLabel(plan.schedule)}</td>
              <td>{plan.group_name ?? '—'}</td>
              <td class="fit">{plan.next_run_at ? dateTime(plan.next_run_at, props.tz) : '—'}</td>
              <td class="fit">
                {plan.last_ticket_id ? (
                  <a href={`/tickets/${plan.last_ticket_id}`}>{`№ ${plan.last_ticket_id}`}</a>
                ) : (
                  '—'
                )}
              </td>
              <td class="fit">
                <PlanState active={plan.active} />
              </td>
            </tr>
          ))}
        </CatalogueTable>
      )}
    </Layout>
  )
}

function PlanState(props: { active: number | boolean }) {
  return Number(props.active) === 1 ? (
    <ActiveBadge active />
  ) : (
    <span class="badge state state--disabled">{t('Приостановлена')}</span>
  )
}

/** What the form holds, as typed: the schedule as the editor's parts. */
export interface PlanValues {
  title: string
  description: string
  categoryId: string
  groupId: string
  priority: string
  /** daily | weekly | monthly | cron */
  kind: string
  time: string
  weekday: string
  day: string
  cron: string
}

export interface PlanFormProps {
  user: User
  csrf: string
  /** The plan being edited; absent for a new one. */
  plan?: PlanRow | undefined
  values: PlanValues
  categories: Array<{ id: number; name: string }>
  groups: Array<{ id: number; name: string }>
  /** Raw cron is offered to admins (and shown to whoever edits a plan that has one). */
  rawCron: boolean
  tz: string
  preview: SchedulePreviewProps
  error?: string | undefined
}

/** The form of a new plan, or the editing part of a plan's page. */
function PlanForm(props: PlanFormProps) {
  const v = props.values
  const editing = props.plan
  const action = editing ? `/plans/${editing.id}` : '/plans'
  const cronOffered = props.rawCron || v.kind === 'cron'
  return (
    <form method="post" action={action} class="card stack form-narrow" id="plan-form">
      <CsrfField token={props.csrf} />
      {editing ? null : <OnceField />}
      <FormError message={props.error} />
      <label class="field">
        <span>{t('Название')}</span>
        <input
          name="title"
          required
          maxlength={PLAN_TITLE_MAX}
          value={v.title}
          placeholder={t('Например, «Обход картриджей — {{месяц}}»')}
        />
      </label>
      <label class="field">
        <span>{t('Описание заявки')}</span>
        <textarea
          name="description"
          rows={5}
          maxlength={PLAN_DESCRIPTION_MAX}
          required
          aria-describedby="plan-placeholders"
        >
          {v.description}
        </textarea>
      </label>
      <PlaceholderHelp
        id="plan-placeholders"
        intro={t('Подстановки заполняются при каждом запуске:')}
        names={planPlaceholders}
        help={placeholderHelp}
      />
      <div class="grid-2">
        <label class="field">
          <span>{t('Категория')}</span>
          <select name="category_id" required>
            <option value="">{t('— выберите —')}</option>
            {props.categories.map((c) => (
              <option value={String(c.id)} selected={v.categoryId === String(c.id)}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('Группа исполнителей')}</span>
          <select name="group_id" required>
            <option value="">{t('— выберите —')}</option>
            {props.groups.map((g) => (
              <option value={String(g.id)} selected={v.groupId === String(g.id)}>
                {g.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label class="field">
        <span>{t('Приоритет')}</span>
        <select name="priority">
          {[...priorities].reverse().map((p: Priority) => (
            <option value={p} selected={v.priority === p}>
              {t(priorityLabels[p])}
            </option>
          ))}
        </select>
      </label>
      <fieldset
        class="stack plan-schedule"
        hx-post="/plans/preview"
        hx-trigger="change"
        hx-target="#plan-preview"
        hx-swap="outerHTML"
        hx-include="closest form"
      >
        <legend>{t('Расписание')}</legend>
        <div class="language-switch">
          <label class="chip">
            <input type="radio" name="kind" value="daily" checked={v.kind === 'daily'} />
            {t('Каждый день')}
          </label>
          <label class="chip">
            <input type="radio" name="kind" value="weekly" checked={v.kind === 'weekly'} />
            {t('По дням недели')}
          </label>
          <label class="chip">
            <input type="radio" name="kind" value="monthly" checked={v.kind === 'monthly'} />
            {t('Раз в месяц')}
          </label>
          {cronOffered ? (
            <label class="chip">
              <input type="radio" name="kind" value="cron" checked={v.kind === 'cron'} />
              {t('Выражение cron')}
            </label>
          ) : null}
        </div>
        <div class="grid-2">
          <label class="field">
            <span>{t('Время')}</span>
            <input type="time" name="time" value={v.time} />
          </label>
          <label class="field">
            <span>{t('День недели (для «по дням недели»)')}</span>
            <select name="weekday">
              {[1, 2, 3, 4, 5, 6, 7].map((d) => (
                <option value={String(d)} selected={v.weekday === String(d)}>
                  {t(weekdayNames[d] ?? '')}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t('Число месяца (для «раз в месяц»)')}</span>
            <input type="number" name="day" min="1" max={String(MONTH_DAY_MAX)} value={v.day} />
          </label>
          {cronOffered ? (
            <label class="field">
              <span>{t('Выражение cron (минута час день месяц день-недели)')}</span>
              <input name="cron" value={v.cron} placeholder="0 9 1 * *" readonly={!props.rawCron} />
            </label>
          ) : null}
        </div>
        <p class="hint">{t('Время — {tz}. Чаще раза в час заявки не создаются.', { tz: props.tz })}</p>
        <button type="submit" name="intent" value="preview" class="button button--ghost">
          {t('Показать ближайшие запуски')}
        </button>
      </fieldset>
      <SchedulePreview {...props.preview} />
      <div class="actions">
        <a href={editing ? `/plans/${editing.id}` : '/plans'} class="button button--ghost">
          {t('Отмена')}
        </a>
        <button type="submit" name="intent" value="save" class="button button--primary">
          {editing ? t('Сохранить') : t('Создать плановую работу')}
        </button>
      </div>
    </form>
  )
}

export interface SchedulePreviewProps {
  /** The next runs (UTC), or the reason there are none. */
  runs?: string[] | undefined
  label?: string | undefined
  problem?: string | undefined
  tz: string
}

/** The next five runs of the schedule as typed, before it is saved (swapped by htmx as the schedule changes). */
export function SchedulePreview(props: SchedulePreviewProps) {
  return (
    <section id="plan-preview" class="plan-preview" aria-live="polite" aria-labelledby="plan-preview-title">
      <h2 id="plan-preview-title">{t('Ближайшие запуски')}</h2>
      {props.problem ? (
        <p class="form-error">{props.problem}</p>
      ) : (
        <>
          {props.label ? <p>{props.label}</p> : null}
          <ol class="plan-runs-preview">
            {(props.runs ?? []).map((run) => (
              <li>
                <time datetime={run}>{dateTime(run, props.tz)}</time>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  )
}

export interface PlanPageProps {
  user: User
  csrf: string
  plan: PlanRow
  runs: PlanRunRow[]
  manage: boolean
  tz: string
  outcome?: string | undefined
  problem?: string | undefined
  /** The editing form, for those who manage plans. */
  form?: PlanFormProps | undefined
}

/** One plan: its facts, pause and «Запустить сейчас», the form (managers), its runs and their tickets. */
export function PlanPage(props: PlanPageProps) {
  const { plan } = props
  const active = Number(plan.active) === 1
  return (
    <Layout title={plan.title} user={props.user} csrf={props.csrf} section="plans">
      <p class="crumbs">
        <a href="/plans">{`← ${t('Плановые работы')}`}</a>
      </p>
      <PageHead title={plan.title}>
        {props.manage ? (
          <>
            <form method="post" action={`/plans/${plan.id}/run`}>
              <CsrfField token={props.csrf} />
              <button type="submit" class="button button--primary">
                {t('Запустить сейчас')}
              </button>
            </form>
            <form method="post" action={`/plans/${plan.id}/active`}>
              <CsrfField token={props.csrf} />
              <input type="hidden" name="active" value={active ? '0' : '1'} />
              <button type="submit" class="button">
                {active ? t('Приостановить') : t('Возобновить')}
              </button>
            </form>
          </>
        ) : null}
      </PageHead>
      <Notice>{props.outcome}</Notice>
      <FormError message={props.problem} />
      <section class="card">
        <dl class="facts">
          <Fact label={t('Состояние')} value={active ? t('Активна') : t('Приостановлена')} />
          <Fact label={t('Расписание')} value={scheduleLabel(plan.schedule)} />
          <Fact label={t('Следующий запуск')} value={plan.next_run_at ? dateTime(plan.next_run_at, props.tz) : null} />
          <Fact label={t('Последний запуск')} value={plan.last_run_at ? dateTime(plan.last_run_at, props.tz) : null} />
          <Fact label={t('Группа исполнителей')} value={plan.group_name} />
          <Fact label={t('Категория')} value={plan.category_name} />
          <Fact label={t('Приоритет')} value={t(priorityLabels[plan.priority])} />
        </dl>
        <p>
          <a href={`/tickets?group=${plan.group_id}`}>{t('Заявки группы «{name}»', { name: plan.group_name ?? '' })}</a>
        </p>
      </section>
      {props.form ? (
        <section class="stack" aria-labelledby="plan-edit">
          <h2 id="plan-edit">{t('Изменить')}</h2>
          <PlanForm {...props.form} />
        </section>
      ) : (
        <section class="card">
          <h2>{t('Описание заявки')}</h2>
          <p class="pre">{plan.description}</p>
        </section>
      )}
      <section class="card stack" aria-labelledby="plan-runs" id="runs">
        <h2 id="plan-runs">{t('Запуски и заявки')}</h2>
        {props.runs.length === 0 ? (
          <p class="muted">{t('Запусков ещё не было.')}</p>
        ) : (
          <div class="table-wrap">
            <table class="tickets catalogue">
              <thead>
                <tr>
                  <th scope="col" class="fit">
                    {t('Когда')}
                  </th>
                  <th scope="col" class="fit">
                    {t('Запуск')}
                  </th>
                  <th scope="col">{t('Заявка')}</th>
                  <th scope="col" class="fit">
                    {t('Статус')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {props.runs.map((run) => (
                  <tr>
                    <td class="fit">
                      <time datetime={run.ran_at}>{dateTime(run.ran_at, props.tz)}</time>
                    </td>
                    <td class="fit">
                      {run.kind === 'manual' ? t('вручную') : t('по расписанию')}
                      {Number(run.missed) > 0 ? (
                        <span class="sub">{t('пропущено за время простоя: {n}', { n: Number(run.missed) })}</span>
                      ) : null}
                    </td>
                    <td>
                      {run.ticket_id ? (
                        <a href={`/tickets/${run.ticket_id}`}>{`№ ${run.ticket_id} · ${run.ticket_title ?? ''}`}</a>
                      ) : (
                        <span class="form-error">{t('Заявка не создана: {reason}', { reason: run.error ?? '' })}</span>
                      )}
                    </td>
                    <td class="fit">{run.ticket_status ? <StatusBadge status={run.ticket_status} /> : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </Layout>
  )
}

export interface NewPlanPageProps {
  user: User
  csrf: string
  form: PlanFormProps
}

export function NewPlanPage(props: NewPlanPageProps) {
  return (
    <Layout title={t('Новая плановая работа')} user={props.user} csrf={props.csrf} section="plans">
      <p class="crumbs">
        <a href="/plans">{`← ${t('Плановые работы')}`}</a>
      </p>
      <h1>{t('Новая плановая работа')}</h1>
      <PlanForm {...props.form} />
    </Layout>
  )
}
