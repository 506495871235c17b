import type { User } from '#src/db/schema.ts'
import type { ApiTokenRow } from '#src/users/list-api-tokens.ts'
import { t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CardForm, CsrfField, Empty, Notice, PageHead, When } from './parts.tsx'

/** The tokens of one person with «Отозвать» on the live ones; `revokeAction` takes the token in the form. */
export function ApiTokenTable(props: {
  tokens: ApiTokenRow[]
  csrf: string
  revokeAction: string
  now: string
  tz: string
}) {
  if (props.tokens.length === 0) return <Empty>{t('Токенов нет')}</Empty>
  return (
    <table class="tickets">
      <thead>
        <tr>
          <th>{t('Название')}</th>
          <th>{t('Выпущен')}</th>
          <th>{t('Последнее использование')}</th>
          <th>{t('Состояние')}</th>
        </tr>
      </thead>
      <tbody>
        {props.tokens.map((token) => (
          <tr>
            <td>{token.name}</td>
            <td>
              <When at={token.createdAt} now={props.now} tz={props.tz} />
            </td>
            <td>
              {token.lastUsedAt === null ? (
                t('не использовался')
              ) : (
                <When at={token.lastUsedAt} now={props.now} tz={props.tz} />
              )}
            </td>
            <td>
              {token.revokedAt === null ? (
                <form method="post" action={props.revokeAction}>
                  <CsrfField token={props.csrf} />
                  <input type="hidden" name="token" value={String(token.id)} />
                  <button type="submit" class="button">
                    {t('Отозвать')}
                  </button>
                </form>
              ) : (
                t('отозван')
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** «Профиль → API-токены»: one's own tokens; a new one is shown once, on the answer that made it. */
export function ApiTokensPage(props: {
  user: User
  csrf: string
  tokens: ApiTokenRow[]
  created?: string | undefined
  done?: string | undefined
  error?: string | undefined
  now: string
  tz: string
}) {
  return (
    <Layout title={t('API-токены')} user={props.user} csrf={props.csrf} section="profile">
      <p class="crumbs">
        <a href="/profile">{t('Профиль')}</a>
      </p>
      <PageHead title={t('API-токены')} />
      {props.created ? (
        <section class="card stack">
          <p>{t('Новый токен — скопируйте его сейчас: он больше не будет показан.')}</p>
          <p>
            <code>{props.created}</code>
          </p>
        </section>
      ) : null}
      <Notice>{props.done === 'revoked' ? t('Токен отозван') : undefined}</Notice>
      <section class="card stack">
        <ApiTokenTable
          tokens={props.tokens}
          csrf={props.csrf}
          revokeAction="/profile/tokens/revoke"
          now={props.now}
          tz={props.tz}
        />
      </section>
      <CardForm
        action="/profile/tokens"
        csrf={props.csrf}
        title={t('Новый токен')}
        error={props.error}
        submit={t('Выпустить токен')}
      >
        <p class="muted">{t('Токен даёт программе те же права, что и вам. Храните его как пароль.')}</p>
        <label class="field">
          <span>{t('Для чего токен')}</span>
          <input name="name" required maxlength={100} />
        </label>
      </CardForm>
    </Layout>
  )
}
