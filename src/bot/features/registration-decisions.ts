import { Composer } from 'grammy'
import { type DomainError, isDomainError } from '#src/errors.ts'
import { parseCallback } from '#src/notify/callback-data.ts'
import { noticeChatOf } from '#src/notify/chat-key.ts'
import { renderUserNotice } from '#src/notify/notice-texts.ts'
import { enqueueBotMessage } from '#src/notify/outbox.ts'
import { getSetting } from '#src/settings/settings.ts'
import { type Actor, actorFromUser } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { confirmUser } from '#src/users/confirm-user.ts'
import { can } from '#src/users/permissions.ts'
import { rejectUser } from '#src/users/reject-user.ts'
import { findUser } from '#src/users/user-store.ts'
import type { BotContext } from '../context.ts'
import { keyboards, texts } from '../texts.ts'

/**
 * A curator (or admin) decides a registration from the notice's buttons (PRODUCT.md §2 step 4):
 * «Подтвердить» `r:ok:U` confirms at once; «Отклонить» `r:no:U` asks for the reason, and the next text
 * rejects. The callback data is never trusted: the use cases check the permission (and journal a
 * refusal) and the status; a refusal is a polite answer that changes nothing.
 */
export const registrationDecisions = new Composer<BotContext>()

registrationDecisions.callbackQuery(/^r:/, async (ctx) => {
  const parsed = parseCallback(ctx.callbackQuery.data)
  const presser = ctx.person
  if (parsed?.kind !== 'registration' || !presser) {
    ctx.answerLater(texts.notAllowed, true)
    return
  }
  const [, decision, userId] = parsed.parts
  const actor = actorFromUser(presser, 'bot')
  try {
    if (decision === 'ok') {
      await confirmUser(ctx.tx, actor, { userId })
      await markNotice(ctx, userId, texts.decidedMark(true), ctx.pressedMessageId)
      await sendMainMenu(ctx, userId)
      ctx.answerLater(texts.registrationConfirmedByYou(userId))
      return
    }
    // The reason comes in the next message; refuse a forged press now, not after it is typed.
    await authorize(
      ctx.tx,
      actor,
      'registration.decide',
      {
        action: 'user.reject',
        objectType: 'user',
        objectId: userId,
        subjectId: userId,
        pdn: true,
        description: `Отказано в отклонении регистрации пользователя № ${userId}`,
      },
      'Нет прав отклонять регистрации',
    )
    const subject = await findUser(ctx.tx, userId)
    if (!subject) {
      ctx.answerLater(texts.userNotFound, true)
      return
    }
    if (subject.status !== 'pending') {
      await markNotice(ctx, userId, texts.alreadyDecided, ctx.pressedMessageId)
      ctx.answerLater(texts.alreadyDecided, true)
      return
    }
    const noticeMessageId = ctx.pressedMessageId
    await ctx.conversation.set({
      flow: 'reject_reason',
      userId,
      ...(noticeMessageId !== undefined ? { noticeMessageId } : {}),
    })
    await ctx.say({ text: texts.askRejectionReason, keyboard: keyboards.cancelOnly })
    ctx.answerLater()
  } catch (error) {
    if (!isDomainError(error)) throw error
    await refused(ctx, error, actor, userId)
  }
})

/** The reason for a rejection asked for above. */
registrationDecisions.on('message', async (ctx, next) => {
  const state = await ctx.conversation.get()
  if (state?.flow !== 'reject_reason') {
    await next()
    return
  }
  const presser = ctx.person
  if (presser?.status !== 'active') {
    await ctx.conversation.clear()
    await next()
    return
  }
  const reason = ctx.message.text
  if (reason === undefined || reason.startsWith('/')) {
    await ctx.say({ text: texts.reasonExpected })
    return
  }
  const actor = actorFromUser(presser, 'bot')
  try {
    await rejectUser(ctx.tx, actor, { userId: state.userId, reason })
  } catch (error) {
    if (!isDomainError(error)) throw error
    if (error.code === 'validation') {
      // Too long, say: the curator may write it again.
      await ctx.say({ text: error.message })
      return
    }
    await ctx.conversation.clear()
    await ctx.say({ text: refusalText(error), keyboard: keyboards.mainMenu })
    return
  }
  await ctx.conversation.clear()
  await markNotice(ctx, state.userId, texts.decidedMark(false), state.noticeMessageId)
  await ctx.say({ text: texts.registrationRejectedByYou(state.userId), keyboard: keyboards.mainMenu })
})

function refusalText(error: DomainError): string {
  switch (error.code) {
    case 'forbidden':
      return texts.notAllowed
    case 'not_found':
      return texts.userNotFound
    case 'invalid_transition':
    case 'conflict':
      return texts.alreadyDecided
    default:
      return error.message
  }
}

async function refused(ctx: BotContext, error: DomainError, actor: Actor, userId: number): Promise<void> {
  // A curator's stale notice (someone else decided first) loses its buttons; a forged press changes nothing.
  if (error.code === 'invalid_transition' && can(actor, 'registration.decide')) {
    await markNotice(ctx, userId, texts.alreadyDecided, ctx.pressedMessageId)
  }
  ctx.answerLater(refusalText(error), true)
}

/**
 * Edits the registration notice the button was under: its current text (rendered as the channel renders
 * it, «Запрос уже рассмотрен») and the outcome, without the buttons, so they cannot be pressed twice.
 */
async function markNotice(ctx: BotContext, userId: number, line: string, messageId: number | undefined): Promise<void> {
  if (messageId === undefined) return
  const subject = await ctx.tx
    .selectFrom('users as u')
    .leftJoin('departments as d', 'd.id', 'u.department_id')
    .select(['u.id', 'u.full_name', 'u.phone', 'u.position', 'u.room', 'u.status', 'u.rejection_reason', 'd.name'])
    .where('u.id', '=', userId)
    .executeTakeFirst()
  if (!subject) return
  const privacy = await getSetting(ctx.tx, 'privacy.no_pdn_in_telegram')
  const rendered = renderUserNotice(
    'registration_requested',
    {
      id: subject.id,
      fullName: subject.full_name,
      phone: subject.phone,
      departmentName: subject.name,
      position: subject.position,
      room: subject.room,
      status: subject.status,
      rejectionReason: subject.rejection_reason,
    },
    { baseUrl: ctx.scope.config.baseUrl, privacy },
  )
  await ctx.say({ text: `${rendered.text}\n${line}`, buttons: rendered.buttons, editMessageId: messageId })
}

/**
 * The confirmed person gets the main menu right after the «регистрация подтверждена» notice (queued by
 * confirmUser just before): a rendered notice carries inline buttons only, the menu is a reply keyboard.
 */
async function sendMainMenu(ctx: BotContext, userId: number): Promise<void> {
  const person = await findUser(ctx.tx, userId)
  // The messenger they registered from (where they last wrote), or the other if that one is blocked.
  const chat = person ? noticeChatOf(person) : undefined
  if (!person || chat === undefined) return
  await enqueueBotMessage(ctx.tx, chat, { text: texts.mainMenu, keyboard: keyboards.mainMenu }, { userId: person.id })
}
