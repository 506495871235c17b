import { t } from '../i18n.ts'

/**
 * The ticket list lives (issue 13): this marker tells app.js to listen for changed tickets and fetch their rows
 * (GET /tickets/rows, live-list.routes.tsx), with the words its marks show — a row that is new, changed, or
 * changed so that the filter no longer takes it (kept in place, so nothing ticked or scrolled to moves away).
 * The marker itself is the polite live region that says the list changed.
 */
export function LiveList() {
  return (
    <p
      class="visually-hidden"
      role="status"
      data-live-list
      data-new={t('новая')}
      data-updated={t('обновлена')}
      data-gone={t('изменена, не по фильтру')}
      data-said={t('Список заявок обновлён')}
    />
  )
}
