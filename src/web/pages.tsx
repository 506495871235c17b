import type { User } from '#src/db/schema.ts'
import { Layout } from './views/layout.tsx'

/** A refusal (CSRF, lost session): what happened and what to do. */
export function refusedPage(message: string) {
  return (
    <Layout title="Запрос отклонён">
      <section class="card narrow">
        <h1>Запрос отклонён</h1>
        <p>{message}</p>
        <p>
          <a class="button" href="/tickets">
            К заявкам
          </a>
        </p>
      </section>
    </Layout>
  )
}

/** Not found — also for what the person may not know exists (404, not 403). */
export function notFoundPage(user?: User, csrf?: string) {
  return (
    <Layout title="Не найдено" user={user} csrf={csrf} section="none">
      <section class="card narrow">
        <h1>Страница не найдена</h1>
        <p>Такой страницы или заявки нет, или у вас нет к ней доступа.</p>
        <p>
          <a class="button" href="/tickets">
            К списку заявок
          </a>
        </p>
      </section>
    </Layout>
  )
}

export function errorPage(user?: User, csrf?: string) {
  return (
    <Layout title="Ошибка" user={user} csrf={csrf} section="none">
      <section class="card narrow">
        <h1>Что-то пошло не так</h1>
        <p>Запрос не выполнен. Попробуйте ещё раз; если ошибка повторится — сообщите в ИТ-отдел.</p>
      </section>
    </Layout>
  )
}
