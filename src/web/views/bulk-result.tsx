import type { User } from '#src/db/schema.ts'
import type { BulkOutcome } from '#src/tickets/bulk-update.ts'
import { t, tn } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { FormError, PageHead } from './parts.tsx'

/** What a bulk action did: how many tickets, and each refusal with its reason; the way back to the list. */
export function BulkResultPage(props: {
  user: User
  csrf: string
  back: string
  outcome?: BulkOutcome
  problem?: string
}) {
  const { outcome } = props
  return (
    <Layout title={t('Действие над заявками')} user={props.user} csrf={props.csrf} section="tickets">
      <PageHead title={t('Действие над заявками')} />
      <section class="card stack">
        <FormError message={props.problem} />
        {outcome ? (
          <>
            <p role="status">
              {t('Выполнено: {n}', {
                n: tn(outcome.done.length, ['заявка', 'заявки', 'заявок'], ['ticket', 'tickets']),
              })}
              {outcome.refused.length > 0 ? `. ${t('Отказано: {n}', { n: outcome.refused.length })}` : ''}
            </p>
            {outcome.refused.length > 0 ? (
              <table class="tickets">
                <thead>
                  <tr>
                    <th scope="col" class="num fit">
                      №
                    </th>
                    <th scope="col">{t('Почему не выполнено')}</th>
                  </tr>
                </thead>
                <tbody>
                  {outcome.refused.map((r) => (
                    <tr>
                      <td class="num">
                        <a href={`/tickets/${r.ticketId}`}>{r.ticketId}</a>
                      </td>
                      <td>{r.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </>
        ) : null}
        <p>
          <a class="button" href={props.back}>
            {t('Вернуться к списку')}
          </a>
        </p>
      </section>
    </Layout>
  )
}
