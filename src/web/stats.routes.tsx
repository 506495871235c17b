import type { Context } from 'hono'
import { Hono } from 'hono'
import { readDbOf } from '#src/api/env.ts'
import { audit } from '#src/audit/journal.ts'
import { listCategories } from '#src/categories/category-store.ts'
import { ticketStatuses } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { listDepartments } from '#src/departments/department-store.ts'
import { toCsv } from '#src/export/csv.ts'
import { localDay } from '#src/format/zone-days.ts'
import { listGroups } from '#src/groups/group-store.ts'
import { daysPeriod } from '#src/stats/period.ts'
import { type TicketStats, ticketStats } from '#src/stats/ticket-stats.ts'
import { type Sheet, workbookBuffer, XLSX_TYPE } from '#src/stats/workbook.ts'
import { statusLabels } from '#src/tickets/rules.ts'
import { can } from '#src/users/permissions.ts'
import type { WebEnv } from './env.ts'
import { count, ticketForms } from './format.ts'
import { t } from './i18n.ts'
import { requireSession } from './session.ts'
import { parseStatsQuery, type StatsQuery } from './stats-query.ts'
import { StatsPage, trendLabel } from './views/stats.tsx'

type WebContext = Context<WebEnv>

/** /stats: the report page and its exports (staff only; a requester gets 404 from the use case). */
export function statsRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)

  routes.get('/', async (c) => {
    const { db, config } = c.get('deps')
    const actor = c.get('actor')
    const { query, stats } = await report(c)
    await journal(c, stats, 'report.view', 'Просмотр статистики заявок')
    const all = can(actor, 'report.view_all')
    return c.html(
      <StatsPage
        user={c.get('user')}
        csrf={c.get('csrf')}
        query={query}
        stats={stats}
        tz={config.tzDisplay}
        lookups={{
          departments: all ? await listDepartments(db) : [],
          categories: all ? await listCategories(db) : [],
          groups: all ? await listGroups(db) : [],
        }}
      />,
    )
  })

  routes.get('/export.xlsx', async (c) => {
    const { query, stats } = await report(c)
    await journal(c, stats, 'report.export', 'Выгрузка статистики заявок в XLSX', 'xlsx')
    attachment(c, query, 'xlsx', XLSX_TYPE)
    return c.body(new Uint8Array(await workbookBuffer(reportSheets(stats, query))))
  })

  routes.get('/export.csv', async (c) => {
    const { query, stats } = await report(c)
    await journal(c, stats, 'report.export', 'Выгрузка статистики заявок в CSV', 'csv')
    attachment(c, query, 'csv', 'text/csv; charset=utf-8')
    return c.body(
      toCsv(
        [t('Раздел'), t('Показатель'), t('Значение')],
        reportSheets(stats, query).flatMap((sheet) => sheetAsRows(sheet)),
        { delimiter: ';' },
      ),
    )
  })

  return routes
}

async function report(c: WebContext): Promise<{ query: StatsQuery; stats: TicketStats }> {
  const deps = c.get('deps')
  const tz = deps.config.tzDisplay
  const query = parseStatsQuery(new URL(c.req.url).searchParams, localDay(now(), tz))
  // Read on the read-only handle (threads on SQLite): a year's report held the event loop for seconds.
  const stats = await ticketStats(readDbOf(deps), c.get('actor'), {
    period: daysPeriod(query.from, query.to, tz),
    granularity: query.by,
    tz,
    departmentId: query.department,
    categoryId: query.category,
    groupId: query.group,
  })
  return { query, stats }
}

/** A report names executors (people): its reads are journaled as reads of ПДн (COMPLIANCE.md §4). */
async function journal(c: WebContext, stats: TicketStats, action: string, description: string, format?: string) {
  const named = stats.byExecutor.filter((e) => e.id !== null).map((e) => e.id)
  await audit(c.get('deps').db, c.get('actor'), {
    action,
    objectType: 'report',
    pdn: named.length > 0,
    description: `${description}: ${count(stats.total, ticketForms)} за период`,
    details: {
      from: stats.period.from,
      to: stats.period.to,
      own: stats.ownOnly,
      executors: named,
      ...(format ? { format } : {}),
    },
  })
}

function attachment(c: WebContext, query: StatsQuery, extension: string, type: string) {
  c.header('content-type', type)
  c.header('content-disposition', `attachment; filename="stats-${query.from}-${query.to}.${extension}"`)
  c.header('cache-control', 'no-store')
}

/** The report as sheets: a summary, each breakdown, the trend. Durations in minutes, shares in percent. */
export function reportSheets(stats: TicketStats, query: StatsQuery): Sheet[] {
  const named = (name: string | null, fallback: string) => name ?? t(fallback)
  const percent = (share: number | null) => (share === null ? null : Math.round(share * 1000) / 10)
  const countColumns = (what: string) => [{ header: t(what), width: 36 }, { header: t('Заявок') }]
  return [
    {
      name: t('Сводка'),
      columns: [
        { header: t('Показатель'), width: 44 },
        { header: t('Значение'), width: 14 },
      ],
      rows: [
        [t('Период с'), russianDay(query.from)],
        [t('Период по'), russianDay(query.to)],
        [t('Заявок создано'), stats.total],
        [t('Первая реакция, медиана, мин'), stats.firstResponse.median],
        [t('Первая реакция, 90-й процентиль, мин'), stats.firstResponse.p90],
        [t('Решение, медиана, мин'), stats.resolution.median],
        [t('Решение, 90-й процентиль, мин'), stats.resolution.p90],
        [t('Реакция в срок, %'), percent(stats.responseDeadline.share)],
        [t('Решение в срок, %'), percent(stats.resolutionDeadline.share)],
        [t('Средняя оценка'), stats.rating.average],
        [t('Оценок'), stats.rating.count],
      ],
    },
    {
      name: t('По статусам'),
      columns: countColumns('Статус'),
      rows: ticketStatuses.map((s) => [t(statusLabels[s]), stats.byStatus[s]]),
    },
    {
      name: t('По категориям'),
      columns: countColumns('Категория'),
      rows: stats.byCategory.map((r) => [named(r.name, 'Без категории'), r.count]),
    },
    {
      name: t('По отделениям'),
      columns: countColumns('Отделение'),
      rows: stats.byDepartment.map((r) => [named(r.name, 'Не указано'), r.count]),
    },
    {
      name: t('По исполнителям'),
      columns: [...countColumns('Исполнитель'), { header: t('Решено') }, { header: t('Средняя оценка') }],
      rows: stats.byExecutor.map((r) => [named(r.name, 'Не назначена'), r.count, r.resolved, r.averageRating]),
    },
    {
      name: t('Динамика'),
      columns: [{ header: t('Период'), width: 16 }, { header: t('Создано') }, { header: t('Решено') }],
      rows: stats.trend.map((p) => [trendLabel(p.start, stats.granularity, true), p.created, p.resolved]),
    },
  ]
}

/** `2026-03-01` → `01.03.2026`. */
function russianDay(day: string): string {
  return day.split('-').reverse().join('.')
}

/** A sheet in the CSV's long form: section, what, value (the first column names the row). */
function sheetAsRows(sheet: Sheet): unknown[][] {
  const headers = sheet.columns.map((c) => c.header)
  return [...sheet.rows].flatMap((row) =>
    headers
      .slice(1)
      .map((header, i) => [
        sheet.columns.length > 2 ? `${sheet.name}: ${header}` : sheet.name,
        row[0],
        row[i + 1] ?? '',
      ]),
  )
}
