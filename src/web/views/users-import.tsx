import type { Child } from 'hono/jsx'
import type { User } from '#src/db/schema.ts'
import { columnsOf, type ImportKind, importKinds } from '#src/import/columns.ts'
import type { ImportResult } from '#src/import/import-file.ts'
import type { PlanAction } from '#src/import/plan.ts'
import { msg, t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CardForm, CsrfField, Notice, PageHead } from './parts.tsx'

export const kindLabels: Record<ImportKind, string> = {
  departments: msg('Отделения'),
  categories: msg('Категории'),
  users: msg('Сотрудники'),
  equipment: msg('Оборудование'),
  duty: msg('График дежурств'),
}

const actionLabels: Record<PlanAction, string> = {
  create: msg('Создать'),
  update: msg('Изменить'),
  unchanged: msg('Без изменений'),
}

/** «Пользователи → Импорт»: what each file holds, the templates, and the upload for a preview. */
export function ImportPage(props: { user: User; csrf: string; kind: ImportKind; error?: string | undefined }) {
  return (
    <Layout title={t('Импорт')} user={props.user} csrf={props.csrf} section="users">
      <PageHead title={t('Импорт')} />
      <CardForm
        action="/users/import/preview"
        csrf={props.csrf}
        title={t('Загрузить файл')}
        error={props.error}
        submit={t('Проверить')}
        primary
        multipart
      >
        <p class="muted">
          {t(
            'CSV (UTF-8 или Windows-1251, разделитель «;» или «,») или XLSX (первый лист). Первая строка — названия столбцов. Сначала покажем, что изменится; импорт — после подтверждения.',
          )}
        </p>
        <label class="field">
          <span>{t('Что импортировать')}</span>
          <select name="kind">
            {importKinds.map((kind) => (
              <option value={kind} selected={kind === props.kind}>
                {t(kindLabels[kind])}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('Файл')}</span>
          <input type="file" name="file" required accept=".csv,.xlsx,text/csv" />
        </label>
      </CardForm>
      {importKinds.map((kind) => (
        <section class="card stack" aria-labelledby={`import-${kind}`}>
          <h2 id={`import-${kind}`}>{t(kindLabels[kind])}</h2>
          <p>
            {t('Столбцы')}:{' '}
            {columnsOf(kind)
              .map((c) => (c.required ? `${c.header}*` : c.header))
              .join('; ')}
          </p>
          {kind === 'users' ? (
            <p class="muted">
              {t(
                'Нужен табельный номер или Telegram id: по ним повторный импорт узнаёт людей. Отделения должны уже быть в справочнике. Пустая ячейка ничего не меняет. Новые сотрудники — заявители; согласие на обработку ПДн бот спросит при первом сообщении.',
              )}
            </p>
          ) : null}
          <p>
            {t('Шаблон')}: <a href={`/users/import/template/${kind}.csv`}>CSV</a> ·{' '}
            <a href={`/users/import/template/${kind}.xlsx`}>XLSX</a>
          </p>
        </section>
      ))}
    </Layout>
  )
}

/** The dry run of an uploaded file, and «Импортировать» when every row is good. */
export function ImportPreviewPage(props: { user: User; csrf: string; result: ImportResult; uploadKey: string }) {
  const { result } = props
  return (
    <Layout title={t('Импорт: проверка')} user={props.user} csrf={props.csrf} section="users">
      <PageHead title={t('Импорт: проверка')}>
        <a class="button" href="/users/import">
          {t('Загрузить другой файл')}
        </a>
      </PageHead>
      <Outcome result={result} />
      {result.counts.bad === 0 ? (
        <form method="post" action="/users/import/confirm" class="card stack">
          <CsrfField token={props.csrf} />
          <input type="hidden" name="key" value={props.uploadKey} />
          <p>{t('Ничего ещё не изменено. Импорт выполнится одной транзакцией и запишется в журнал.')}</p>
          <div class="actions">
            <button type="submit" class="button button--primary">
              {t('Импортировать')}
            </button>
          </div>
        </form>
      ) : (
        <p class="form-error" role="alert">
          {t(
            'В файле есть ошибочные строки: исправьте их и загрузите файл снова. Пока они есть, импорт не выполнится.',
          )}
        </p>
      )}
      <PlanTable result={result} />
    </Layout>
  )
}

/** After «Импортировать»: what was done, or why nothing was. */
export function ImportDonePage(props: { user: User; csrf: string; result: ImportResult }) {
  const { result } = props
  return (
    <Layout title={t('Импорт')} user={props.user} csrf={props.csrf} section="users">
      <PageHead title={t('Импорт')}>
        <a class="button" href="/users/import">
          {t('Импортировать ещё')}
        </a>
      </PageHead>
      {result.applied ? (
        <Notice>{t('Импорт выполнен')}</Notice>
      ) : (
        <p class="form-error" role="alert">
          {t('Импорт отменён: в файле есть ошибочные строки, ничего не изменено.')}
        </p>
      )}
      <Outcome result={result} />
      {result.applied ? null : <PlanTable result={result} />}
    </Layout>
  )
}

export function Outcome(props: { result: ImportResult }) {
  const { counts } = props.result
  return (
    <dl class="facts">
      <div>
        <dt>{t('Создать')}</dt>
        <dd>{counts.created}</dd>
      </div>
      <div>
        <dt>{t('Изменить')}</dt>
        <dd>{counts.updated}</dd>
      </div>
      <div>
        <dt>{t('Без изменений')}</dt>
        <dd>{counts.unchanged}</dd>
      </div>
      <div>
        <dt>{t('Ошибочных строк')}</dt>
        <dd>{counts.bad}</dd>
      </div>
    </dl>
  )
}

/** Every bad row first (what must be fixed), then the rows with their outcome, by line. */
export function PlanTable(props: { result: ImportResult }) {
  const { plan } = props.result
  return (
    <div class="table-wrap">
      <table class="tickets">
        <thead>
          <tr>
            <th scope="col" class="fit">
              {t('Строка')}
            </th>
            <th scope="col" class="fit">
              {t('Действие')}
            </th>
            <th scope="col">{t('Запись')}</th>
            <th scope="col">{t('Подробности')}</th>
          </tr>
        </thead>
        <tbody>
          {plan.bad.map((row) => (
            <tr class="import-row import-row--bad">
              <td class="fit">{row.line}</td>
              <td class="fit">
                <span class="badge prio prio--critical">{t('Ошибка')}</span>
              </td>
              <td colspan={2}>{row.reason}</td>
            </tr>
          ))}
          {plan.rows.map((row) => (
            <tr class={`import-row import-row--${row.action}`}>
              <td class="fit">{row.line}</td>
              <td class="fit">{t(actionLabels[row.action])}</td>
              <td>{row.label}</td>
              <td>{[row.fields.join(', '), row.note ?? ''].filter((part) => part !== '').join(' — ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/**
 * The steps of a section's own import page («Оборудование → Импорт», «Дежурства → Импорт»): the upload with the
 * section's hints, then the dry run row by row with «Импортировать», then the outcome. `base` is the page's path
 * (`/equipment/import`: its `/preview`, `/confirm` and `/template.xlsx`), `back` the section's.
 */
export function SectionImportSteps(props: {
  csrf: string
  base: string
  back: { href: string; label: string }
  columns: string
  /** The section's hints above the columns and under them. */
  intro: Child
  notes?: Child
  result?: ImportResult | undefined
  uploadKey?: string | undefined
  done?: boolean | undefined
  error?: string | undefined
}) {
  const { result } = props
  if (result === undefined) {
    return (
      <CardForm
        action={`${props.base}/preview`}
        csrf={props.csrf}
        title={t('Загрузить файл')}
        error={props.error}
        submit={t('Проверить')}
        primary
        multipart
      >
        <p class="muted">{props.intro}</p>
        <p>
          {t('Столбцы')}: {props.columns}
        </p>
        {props.notes ? <p class="muted">{props.notes}</p> : null}
        <p>
          {t('Шаблон')}: <a href={`${props.base}/template.xlsx`}>XLSX</a>
        </p>
        <label class="field">
          <span>{t('Файл')}</span>
          <input type="file" name="file" required accept=".csv,.xlsx,text/csv" />
        </label>
      </CardForm>
    )
  }
  return (
    <>
      {props.done ? (
        result.applied ? (
          <Notice>{t('Импорт выполнен')}</Notice>
        ) : (
          <p class="form-error" role="alert">
            {t('Импорт отменён: в файле есть ошибочные строки, ничего не изменено.')}
          </p>
        )
      ) : null}
      <Outcome result={result} />
      {!props.done && result.counts.bad === 0 ? (
        <form method="post" action={`${props.base}/confirm`} class="card stack">
          <CsrfField token={props.csrf} />
          <input type="hidden" name="key" value={props.uploadKey ?? ''} />
          <p>{t('Ничего ещё не изменено. Импорт выполнится одной транзакцией и запишется в журнал.')}</p>
          <div class="actions">
            <a class="button button--ghost" href={props.base}>
              {t('Загрузить другой файл')}
            </a>
            <button type="submit" class="button button--primary">
              {t('Импортировать')}
            </button>
          </div>
        </form>
      ) : !props.done ? (
        <p class="form-error" role="alert">
          {t(
            'В файле есть ошибочные строки: исправьте их и загрузите файл снова. Пока они есть, импорт не выполнится.',
          )}{' '}
          <a href={props.base}>{t('Загрузить другой файл')}</a>
        </p>
      ) : (
        <p>
          <a class="button" href={props.back.href}>
            {props.back.label}
          </a>
        </p>
      )}
      {props.done && result.applied ? null : <PlanTable result={result} />}
    </>
  )
}
