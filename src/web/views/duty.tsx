import type { DutyShiftKind, Role, User } from '#src/db/schema.ts'
import { dutyShiftKinds } from '#src/db/schema.ts'
import { DUTY_NOTE_MAX } from '#src/duty/duty-rules.ts'
import type { DutyShiftRow } from '#src/duty/duty-store.ts'
import type { OnDutyGroup } from '#src/duty/on-duty.ts'
import type { ImportResult } from '#src/import/import-file.ts'
import { dateTime, roleLabel } from '../format.ts'
import { msg, t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CsrfField, DangerZone, Empty, FormError, Notice, OnceField, PageHead } from './parts.tsx'
import { SectionImportSteps } from './users-import.tsx'

const weekdayShort: readonly string[] = [msg('Пн'), msg('Вт'), msg('Ср'), msg('Чт'), msg('Пт'), msg('Сб'), msg('Вс')]

export const dutyKindNames: Record<DutyShiftKind, string> = {
  day: msg('Дневная'),
  night: msg('Ночная'),
  other: msg('Другая'),
}

/** A day of the week shown: its date, and whether it is off by the production calendar. */
export interface DutyDay {
  day: string
  /** `weekend` (Saturday, Sunday), `holiday` (a weekday off by the calendar), or null for a working day. */
  off: 'weekend' | 'holiday' | null
}

/** What the shift form holds, as typed (the wall clock of the display time zone). */
export interface ShiftValues {
  groupId: string
  userId: string
  day: string
  from: string
  to: string
  kind: string
  note: string
}

export interface ShiftFormProps {
  csrf: string
  values: ShiftValues
  groups: Array<{ id: number; name: string }>
  people: Array<{ id: number; name: string; role: Role }>
  tz: string
  /** The shift being edited; absent for a new one. */
  shiftId?: number | undefined
  /** Where «Отмена» goes. */
  back: string
  error?: string | undefined
}

export interface DutyPageProps {
  user: User
  csrf: string
  tz: string
  week: string
  prevWeek: string
  nextWeek: string
  days: DutyDay[]
  groups: Array<{ id: number; name: string }>
  shifts: DutyShiftRow[]
  onDuty: OnDutyGroup[]
  manage: boolean
  form?: ShiftFormProps | undefined
  outcome?: string | undefined
}

/** «HH:MM» of an instant on the display time zone's clock. */
function clock(iso: string, tz: string): string {
  return dateTime(iso, tz).slice(-5)
}

