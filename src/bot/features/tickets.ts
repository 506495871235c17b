import { Composer } from 'grammy'
import type { BotContext } from '../context.ts'
import { myTickets } from './my-tickets.ts'
import { noticeButtons } from './notice-buttons.ts'
import { replyRouting } from './reply-routing.ts'

/**
 * Talking about tickets in the chat (PRODUCT.md §4), after «Новая заявка» (new-ticket.ts) had its turn:
 * «Мои заявки», the buttons under notices, and where a person's messages land. Only active people reach
 * this composer (the registration composer is the gate before it).
 */
export const tickets = new Composer<BotContext>()

tickets.use(myTickets, noticeButtons, replyRouting)
