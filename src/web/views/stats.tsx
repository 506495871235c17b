import type { Category, Department, ExecutorGroup, User } from '#src/db/schema.ts'
import { ticketStatuses } from '#src/db/schema.ts'
import type { Granularity } from '#src/stats/period.ts'
import type { Breakdown, DeadlineShare, Durations, TicketStats } from '#src/stats/ticket-stats.ts'
import { statusLabels } from '#src/tickets/rules.ts'
import { span } from '../format.ts'
import { t, tn } from '../i18n.ts'
import { presetHref, type StatsQuery, statsHref } from '../stats-query.ts'
import { type Bar, BarChart, ColumnChart, Legend, type Series } from './charts.tsx'
import { Layout } from './layout.tsx'
import { DateRange, FilterButtons } from './parts.tsx'

export interface StatsLookups {
  departments: Department[]
  categories: Category[]
  groups: ExecutorGroup[]
}

export interface StatsViewProps {
  user: User
  csrf: string
  query: StatsQuery
  stats: TicketStats
  tz: string
  lookups: StatsLookups
}

const ticketNouns = ['заявка', 'заявки', 'заявок'] as const
const ticketNounsEn = ['ticket', 'tickets'] as const

/** «Статистика и отчёты»: the period form, key figures, the trend, and each breakdown as a chart and a table. */
export function StatsPage(props: StatsViewProps) {
  const { query, stats } = props
  return (
    <Layout title={t('Статистика')} user={props.user} csrf={props.csrf} section="stats">
      <div class="page-head">
        <h1>{t('Статистика')}</h1>
        <div class="page-head__actions">
          <a class="button" href={statsHref(query, '/stats/export.xlsx')} download>
            {t('Выгрузить XLSX')}
          </a>
          <a class="button" href={statsHref(query, '/stats/export.csv')} download>
            {t('Выгрузить CSV')}
          </a>
        </div>
      </div>
      <p class="muted">
        {t('Заявки, созданные с {from} по {to}', { from: russianDay(query.from), to: russianDay(query.to) })}
        {stats.ownOnly ? ` · ${t('только назначенные вам')}` : ''}
      </p>
      <PeriodForm {...props} />
      <KeyFigures stats={stats} />
      <Trend stats={stats} />
      <div class="report-grid">
        <BreakdownBlock
          id="by-status"
          title={t('По статусам')}
          what={t('Статус')}
          rows={ticketStatuses.map((s) => ({ label: t(statusLabels[s]), value: stats.byStatus[s] }))}
        />
        <BreakdownBlock
          id="by-category"
          title={t('По категориям')}
          what={t('Категория')}
          rows={bars(stats.byCategory, t('Без категории'))}
        />
        <BreakdownBlock
          id="by-department"
          title={t('По отделениям')}
          what={t('Отделение')}
          rows={bars(stats.byDepartment, t('Не указано'))}
        />
        <Executors stats={stats} />
      </div>
    </Layout>
  )
}

