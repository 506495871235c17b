import type { User } from '#src/db/schema.ts'
import type { Outage } from '#src/db/unavailable.ts'
import { t } from './i18n.ts'
import { Layout } from './views/layout.tsx'

/** A refusal (CSRF, lost session): what happened and what to do; with the navigation when signed in. */
export function refusedPage(message: string, user?: User, csrf?: string) {
  return (
    <Layout title={t('Запрос отклонён')} user={user} csrf={csrf} section="none">
      <section class="card narrow">
        <h1>{t('Запрос отклонён')}</h1>
        <p>{message}</p>
        <p>
          <a class="button" href="/tickets">
            {t('К заявкам')}
          </a>
        </p>
      </section>
    </Layout>
  )
}

/** Not found — also for what the person may not know exists (404, not 403). */
export function notFoundPage(user?: User, csrf?: string) {
  return (
    <Layout title={t('Не найдено')} user={user} csrf={csrf} section="none">
      <section class="card narrow">
        <h1>{t('Страница не найдена')}</h1>
        <p>{t('Такой страницы или заявки нет, или у вас нет к ней доступа.')}</p>
        <p>
          <a class="button" href="/tickets">
            {t('К списку заявок')}
          </a>
        </p>
      </section>
    </Layout>
  )
}

export function errorPage(user?: User, csrf?: string) {
  return (
    <Layout title={t('Ошибка')} user={user} csrf={csrf} section="none">
      <section class="card narrow">
        <h1>{t('Что-то пошло не так')}</h1>
        <p>{t('Запрос не выполнен. Попробуйте ещё раз; если ошибка повторится — сообщите в ИТ-отдел.')}</p>
      </section>
    </Layout>
  )
}

/**
 * The database or the disk is away (503): nothing was saved, and trying again later may work. Without the
 * database the person's session cannot be read, so the page may come without their navigation.
 */
export function unavailablePage(outage: Outage, user?: User, csrf?: string) {
  return (
    <Layout title={t('Сервис временно недоступен')} user={user} csrf={csrf} section="none">
      <section class="card narrow">
        <h1>{t('Сервис временно недоступен')}</h1>
        <p>
          {outage === 'database'
            ? t('База данных недоступна. Изменения не сохранены; повторите попытку через минуту.')
            : t('На сервере закончилось место на диске. Изменения не сохранены; сообщите в ИТ-отдел.')}
        </p>
      </section>
    </Layout>
  )
}