/** «Кто дежурит сейчас»: per group, the names and roles of the people whose shift covers now. */
export function OnDutyNow(props: { groups: OnDutyGroup[]; tz: string }) {
  return (
    <section class="card stack" aria-labelledby="on-duty-now">
      <h2 id="on-duty-now">{t('Кто дежурит сейчас')}</h2>
      {props.groups.length === 0 ? (
        <p class="muted">{t('Сейчас по графику никто не дежурит.')}</p>
      ) : (
        <ul class="stack">
          {props.groups.map((g) => (
            <li>
              <strong>{g.groupName}</strong>
              {': '}
              {g.people
                .map((p) =>
                  t('{name} ({role}, до {time})', {
                    name: p.name,
                    role: roleLabel(p.role),
                    time: clock(p.endsAt, props.tz),
                  }),
                )
                .join('; ')}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

/** «Дежурства»: the week's roster per group (Moscow time), who is on duty now, and the curators' shift form. */
export function DutyPage(props: DutyPageProps) {
  const dayOf = (iso: string) => dateTime(iso, props.tz).slice(0, 10)
  const label = (d: DutyDay, i: number) => {
    const [y, m, dd] = d.day.split('-')
    return `${t(weekdayShort[i] ?? '')} ${dd}.${m}.${y}`
  }
  return (
    <Layout title={t('Дежурства')} user={props.user} csrf={props.csrf} section="duty">
      <PageHead title={t('Дежурства')}>
        {props.manage ? (
          <a class="button" href="/duty/import">
            {t('Импорт из XLSX')}
          </a>
        ) : null}
      </PageHead>
      <Notice>{props.outcome}</Notice>
      <OnDutyNow groups={props.onDuty} tz={props.tz} />
      <nav class="button-row" aria-label={t('Недели')}>
        <a class="button button--ghost" href={`/duty?week=${props.prevWeek}`}>
          {t('← Предыдущая неделя')}
        </a>
        <span>
          {t('Неделя с {from} · время — {tz}', {
            from: label(props.days[0] ?? { day: props.week, off: null }, 0),
            tz: props.tz,
          })}
        </span>
        <a class="button button--ghost" href={`/duty?week=${props.nextWeek}`}>
          {t('Следующая неделя →')}
        </a>
      </nav>
      {props.groups.length === 0 ? (
        <Empty>{t('Нет активных групп исполнителей: график ведётся по группам.')}</Empty>
      ) : (
        // A group a table of the week's days: the roster reads down a day at a time on a desk PC and on a phone
        // alike (a matrix of seven day columns scrolled sideways on both).
        props.groups.map((g) => (
          <section class="card stack" id={`duty-group-${g.id}`} aria-labelledby={`duty-group-${g.id}-name`}>
            <h2 id={`duty-group-${g.id}-name`}>{g.name}</h2>
            <table class="tickets catalogue duty-week">
              <thead>
                <tr>
                  <th scope="col">{t('День')}</th>
                  <th scope="col">{t('Смены')}</th>
                </tr>
              </thead>
              <tbody>
                {props.days.map((d, i) => {
                  const shifts = props.shifts.filter(
                    (s) => s.group_id === g.id && dayOf(s.starts_at) === dayLabel(d.day),
                  )
                  return (
                    <tr>
                      <th scope="row">
                        {label(d, i)}
                        {d.off === 'holiday' ? [' ', <span class="badge">{t('праздник')}</span>] : null}
                        {d.off === 'weekend' ? [' ', <span class="muted">{t('выходной')}</span>] : null}
                      </th>
                      <td>
                        {shifts.length === 0 ? (
                          <span class="muted">—</span>
                        ) : (
                          shifts.map((s) => (
                            <div id={`shift-${s.id}`}>
                              {`${clock(s.starts_at, props.tz)}–${clock(s.ends_at, props.tz)} `}
                              {props.manage ? <a href={`/duty/${s.id}`}>{s.person_name}</a> : s.person_name}
                              <span class="muted">
                                {` · ${t(dutyKindNames[s.kind])}`}
                                {s.note ? ` · ${s.note}` : ''}
                              </span>
                            </div>
                          ))
                        )}
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </section>
        ))
      )}
      {props.form ? (
        <section class="stack">
          <h2>{t('Добавить смену')}</h2>
          <ShiftForm {...props.form} />
        </section>
      ) : null}
    </Layout>
  )
}

/** `2026-03-02` as the date part of `dateTime` (`02.03.2026`). */
function dayLabel(day: string): string {
  const [y, m, d] = day.split('-')
  return `${d}.${m}.${y}`
}

/** A shift's form: group, person, day, from–to on the wall clock (an end before the start is the next morning). */
export function ShiftForm(props: ShiftFormProps) {
  const v = props.values
  const action = props.shiftId === undefined ? '/duty' : `/duty/${props.shiftId}`
  return (
    <form method="post" action={action} class="card stack form-narrow" id="shift-form">
      <CsrfField token={props.csrf} />
      {props.shiftId === undefined ? <OnceField /> : null}
      <FormError message={props.error} />
      <div class="grid-2">
        <label class="field">
          <span>{t('Группа')}</span>
          <select name="group_id" required>
            <option value="">{t('— выберите —')}</option>
            {props.groups.map((g) => (
              <option value={String(g.id)} selected={v.groupId === String(g.id)}>
                {g.name}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('Дежурный')}</span>
          <select name="user_id" required>
            <option value="">{t('— выберите —')}</option>
            {props.people.map((p) => (
              <option value={String(p.id)} selected={v.userId === String(p.id)}>
                {`${p.name} (${roleLabel(p.role)})`}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('День')}</span>
          <input type="date" name="day" required value={v.day} />
        </label>
        <label class="field">
          <span>{t('Вид смены')}</span>
          <select name="kind">
            {dutyShiftKinds.map((k) => (
              <option value={k} selected={v.kind === k}>
                {t(dutyKindNames[k])}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('С')}</span>
          <input type="time" name="from" required value={v.from} />
        </label>
        <label class="field">
          <span>{t('До')}</span>
          <input type="time" name="to" required value={v.to} />
        </label>
      </div>
      <p class="hint">
        {t('Время — {tz}. Конец раньше начала — это утро следующего дня (ночная смена 20:00–08:00).', { tz: props.tz })}
      </p>
      <label class="field">
        <span>{t('Примечание')}</span>
        <input name="note" maxlength={DUTY_NOTE_MAX} value={v.note} />
      </label>
      <div class="actions">
        <a href={props.back} class="button button--ghost">
          {t('Отмена')}
        </a>
        <button type="submit" class="button button--primary">
          {props.shiftId === undefined ? t('Добавить смену') : t('Сохранить')}
        </button>
      </div>
    </form>
  )
}

/** A shift's page (curators): its form, and deleting it. */
export function ShiftPage(props: { user: User; csrf: string; shift: DutyShiftRow; form: ShiftFormProps }) {
  return (
    <Layout title={t('Смена № {id}', { id: props.shift.id })} user={props.user} csrf={props.csrf} section="duty">
      <PageHead title={t('Смена № {id}', { id: props.shift.id })} />
      <p class="muted">
        {t('{group}: {name}, {from} — {to}', {
          group: props.shift.group_name,
          name: props.shift.person_name,
          from: dateTime(props.shift.starts_at, props.form.tz),
          to: dateTime(props.shift.ends_at, props.form.tz),
        })}
      </p>
      <p class="hint">{t('Замена дежурного — выберите другого человека и сохраните: в журнале останутся оба.')}</p>
      <ShiftForm {...props.form} />
      <DangerZone
        summary={t('Удалить смену')}
        action={`/duty/${props.shift.id}/delete`}
        confirm={t('Удалить смену № {id}?', { id: props.shift.id })}
        csrf={props.csrf}
        submit={t('Удалить смену')}
      />
    </Layout>
  )
}

/** «Дежурства → Импорт»: the upload, then the dry run row by row, then «Импортировать». */
export function DutyImportPage(props: {
  user: User
  csrf: string
  columns: string
  result?: ImportResult | undefined
  uploadKey?: string | undefined
  done?: boolean
  error?: string | undefined
}) {
  return (
    <Layout title={t('Импорт графика дежурств')} user={props.user} csrf={props.csrf} section="duty">
      <p class="crumbs">
        <a href="/duty">{t('← Дежурства')}</a>
      </p>
      <PageHead title={t('Импорт графика дежурств')} />
      <SectionImportSteps
        csrf={props.csrf}
        base="/duty/import"
        back={{ href: '/duty', label: t('К графику дежурств') }}
        columns={props.columns}
        intro={t(
          'XLSX (первый лист) или CSV: одна строка — одна смена. Время — по часам больницы; конец раньше начала — утро следующего дня. Сначала покажем, что добавится; импорт — после подтверждения.',
        )}
        result={props.result}
        uploadKey={props.uploadKey}
        done={props.done}
        error={props.error}
      />
    </Layout>
  )
}