function PeriodForm(props: StatsViewProps) {
  const { query, lookups } = props
  const presets: Array<[Exclude<StatsQuery['preset'], 'custom'>, string]> = [
    ['week', t('Эта неделя')],
    ['month', t('Этот месяц')],
    ['quarter', t('Этот квартал')],
  ]
  const steps: Array<[Granularity, string]> = [
    ['day', t('По дням')],
    ['week', t('По неделям')],
    ['month', t('По месяцам')],
  ]
  const all = !props.stats.ownOnly
  return (
    <>
      {/* Calendar periods are links; the form below is a period of one's own (no script decides which). */}
      <nav class="views" aria-label={t('Период')}>
        {presets.map(([preset, label]) => (
          <a class="view" href={presetHref(query, preset)} aria-current={query.preset === preset ? 'page' : undefined}>
            {label}
          </a>
        ))}
        {query.preset === 'custom' ? (
          <span class="view" aria-current="page">
            {t('Свой период')}
          </span>
        ) : null}
      </nav>
      <form class="filters stats-filters" method="get" action="/stats" aria-label={t('Период отчёта')}>
        <input type="hidden" name="period" value="custom" />
        <div class="filters__grid">
          <DateRange
            legend={t('Свой период (дни по Москве)')}
            from={query.from}
            to={query.to}
            fromLabel={t('С')}
            toLabel={t('По')}
          />
          <label class="field">
            <span>{t('Шаг динамики')}</span>
            <select name="by">
              {steps.map(([value, label]) => (
                <option value={value} selected={query.by === value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          {all ? (
            <>
              <Choice
                name="department"
                label={t('Отделение')}
                any={t('Любое')}
                value={query.department}
                items={lookups.departments}
              />
              <Choice
                name="category"
                label={t('Категория')}
                any={t('Любая')}
                value={query.category}
                items={lookups.categories}
              />
              <Choice name="group" label={t('Группа')} any={t('Любая')} value={query.group} items={lookups.groups} />
            </>
          ) : null}
        </div>
        <div class="filters__actions">
          <FilterButtons reset="/stats" submit={t('Показать')} />
        </div>
      </form>
    </>
  )
}

function Choice(props: {
  name: string
  label: string
  any: string
  value: number | undefined
  items: Array<{ id: number; name: string }>
}) {
  return (
    <label class="field">
      <span>{props.label}</span>
      <select name={props.name}>
        <option value="">{props.any}</option>
        {props.items.map((item) => (
          <option value={String(item.id)} selected={props.value === item.id}>
            {item.name}
          </option>
        ))}
      </select>
    </label>
  )
}

function KeyFigures(props: { stats: TicketStats }) {
  const { stats } = props
  return (
    <section class="kpis" aria-label={t('Главные показатели')}>
      <Figure label={t('Заявок создано')} value={tn(stats.total, ticketNouns, ticketNounsEn)} />
      <DurationFigure label={t('Первая реакция')} value={stats.firstResponse} />
      <DurationFigure label={t('Решение')} value={stats.resolution} />
      <ShareFigure label={t('Реакция в срок')} value={stats.responseDeadline} />
      <ShareFigure label={t('Решение в срок')} value={stats.resolutionDeadline} />
      <Figure
        label={t('Средняя оценка')}
        value={stats.rating.average === null ? '—' : stats.rating.average.toLocaleString('ru-RU')}
        note={t('оценок: {n}', { n: stats.rating.count })}
      />
    </section>
  )
}

function Figure(props: { label: string; value: string; note?: string | undefined }) {
  return (
    <div class="kpi card">
      <div class="kpi__label">{props.label}</div>
      <div class="kpi__value">{props.value}</div>
      {props.note ? <div class="kpi__note muted small">{props.note}</div> : null}
    </div>
  )
}

function DurationFigure(props: { label: string; value: Durations }) {
  const { median, p90, count } = props.value
  const minutes = (m: number | null) => (m === null ? '—' : span(m * 60_000))
  return (
    <Figure
      label={props.label}
      value={median === null ? '—' : t('медиана {value}', { value: minutes(median) })}
      note={
        count === 0 ? t('нет данных') : t('90% — не дольше {value} · заявок: {n}', { value: minutes(p90), n: count })
      }
    />
  )
}

function ShareFigure(props: { label: string; value: DeadlineShare }) {
  const { share, met, missed } = props.value
  return (
    <Figure
      label={props.label}
      value={share === null ? '—' : percent(share)}
      note={t('в срок {met}, с нарушением {missed}', { met, missed })}
    />
  )
}

function Trend(props: { stats: TicketStats }) {
  const { stats } = props
  const labels = stats.trend.map((p) => trendLabel(p.start, stats.granularity))
  const series: Series[] = [
    { label: t('Создано'), class: 'chart__col--created', values: stats.trend.map((p) => p.created) },
    { label: t('Решено'), class: 'chart__col--resolved', values: stats.trend.map((p) => p.resolved) },
  ]
  return (
    <section class="card" aria-labelledby="trend-heading">
      <h2 id="trend-heading">{t('Динамика: создано и решено')}</h2>
      <ColumnChart
        id="trend-chart"
        title={t('Динамика: создано и решено')}
        description={t('Столбцы: заявки, созданные и решённые за каждый период; числа — в таблице ниже')}
        labels={labels}
        series={series}
      />
      <Legend series={series} />
      <details>
        <summary>{t('Таблица')}</summary>
        <table class="tickets report-table">
          <thead>
            <tr>
              <th scope="col">{t('Период')}</th>
              <th scope="col" class="num">
                {t('Создано')}
              </th>
              <th scope="col" class="num">
                {t('Решено')}
              </th>
            </tr>
          </thead>
          <tbody>
            {stats.trend.map((p) => (
              <tr>
                <td>{trendLabel(p.start, stats.granularity, true)}</td>
                <td class="num">{p.created}</td>
                <td class="num">{p.resolved}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  )
}

function BreakdownBlock(props: { id: string; title: string; what: string; rows: Bar[] }) {
  const total = props.rows.reduce((sum, r) => sum + r.value, 0)
  return (
    <section class="card" aria-labelledby={`${props.id}-heading`}>
      <h2 id={`${props.id}-heading`}>{props.title}</h2>
      {total === 0 ? (
        <p class="muted">{t('Нет заявок за этот период')}</p>
      ) : (
        <>
          <BarChart
            id={`${props.id}-chart`}
            title={props.title}
            description={t('Число заявок; числа — в таблице рядом')}
            bars={props.rows.filter((r) => r.value > 0)}
            others={t('Остальные')}
          />
          <table class="tickets report-table">
            <thead>
              <tr>
                <th scope="col">{props.what}</th>
                <th scope="col" class="num">
                  {t('Заявок')}
                </th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => (
                <tr>
                  <td>{r.label}</td>
                  <td class="num">{r.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  )
}

function Executors(props: { stats: TicketStats }) {
  const rows = props.stats.byExecutor
  const title = t('По исполнителям')
  return (
    <section class="card" aria-labelledby="by-executor-heading">
      <h2 id="by-executor-heading">{title}</h2>
      {rows.length === 0 ? (
        <p class="muted">{t('Нет заявок за этот период')}</p>
      ) : (
        <>
          <BarChart
            id="by-executor-chart"
            title={title}
            description={t('Число заявок; числа — в таблице рядом')}
            bars={bars(rows, t('Не назначена'))}
            others={t('Остальные')}
          />
          <table class="tickets report-table">
            <thead>
              <tr>
                <th scope="col">{t('Исполнитель')}</th>
                <th scope="col" class="num">
                  {t('Заявок')}
                </th>
                <th scope="col" class="num">
                  {t('Решено')}
                </th>
                <th scope="col" class="num">
                  {t('Оценка')}
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr>
                  <td>{r.name ?? t('Не назначена')}</td>
                  <td class="num">{r.count}</td>
                  <td class="num">{r.resolved}</td>
                  <td class="num">{r.averageRating === null ? '—' : r.averageRating.toLocaleString('ru-RU')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  )
}

function bars(rows: Breakdown[], unnamed: string): Bar[] {
  return rows.map((r) => ({ label: r.name ?? unnamed, value: r.count }))
}

function percent(share: number): string {
  return new Intl.NumberFormat('ru-RU', { style: 'percent', maximumFractionDigits: 1 }).format(share)
}

function russianDay(day: string): string {
  return day.split('-').reverse().join('.')
}

/** A bucket's label: `02.03` on the chart, `02.03.2026` (a week: «с 02.03.2026») in tables; a month `03.2026`. */
export function trendLabel(start: string, granularity: Granularity, long = false): string {
  const [y, m, d] = start.split('-')
  if (granularity === 'month') return `${m}.${y}`
  if (!long) return `${d}.${m}`
  return granularity === 'week' ? t('с {day}', { day: `${d}.${m}.${y}` }) : `${d}.${m}.${y}`
}
