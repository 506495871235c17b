import { Composer } from 'grammy'
import type { BotContext } from '../context.ts'
import type { ConversationState } from '../conversation-store.ts'
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
  await ctx.say({ text: cancelledText(state), keyboard: active ? keyboards.mainMenu : 'remove' })
}

/** What was given up, in the words of the dialogue that was going on. */
function cancelledText(state: ConversationState | undefined): string {
  switch (state?.flow) {
    case undefined:
    // Nothing waits for the person: later items of an answered album are taken silently anyway.
    case 'album_answered':
      return texts.nothingToCancel
    case 'registration':
      return texts.registrationCancelled
    case 'reject_reason':
      return texts.rejectionCancelled
    case 'approval_reason':
      return texts.approvalRejectionCancelled
    case 'new_ticket':
      return texts.newTicketCancelled
    case 'reply_to':
      return texts.replyCancelled
    case 'choose_ticket':
      return texts.choiceCancelled
    case 'rating_comment':
      return texts.ratingCommentCancelled
  }
}

cancel.command('cancel', cancelDialogue)
cancel.callbackQuery('x', cancelDialogue)
cancel.on('message:text').filter((ctx) => isButton(ctx.message.text, buttons.cancel), cancelDialogue)
