import { Composer } from 'grammy'
import { acknowledgeEscalation } from '#src/duty/acknowledge-escalation.ts'
import { whoIsOnDuty } from '#src/duty/on-duty.ts'
import { parseCallback } from '#src/notify/callback-data.ts'
import type { BotButton } from '#src/notify/outbox.ts'
import { findUser } from '#src/users/user-store.ts'
import type { BotContext } from '../context.ts'
import { texts } from '../texts.ts'
import { chatActor } from './ticket-chat.ts'

/** What the bot says about duty and escalation (one catalogue for this feature). */
export const dutyTexts = {
  title: 'Кто дежурит сейчас:',
  nobody: 'Сейчас по графику никто не дежурит. Срочную заявку подайте как обычно: её увидит вся группа.',
  person: (name: string, role: string, until: string) => `${name} (${role}, до ${until})`,
  acknowledged: '✅ Вы приняли заявку: остальных больше не вызывают.',
  acknowledgedAnswer: 'Принято. Остальных больше не вызывают.',
  already: (name: string | undefined) => (name ? `Заявку уже принял(а): ${name}.` : 'Заявку уже приняли.'),
  notCalled: 'Вас не вызывали по этой заявке — ничего не изменено.',
} as const

const roleNames: Record<string, string> = {
  executor: 'исполнитель',
  curator: 'куратор',
  admin: 'администратор',
  requester: 'пользователь',
}

/**
 * `/duty`: who is on duty now, per group — names and roles only (no phones), for any active person (the
 * registration gate lets nobody else this far). «Принял» (`e:ok:<ticketId>`) under a critical ticket filed at
 * night: the person called takes it in hand and the chain stops; a second press, a colleague's after it, or a
 * press by someone not called changes nothing and is answered so.
 */
export const duty = new Composer<BotContext>()

duty.command('duty', async (ctx) => {
  if (ctx.person?.status !== 'active') return
  const tz = ctx.scope.config.tzDisplay
  const groups = await whoIsOnDuty(ctx.tx)
  const clock = (iso: string) =>
    new Intl.DateTimeFormat('ru-RU', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
      new Date(iso),
    )
  const lines =
    groups.length === 0
      ? [dutyTexts.nobody]
      : [
          dutyTexts.title,
          ...groups.map(
            (g) =>
              `${g.groupName}: ${g.people.map((p) => dutyTexts.person(p.name, roleNames[p.role] ?? p.role, clock(p.endsAt))).join('; ')}`,
          ),
        ]
  await ctx.say({ text: lines.join('\n') })
})

duty.callbackQuery(/^e:/, async (ctx) => {
  const parsed = parseCallback(ctx.callbackQuery.data)
  if (parsed?.kind !== 'acknowledge') {
    ctx.answerLater(texts.staleButton, true)
    return
  }
  const { actor } = chatActor(ctx)
  const [, , ticketId] = parsed.parts
  const outcome = await acknowledgeEscalation(ctx.tx, actor, { ticketId })
  switch (outcome.kind) {
    case 'acknowledged':
      await markAcknowledged(ctx, dutyTexts.acknowledged)
      ctx.answerLater(dutyTexts.acknowledgedAnswer)
      return
    case 'already': {
      const by = outcome.byId === null ? undefined : await findUser(ctx.tx, outcome.byId)
      const text = dutyTexts.already(by?.full_name)
      await markAcknowledged(ctx, text)
      ctx.answerLater(text, true)
      return
    }
    case 'not_called':
      ctx.answerLater(dutyTexts.notCalled, true)
      return
  }
})

/** The pressed notice keeps its text and its links, loses «Принял», and says what came of it. */
async function markAcknowledged(ctx: BotContext, line: string): Promise<void> {
  const messageId = ctx.pressedMessageId
  const pressed = ctx.callbackQuery?.message
  if (messageId === undefined || !pressed || !('text' in pressed) || typeof pressed.text !== 'string') return
  const links: BotButton[] =
    'reply_markup' in pressed && pressed.reply_markup
      ? pressed.reply_markup.inline_keyboard.flatMap((row) =>
          row.flatMap((b) => ('url' in b && typeof b.url === 'string' ? [{ text: b.text, url: b.url }] : [])),
        )
      : []
  const body = pressed.text.split('\n').filter((l) => l !== '' && !l.startsWith('Нажмите «Принял»'))
  await ctx.say({
    text: [...body, line].join('\n'),
    buttons: links.length > 0 ? [links] : [],
    editMessageId: messageId,
  })
}
