import { Composer } from 'grammy'
import type { BotContext } from '../context.ts'
import { buttons, isButton, keyboards, texts } from '../texts.ts'

/**
 * `/cancel`, the «Отмена» reply button and the inline «Отмена» (`x`): at every step of every dialogue,
 * the state is cleared and the person is told so. Runs before every feature.
 */
export const cancel = new Composer<BotContext>()

async function cancelDialogue(ctx: BotContext): Promise<void> {
  const state = await ctx.conversation.get()
  await ctx.conversation.clear()
  const pressed = ctx.callbackQuery ? ctx.pressedMessageId : undefined
  if (ctx.callbackQuery) ctx.answerLater()
  if (pressed !== undefined) await ctx.say({ text: texts.cancelled, editMessageId: pressed })
  const active = ctx.person?.status === 'active'
  const text =
    state === undefined
      ? texts.nothingToCancel
      : state.flow === 'registration'
        ? texts.registrationCancelled
        : state.flow === 'reject_reason'
          ? texts.rejectionCancelled
          : texts.cancelled
  await ctx.say({ text, keyboard: active ? keyboards.mainMenu : 'remove' })
}

cancel.command('cancel', cancelDialogue)
cancel.callbackQuery('x', cancelDialogue)
cancel.on('message:text').filter((ctx) => isButton(ctx.message.text, buttons.cancel), cancelDialogue)
