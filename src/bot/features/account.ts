import { Composer } from 'grammy'
import type { Db, User } from '#src/db/schema.ts'
import { isDomainError } from '#src/errors.ts'
import { callback, parseCallback } from '#src/notify/callback-data.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { createLoginLink, LOGIN_LINK_MINUTES, loginLinkUrl } from '#src/users/login-links.ts'
import { withdrawConsent } from '#src/users/withdraw-consent.ts'
import type { BotContext } from '../context.ts'
import { accountButtons, accountTexts, keyboards, texts } from '../texts.ts'

/**
 * The person's account from the bot: `/login` sends a one-time web login link (five minutes, one use),
 * `/revoke` withdraws consent to the processing of personal data after a confirmation (`w:yes` / `w:no`).
 * Runs before the registration gate: pending and deactivated people get a plain answer here, and may
 * withdraw consent too.
 */
export const account = new Composer<BotContext>()

account.command('login', async (ctx) => {
  const person = ctx.person
  if (person?.status !== 'active') {
    await ctx.say({ text: loginRefusal(person) })
    return
  }
  const link = await createLoginLink(ctx.tx, actorFromUser(person, 'bot'), { userId: person.id })
  const url = loginLinkUrl(ctx.scope.config.baseUrl, link.token)
  await ctx.say({
    text: accountTexts.loginLink(url, LOGIN_LINK_MINUTES),
    buttons: [[{ text: accountButtons.openSite, url }]],
  })
})

account.command('revoke', async (ctx) => {
  const person = ctx.person
  const consent = person ? await latestConsentStatus(ctx.tx, person.id) : undefined
  if (consent === 'withdrawn') {
    await ctx.say({ text: accountTexts.revokeAlready })
    return
  }
  if (consent !== 'given') {
    await ctx.say({ text: accountTexts.revokeNothing })
    return
  }
  await ctx.say({
    text: accountTexts.revokeQuestion,
    buttons: [
      [
        { text: accountButtons.withdrawYes, callbackData: callback.withdraw('yes') },
        { text: accountButtons.withdrawNo, callbackData: callback.withdraw('no') },
      ],
    ],
  })
})

account.callbackQuery(/^w:/, async (ctx) => {
  const parsed = parseCallback(ctx.callbackQuery.data)
  const person = ctx.person
  if (parsed?.kind !== 'withdraw' || !person) {
    ctx.answerLater(texts.staleButton)
    return
  }
  if (parsed.parts[1] === 'no') {
    await markQuestion(ctx, accountTexts.keptMark)
    ctx.answerLater()
    await ctx.say({ text: accountTexts.kept, ...(person.status === 'active' ? { keyboard: keyboards.mainMenu } : {}) })
    return
  }
  try {
    const { user } = await withdrawConsent(ctx.tx, actorFromUser(person, 'bot'), {
      userId: person.id,
      evidence: { update_id: ctx.update.update_id, message_id: ctx.callbackQuery.message?.message_id ?? 0 },
    })
    ctx.person = user
  } catch (error) {
    // Pressed twice, or withdrawn meanwhile on the web: the question loses its buttons, nothing changes.
    if (!isDomainError(error) || error.code !== 'conflict') throw error
    await markQuestion(ctx, accountTexts.revokeAlready)
    ctx.answerLater(accountTexts.revokeAlready, true)
    return
  }
  await ctx.conversation.clear()
  await markQuestion(ctx, accountTexts.withdrawnMark)
  ctx.answerLater()
  await ctx.say({ text: accountTexts.withdrawn, keyboard: 'remove' })
})

function loginRefusal(person: User | undefined): string {
  switch (person?.status) {
    case undefined:
      return accountTexts.loginUnregistered
    case 'pending':
      return accountTexts.loginPending
    case 'rejected':
      return accountTexts.loginRejected
    default:
      return accountTexts.loginDeactivated
  }
}

async function latestConsentStatus(tx: Db, userId: number): Promise<string | undefined> {
  const latest = await tx
    .selectFrom('consent_records')
    .select('status')
    .where('user_id', '=', userId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return latest?.status
}

/** The question with the answer under it and no buttons left to press twice. */
async function markQuestion(ctx: BotContext, mark: string): Promise<void> {
  const messageId = ctx.pressedMessageId
  if (messageId === undefined) return
  await ctx.say({ text: `${accountTexts.revokeQuestion}\n\n${mark}`, editMessageId: messageId })
}
