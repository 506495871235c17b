import type { User } from '#src/db/schema.ts'
import { msg } from '../i18n.ts'
import {
  MessengerCard,
  MessengerLinkPage,
  type MessengerLinkTexts,
  type TelegramLinkViewProps,
} from './telegram-link.tsx'

const maxTexts: MessengerLinkTexts = {
  name: 'MAX',
  base: '/profile/max',
  title: msg('Привязка MAX'),
  openLink: msg('Откройте ссылку на телефоне с MAX и запустите бота:'),
  findBot: msg('Найдите бота службы поддержки в MAX и отправьте ему команду'),
  after: msg('После привязки уведомления о заявках смогут приходить в MAX.'),
  invite: msg('Привяжите MAX, чтобы получать уведомления о заявках и подавать их через бота.'),
  link: msg('Привязать MAX'),
  linkAnother: msg('Привязать другой MAX'),
  unlink: msg('Отвязать MAX…'),
  unlinkConfirm: msg('Отвязать MAX? Уведомления о заявках перестанут приходить в MAX.'),
}

/** «Профиль → Привязка MAX» (issue 15): Telegram's page with MAX's deep link (https://max.ru/<bot>?start=…). */
export function MaxLinkPage(props: TelegramLinkViewProps) {
  return <MessengerLinkPage {...props} texts={maxTexts} />
}

/**
 * The profile's «MAX» card: the MAX user id masked, or «Привязать MAX». Unlinking is offered where the person could
 * still sign in without MAX (a password, or Telegram's /login), as `unlinkMax` allows.
 */
export function MaxCard(props: { user: User; csrf: string }) {
  const { user } = props
  const hasPassword = user.login !== null && (user.password_hash !== null || user.auth_source === 'ldap')
  return (
    <MessengerCard
      csrf={props.csrf}
      texts={maxTexts}
      chat={user.max_user_id}
      username={null}
      mayUnlink={hasPassword || user.telegram_chat_id !== null}
    />
  )
}
