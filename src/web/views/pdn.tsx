import type { User } from '#src/db/schema.ts'
import type { AccessList } from '#src/pdn/access-list.ts'
import { dateTime } from '../format.ts'
import { msg, t, tn } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { Empty, PageHead } from './parts.tsx'

/**
 * The admin's pages about personal data (152-ФЗ): the «ПДн» hub that the navigation opens, and the list of
 * people with access to ПДн.
 */

/** The hub's entries: a page each, in the order of a person's data's life. */
const hubEntries: ReadonlyArray<{ href: string; title: string; text: string }> = [
  {
    href: '/settings',
    title: msg('Настройки'),
    text: msg('Сроки, автозакрытие, ПДн в Telegram, сроки хранения, комиссия по уничтожению, реквизиты оператора'),
  },
  {
    href: '/settings/consent',
    title: msg('Согласие на обработку ПДн'),
    text: msg('Редакции текста согласия и публикация новой'),
  },
  {
    href: '/pdn/requests',
    title: msg('Запросы субъектов'),
    text: msg('Доступ, уточнение, блокирование, отзыв согласия, уничтожение — со сроками в рабочих днях'),
  },
  {
    href: '/pdn/destruction',
    title: msg('К уничтожению'),
    text: msg('Чьи данные пора уничтожить и почему; утверждение с комиссией'),
  },
  {
    href: '/pdn/acts',
    title: msg('Акты уничтожения'),
    text: msg('Акты по Приказу РКН № 179 и выписки из журнала, хранятся 3 года'),
  },
  {
    href: '/pdn/access-list',
    title: msg('Перечень лиц, имеющих доступ к ПДн'),
    text: msg('Кто из работников видит персональные данные, с какого дня и кем допущен (ПП № 1119 п. 13)'),
  },
  {
    href: '/audit?pdn=1',
    title: msg('Журнал аудита: действия с ПДн'),
    text: msg('Кто, когда и чьи данные читал или менял'),
  },
]

export function PdnHubPage(props: { user: User; csrf: string }) {
  return (
    <Layout title={t('Персональные данные')} user={props.user} csrf={props.csrf} section="pdn">
      <PageHead title={t('Персональные данные')} />
      <nav class="stack" aria-label={t('Персональные данные')}>
        {hubEntries.map((entry) => (
          <section class="card">
            <h2>
              <a href={entry.href}>{t(entry.title)}</a>
            </h2>
            <p class="muted">{t(entry.text)}</p>
          </section>
        ))}
      </nav>
    </Layout>
  )
}

const roleNames = {
  executor: msg('Исполнитель'),
  curator: msg('Куратор'),
  admin: msg('Администратор'),
} as const

export function AccessListPage(props: { user: User; csrf: string; list: AccessList; tz: string }) {
  const { rows } = props.list
  return (
    <Layout title={t('Перечень лиц, имеющих доступ к ПДн')} user={props.user} csrf={props.csrf} section="pdn">
      <PageHead title={t('Перечень лиц, имеющих доступ к ПДн')}>
        <a class="button" href="/pdn/access-list/export.pdf" download>
          PDF
        </a>
        <a class="button" href="/pdn/access-list/export.xlsx" download>
          XLSX
        </a>
      </PageHead>
      <p class="muted">
        {t(
          'Работники с ролью исполнителя, куратора или администратора (ПП № 1119 п. 13). Дата и основание — из журнала аудита. Составлен {at}; {count}.',
          {
            at: dateTime(props.list.generatedAt, props.tz),
            count: tn(rows.length, ['человек', 'человека', 'человек'], ['person', 'people']),
          },
        )}
      </p>
      {rows.length === 0 ? (
        <Empty>{t('Работников с доступом к ПДн нет.')}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="tickets">
            <thead>
              <tr>
                <th scope="col">{t('ФИО')}</th>
                <th scope="col">{t('Роль')}</th>
                <th scope="col">{t('К каким ПДн имеет доступ')}</th>
                <th scope="col" class="fit">
                  {t('С какого времени')}
                </th>
                <th scope="col">{t('Основание, кем предоставлен')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr>
                  <td class="person-cell">
                    <a href={`/users/${row.userId}`}>{row.fullName}</a>
                    {row.position || row.department ? (
                      <span class="sub">{[row.position, row.department].filter(Boolean).join(', ')}</span>
                    ) : null}
                  </td>
                  <td>{t(roleNames[row.role])}</td>
                  <td class="small">{row.reach}</td>
                  <td class="fit nowrap">{dateTime(row.since, props.tz)}</td>
                  <td>
                    {row.basis}
                    <span class="sub">{row.approvedBy ?? '—'}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  )
}
