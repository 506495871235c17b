import { Composer } from 'grammy'
import type { BotContext } from '../context.ts'
import { buttons, isButton, keyboards, texts } from '../texts.ts'

/**
 * Tickets from the chat (PRODUCT.md §4): «Новая заявка» / `/new`, «Мои заявки» / `/my`, replies about a
 * ticket. Owned by the tickets part of the bot (helper T3), which replaces this placeholder; until then
 * both menu entries answer with the help text. Only active people reach this composer (the registration
 * composer is the gate before it).
 */
export const tickets = new Composer<BotContext>()

async function placeholder(ctx: BotContext): Promise<void> {
  await ctx.say({ text: texts.help, keyboard: keyboards.mainMenu })
}

tickets.command(['new', 'my'], placeholder)
tickets
  .on('message:text')
  .filter(
    (ctx) => isButton(ctx.message.text, buttons.newTicket) || isButton(ctx.message.text, buttons.myTickets),
    placeholder,
  )
