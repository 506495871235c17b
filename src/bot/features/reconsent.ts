import { Composer } from 'grammy'
import { isDomainError } from '#src/errors.ts'
import { parseCallback } from '#src/notify/callback-data.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { consentToAsk } from '#src/users/consent.ts'
import { renewConsent } from '#src/users/renew-consent.ts'
import { withdrawConsent } from '#src/users/withdraw-consent.ts'
import type { BotContext } from '../context.ts'
import { accountTexts, keyboards, reconsentPrompt, reconsentTexts, texts } from '../texts.ts'

/**
 * Consent before anything else (issue 10, COMPLIANCE.md §1): an active person whose latest consent is to an
 * older version is shown the new one at their next message and keeps working only after «Согласен»
 * (`a:<textId>:yes`, the evidence: update_id and message_id); «Не согласен» is a withdrawal, the same as
 * /revoke. Someone with no consent in force (an account made on the web, by an admin or by an import) is
 * asked the same way for the first time; their «Не согласен» withdraws nothing and they are asked again at
 * their next message. /revoke, /login, /help and /cancel still answer (they run before this gate).
 */
export const reconsent = new Composer<BotContext>()

reconsent.callbackQuery(/^a:/, async (ctx) => {
  const parsed = parseCallback(ctx.callbackQuery.data)
  const person = ctx.person
  if (parsed?.kind !== 'reconsent' || person?.status !== 'active') {
    ctx.answerLater(texts.staleButton)
    return
  }
  const [, consentTextId, answer] = parsed.parts
  const actor = actorFromUser(person, 'bot')
  const evidence = { update_id: ctx.update.update_id, message_id: ctx.callbackQuery.message?.message_id ?? 0 }
  if (answer === 'no' && (await consentToAsk(ctx.tx, person.id))?.first) {
    await markQuestion(ctx, reconsentTexts.declinedMark, reconsentTexts.firstQuestion)
    ctx.answerLater()
    await ctx.say({ text: reconsentTexts.withoutConsent, keyboard: 'remove' })
    return
  }
  if (answer === 'no') {
    const { user } = await withdrawConsent(ctx.tx, actor, { userId: person.id, evidence })
    ctx.person = user
    await ctx.conversation.clear()
    await markQuestion(ctx, reconsentTexts.refusedMark)
    ctx.answerLater()
    await ctx.say({ text: accountTexts.withdrawn, keyboard: 'remove' })
    return
  }
  try {
    await renewConsent(ctx.tx, actor, { userId: person.id, consentTextId, channel: 'bot', evidence })
  } catch (error) {
    // A newer text was published after this one was shown: the person reads that one instead.
    if (!isDomainError(error) || error.code !== 'conflict') throw error
    await markQuestion(ctx, reconsentTexts.changed)
    ctx.answerLater(reconsentTexts.changed, true)
    const asked = await consentToAsk(ctx.tx, person.id)
    if (asked) for (const message of reconsentPrompt(asked.text, asked.first)) await ctx.say(message)
    return
  }
  await markQuestion(ctx, reconsentTexts.agreedMark)
  ctx.answerLater()
  await ctx.say({ text: reconsentTexts.thanks, keyboard: keyboards.mainMenu })
})

/** The gate: an active person without a consent to the text in force gets it, and nothing else happens. */
reconsent.use(async (ctx, next) => {
  const person = ctx.person
  if (person?.status !== 'active') return next()
  const asked = await consentToAsk(ctx.tx, person.id)
  if (!asked) return next()
  if (ctx.callbackQuery) {
    ctx.answerLater(reconsentTexts.answerFirst, true)
    return
  }
  for (const message of reconsentPrompt(asked.text, asked.first)) await ctx.say(message)
})

/** The question with the answer under it and no buttons left to press twice. */
async function markQuestion(ctx: BotContext, mark: string, question: string = reconsentTexts.question): Promise<void> {
  const messageId = ctx.pressedMessageId
  if (messageId === undefined) return
  await ctx.say({ text: `${question}\n\n${mark}`, editMessageId: messageId })
}
