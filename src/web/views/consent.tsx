import type { User } from '#src/db/schema.ts'
import type { ConsentText, ConsentTextVersion } from '#src/users/consent.ts'
import { CONSENT_TEXT_MAX } from '#src/users/consent.ts'
import { MAX_SCAN_BYTES } from '#src/users/consent-scan.ts'
import { WITHDRAWAL_REASON_MAX } from '#src/users/paper-consent.ts'
import type { UserConsent } from '#src/users/user-consents.ts'
import { date, dateTime } from '../format.ts'
import { msg, t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CardForm, CsrfField, FormError, Notice, PageHead } from './parts.tsx'

/** A consent text as paragraphs (blank lines between them), escaped like all output. */
function ConsentBody(props: { text: string }) {
  return (
    <div class="consent-text">
      {props.text
        .split(/\n\s*\n/)
        .filter((paragraph) => paragraph.trim() !== '')
        .map((paragraph) => (
          <p>{paragraph.trim()}</p>
        ))}
    </div>
  )
}

// ---------------------------------------------------------------- the person's own consent (/consent)

export interface ConsentPageProps {
  user: User
  csrf: string
  text: ConsentText
  /** The person has consented to this very text (the page is then only for reading). */
  given: { at: string } | undefined
  /** They had agreed to an older version: refusing now withdraws that consent. */
  hadOlder: boolean
  next: string
  error?: string | undefined
  tz: string
}

/**
 * «Согласие на обработку персональных данных»: after a sign-in without consent to the current text (an
 * account made by an admin or on the web, or a newer version), like the forced 2FA enrolment.
 */
export function ConsentPage(props: ConsentPageProps) {
  return (
    <Layout title={t('Согласие на обработку персональных данных')} user={props.user} csrf={props.csrf} section="none">
      <PageHead title={t('Согласие на обработку персональных данных')} />
      <FormError message={props.error} />
      {props.given ? (
        <Notice>{t('Вы дали согласие на этот текст {day}.', { day: date(props.given.at, props.tz) })}</Notice>
      ) : (
        <p>
          {props.hadOlder
            ? t('Текст согласия изменился. Чтобы продолжить работу, прочитайте новую версию и подтвердите согласие.')
            : t(
                'Чтобы работать в системе заявок, прочитайте согласие на обработку персональных данных и подтвердите его.',
              )}
        </p>
      )}
      <section class="card stack">
        <h2>
          {t('Версия {version} от {day}', { version: props.text.version, day: date(props.text.valid_from, props.tz) })}
        </h2>
        <ConsentBody text={props.text.text} />
      </section>
      {props.given ? null : (
        <div class="actions">
          <form method="post" action="/consent/refuse">
            <CsrfField token={props.csrf} />
            <input type="hidden" name="text" value={String(props.text.id)} />
            <button
              type="submit"
              class="button"
              data-confirm={
                props.hadOlder
                  ? t('Не соглашаться? Ваше согласие будет отозвано, учётная запись — отключена.')
                  : t('Не соглашаться? Без согласия работа в системе невозможна: вы выйдете из неё.')
              }
            >
              {t('Не согласен')}
            </button>
          </form>
          <form method="post" action={`/consent/agree?next=${encodeURIComponent(props.next)}`}>
            <CsrfField token={props.csrf} />
            <input type="hidden" name="text" value={String(props.text.id)} />
            <button type="submit" class="button button--primary">
              {t('Согласен')}
            </button>
          </form>
        </div>
      )}
    </Layout>
  )
}

/** After «Не согласен» without a consent to withdraw: signed out, told why. */
export function ConsentRefusedPage() {
  return (
    <Layout title={t('Согласие не дано')}>
      <PageHead title={t('Согласие не дано')} />
      <p>
        {t(
          'Без согласия на обработку персональных данных работа в системе заявок невозможна. Вы вышли из системы. Если передумаете, войдите снова; вопросы — в ИТ-отдел.',
        )}
      </p>
      <p>
        <a href="/login">{t('Вход')}</a>
      </p>
    </Layout>
  )
}

// ---------------------------------------------------------------- versions (/settings/consent)

export interface ConsentTextsPageProps {
  user: User
  csrf: string
  versions: ConsentTextVersion[]
  /** Who published each version (ids → names), for the history. */
  authors: Map<number, string>
  draft?: string | undefined
  error?: string | undefined
  done?: string | undefined
  tz: string
}

