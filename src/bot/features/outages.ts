import { Composer } from 'grammy'
import { parseCallback } from '#src/notify/callback-data.ts'
import type { BotContext } from '../context.ts'
import { answerOutageOffer, optOutOfOutages } from '../outage-offer.ts'
import { texts } from '../texts.ts'

/**
 * The buttons of «Массовый сбой» (issue 14, bot/outage-offer.ts): «У меня тоже» / «Нет, у меня другое» under the
 * offer in «Новая заявка», and «Не присылать такие объявления» under an announcement. Only active people reach it.
 */
export const outages = new Composer<BotContext>()

outages.callbackQuery(/^o:/, async (ctx) => {
  const parsed = parseCallback(ctx.callbackQuery.data)
  if (ctx.person?.status !== 'active' || (parsed?.kind !== 'outageAnswer' && parsed?.kind !== 'outageOptOut')) {
    ctx.answerLater(texts.staleButton)
    return
  }
  if (parsed.kind === 'outageOptOut') {
    ctx.answerLater()
    await optOutOfOutages(ctx)
    return
  }
  const state = await ctx.conversation.get()
  if (
    state?.flow !== 'new_ticket' ||
    state.step !== 'describe' ||
    state.categoryId === undefined ||
    state.description !== undefined
  ) {
    ctx.answerLater(texts.staleButton)
    return
  }
  ctx.answerLater()
  await answerOutageOffer(ctx, { ...state, categoryId: state.categoryId }, parsed.parts[1], parsed.parts[2])
})
