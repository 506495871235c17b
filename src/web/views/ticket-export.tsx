import type { User } from '#src/db/schema.ts'
import { dateTime } from '../format.ts'
import { t, tn } from '../i18n.ts'
import type { ExportState } from '../ticket-export-job.ts'
import { Layout } from './layout.tsx'
import { PageHead } from './parts.tsx'

export interface TicketExportViewProps {
  user: User
  csrf: string
  state: ExportState
  format: 'csv' | 'xlsx'
  rows: number
  /** The download's address (offered when the file is ready). */
  download: string
  /** The list the export was made of, with its filters. */
  list: string
  /** Until when the file is offered. */
  until: string | null
  tz: string
}

const titles: Record<ExportState, () => string> = {
  waiting: () => t('Выгрузка готовится…'),
  ready: () => t('Выгрузка готова'),
  failed: () => t('Выгрузка не удалась'),
  gone: () => t('Выгрузка удалена'),
}

/**
 * A background export's page: while the file is made it says so (the answer's Refresh header reloads it,
 * no script needed), then offers the file to its owner alone.
 */
export function TicketExportPage(props: TicketExportViewProps) {
  const title = titles[props.state]()
  const what = t('Список заявок в {format}: {n}.', {
    format: props.format.toUpperCase(),
    n: tn(props.rows, ['строка', 'строки', 'строк'], ['row', 'rows']),
  })
  return (
    <Layout title={title} user={props.user} csrf={props.csrf} section="tickets">
      <PageHead title={title} />
      <section class="card narrow" aria-live="polite">
        <p>{what}</p>
        {props.state === 'waiting' ? (
          <p class="muted">
            {t(
              'Строк больше, чем выгружается сразу, поэтому файл собирается в фоне. Страница обновится сама, когда он будет готов; её можно закрыть и вернуться по этой ссылке.',
            )}
          </p>
        ) : props.state === 'ready' ? (
          <>
            {props.until ? (
              <p class="muted">
                {t('Файл доступен только вам до {until}.', { until: dateTime(props.until, props.tz) })}
              </p>
            ) : null}
            <p>
              <a class="button" href={props.download} download>
                {t('Скачать')}
              </a>
            </p>
          </>
        ) : props.state === 'failed' ? (
          <p class="muted">{t('Файл собрать не удалось. Выгрузите список ещё раз.')}</p>
        ) : (
          <p class="muted">{t('Файлы выгрузок хранятся сутки. Выгрузите список ещё раз.')}</p>
        )}
        <p>
          <a href={props.list}>{t('К списку заявок')}</a>
        </p>
      </section>
    </Layout>
  )
}