/** «Настройки → Согласие на обработку ПДн»: the text in force, its history, and a new version. */
export function ConsentTextsPage(props: ConsentTextsPageProps) {
  const [current, ...older] = props.versions
  return (
    <Layout title={t('Согласие на обработку ПДн')} user={props.user} csrf={props.csrf} section="none">
      <PageHead title={t('Согласие на обработку ПДн')} />
      <Notice>
        {props.done === 'published'
          ? t('Новая версия опубликована: активных пользователей бот попросит согласиться снова, сайт — при входе')
          : undefined}
      </Notice>
      {current ? (
        <section class="card stack">
          <h2>
            {t('Действующий текст: версия {version} от {day}', {
              version: current.version,
              day: date(current.valid_from, props.tz),
            })}
          </h2>
          <p class="muted small">
            {t('Согласились с этой версией: {n}. SHA-256: {hash}', { n: current.consents, hash: current.sha256 })}
          </p>
          <ConsentBody text={current.text} />
        </section>
      ) : null}
      <form method="post" action="/settings/consent" class="card stack">
        <CsrfField token={props.csrf} />
        <h2>{t('Опубликовать новую версию')}</h2>
        <p class="muted small">
          {t(
            'Текст не редактируется: публикуется новая версия. Все активные пользователи подтвердят её заново — в боте при следующем сообщении, на сайте при входе; отказ означает отзыв согласия.',
          )}
        </p>
        <FormError message={props.error} />
        <label class="field">
          <span>{t('Текст согласия')}</span>
          <textarea name="text" rows={18} required maxlength={CONSENT_TEXT_MAX}>
            {props.draft ?? current?.text ?? ''}
          </textarea>
        </label>
        <div class="actions">
          <button
            type="submit"
            class="button button--primary"
            data-confirm={t('Опубликовать новую версию? Всех активных пользователей попросят согласиться снова.')}
          >
            {t('Опубликовать новую версию')}
          </button>
        </div>
      </form>
      <section class="card stack">
        <h2>{t('История версий')}</h2>
        <div class="table-wrap">
          <table class="tickets">
            <thead>
              <tr>
                <th>{t('Версия')}</th>
                <th>{t('Действует с')}</th>
                <th>{t('Опубликовал')}</th>
                <th>{t('Согласий')}</th>
                <th>{t('Текст')}</th>
              </tr>
            </thead>
            <tbody>
              {props.versions.map((version) => (
                <tr>
                  <td class="num">{version.version}</td>
                  <td>{dateTime(version.valid_from, props.tz)}</td>
                  <td>
                    {version.created_by === null
                      ? t('система')
                      : (props.authors.get(version.created_by) ?? `№ ${version.created_by}`)}
                  </td>
                  <td class="num">{version.consents}</td>
                  <td>
                    {version === current ? (
                      <span class="muted">{t('действует')}</span>
                    ) : (
                      <details>
                        <summary>{t('Показать')}</summary>
                        <ConsentBody text={version.text} />
                      </details>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {older.length === 0 ? <p class="muted small">{t('Других версий пока нет.')}</p> : null}
      </section>
    </Layout>
  )
}

// ---------------------------------------------------------------- a person's consents (/users/:id/consent)

export type UserConsentForm = 'paper' | 'withdraw'

export interface UserConsentPageProps {
  user: User
  csrf: string
  person: User
  records: UserConsent[]
  current: ConsentText
  errors?: Partial<Record<UserConsentForm, string>> | undefined
  done?: string | undefined
  tz: string
}

const channelLabels: Record<UserConsent['channel'], string> = {
  bot: msg('бот'),
  web: msg('сайт'),
  paper: msg('бумага'),
}
const statusLabels: Record<UserConsent['status'], string> = {
  given: msg('дано'),
  refused: msg('не дано'),
  withdrawn: msg('отозвано'),
}

/** What a record's evidence says, without names: ids, addresses, dates, the reason of a paper withdrawal. */
function evidenceWords(record: UserConsent): string {
  let evidence: Record<string, unknown> = {}
  try {
    evidence = JSON.parse(record.evidence ?? '{}') as Record<string, unknown>
  } catch {
    return ''
  }
  const words: string[] = []
  const add = (label: string, key: string) => {
    const value = evidence[key]
    if (typeof value === 'string' || typeof value === 'number') words.push(`${label}: ${value}`)
  }
  add('update_id', 'update_id')
  add('message_id', 'message_id')
  add('IP', 'ip')
  add(t('браузер'), 'user_agent')
  add(t('подписано'), 'signed_on')
  add(t('заявление от'), 'withdrawn_on')
  add(t('основание'), 'reason')
  return words.join('; ')
}

const doneTexts: Record<string, string> = {
  paper: msg('Бумажное согласие записано'),
  withdrawn: msg('Согласие отозвано по заявлению: учётная запись отключена, кураторы уведомлены'),
}

/** «Согласие на обработку ПДн» of one person (admin): the history, paper consent, paper withdrawal, the form. */
export function UserConsentPage(props: UserConsentPageProps) {
  const { person } = props
  const latest = props.records[0]
  const given = latest?.status === 'given'
  const today = new Date().toISOString().slice(0, 10)
  const doneText = props.done !== undefined && Object.hasOwn(doneTexts, props.done) ? doneTexts[props.done] : undefined
  return (
    <Layout title={t('Согласие на обработку ПДн')} user={props.user} csrf={props.csrf} section="users">
      <PageHead title={`${t('Согласие на обработку ПДн')}: ${person.full_name}`}>
        <a class="button" href={`/users/${person.id}`}>
          {t('К пользователю')}
        </a>
        <a class="button" href={`/users/${person.id}/consent/form.pdf`}>
          {t('Бланк согласия (PDF)')}
        </a>
      </PageHead>
      <Notice>{doneText ? t(doneText) : undefined}</Notice>
      <p>
        {given
          ? latest?.consent_text_id === props.current.id
            ? t('Согласие дано на действующий текст (версия {version}).', { version: props.current.version })
            : t(
                'Согласие дано на прежний текст (версия {version}): при следующем входе или сообщении боту его попросят согласиться с версией {current}.',
                {
                  version: latest?.version ?? '—',
                  current: props.current.version,
                },
              )
          : latest?.status === 'withdrawn'
            ? t('Согласие отозвано.')
            : t('Согласия нет: человек подтвердит его при входе на сайт, или запишите бумажное согласие.')}
      </p>
      <section class="card stack">
        <h2>{t('История')}</h2>
        {props.records.length === 0 ? (
          <p class="muted">{t('Записей о согласии нет.')}</p>
        ) : (
          <div class="table-wrap">
            <table class="tickets">
              <thead>
                <tr>
                  <th>{t('Время (UTC)')}</th>
                  <th>{t('Статус')}</th>
                  <th>{t('Версия')}</th>
                  <th>{t('Канал')}</th>
                  <th>{t('Подтверждение')}</th>
                  <th>{t('Скан')}</th>
                </tr>
              </thead>
              <tbody>
                {props.records.map((record) => (
                  <tr>
                    <td title={dateTime(record.created_at, props.tz)}>{record.created_at}</td>
                    <td>{t(statusLabels[record.status])}</td>
                    <td class="num">{record.version}</td>
                    <td>{t(channelLabels[record.channel])}</td>
                    <td class="small">{evidenceWords(record)}</td>
                    <td>
                      {record.evidence_file ? (
                        <a href={`/users/${person.id}/consent/${record.id}/scan`}>
                          {record.evidence_file_name ?? t('скан')}
                        </a>
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <CardForm
        action={`/users/${person.id}/consent/paper`}
        csrf={props.csrf}
        title={t('Бумажное согласие')}
        error={props.errors?.paper}
        submit={t('Записать бумажное согласие')}
        primary
        multipart
      >
        <p class="muted small">
          {t('Распечатайте бланк, дайте подписать и загрузите скан: PDF, JPEG или PNG, не больше {mb} МБ.', {
            mb: MAX_SCAN_BYTES / 1024 / 1024,
          })}
        </p>
        <label class="field">
          <span>{t('Дата подписания')}</span>
          <input type="date" name="signed_on" required max={today} />
        </label>
        <label class="field">
          <span>{t('Скан подписанного согласия')}</span>
          <input type="file" name="scan" required accept="application/pdf,image/jpeg,image/png" />
        </label>
      </CardForm>
      {given ? (
        <form
          method="post"
          action={`/users/${person.id}/consent/withdraw`}
          enctype="multipart/form-data"
          class="card stack"
        >
          <CsrfField token={props.csrf} />
          <h2>{t('Отзыв согласия по заявлению')}</h2>
          <p class="muted small">
            {t(
              'Как отзыв самим человеком: учётная запись отключается сразу, сеансы и токены завершаются, кураторы получают уведомление, данные подлежат уничтожению в установленный срок.',
            )}
          </p>
          <FormError message={props.errors?.withdraw} />
          <label class="field">
            <span>{t('Основание (причина)')}</span>
            <input name="reason" required maxlength={WITHDRAWAL_REASON_MAX} />
          </label>
          <label class="field">
            <span>{t('Дата заявления')}</span>
            <input type="date" name="withdrawn_on" required max={today} />
          </label>
          <label class="field">
            <span>{t('Скан заявления (необязательно)')}</span>
            <input type="file" name="scan" accept="application/pdf,image/jpeg,image/png" />
          </label>
          <div class="actions">
            <button
              type="submit"
              class="button button--danger"
              data-confirm={t('Отозвать согласие этого человека? Его учётная запись будет сразу отключена.')}
            >
              {t('Отозвать согласие')}
            </button>
          </div>
        </form>
      ) : null}
    </Layout>
  )
}
