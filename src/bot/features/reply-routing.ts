import { Composer } from 'grammy'
import type { Message } from 'grammy/types'
import type { StoredFile } from '#src/attachments/file-store.ts'
import type { Ticket } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { isDomainError } from '#src/errors.ts'
import { callback } from '#src/notify/callback-data.ts'
import { clip } from '#src/notify/notice-texts.ts'
import { getSetting } from '#src/settings/settings.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { addMessageFiles } from '#src/tickets/add-message-files.ts'
import { commentRating } from '#src/tickets/comment-rating.ts'
import { limits, statusLabels, textLength } from '#src/tickets/rules.ts'
import { replyTarget } from '#src/tickets/ticket-links-store.ts'
import { findTicket } from '#src/tickets/ticket-store.ts'
import type { BotContext } from '../context.ts'
import type { ChooseTicketState, ConversationState, RatingCommentState } from '../conversation-store.ts'
import { preparedFiles, reportFileProblems } from '../download-files.ts'
import { conversationTexts, isButton, keyboards, buttons as menuButtons } from '../texts.ts'
import { chatActor, openStatuses, rememberMessage, sayAboutTicket, ticketOfMessage } from './ticket-chat.ts'

/**
 * Messages of an active person that no dialogue took (PRODUCT.md §4): where do they land?
 *
 *   1. a later part of an album that already became a ticket message → its files join that message
 *      (parts that come after the album became a new ticket → one message on it; never a second answer);
 *   2. a Telegram reply to any message about ticket N (the bot's or their own) → ticket N;
 *   3. the next message after «Ответить» (or «Не решено») under ticket N → ticket N;
 *   4. the next text after a rating → the rating's comment;
 *   5. anything else, with open tickets → «К какой заявке это относится?», the message kept until the
 *      person picks one (never a guess); with none → an offer to file a new ticket.
 */
export const replyRouting = new Composer<BotContext>()

/** Flows of this feature: other flows' messages are never taken here. */
const ourFlows: ReadonlyArray<ConversationState['flow']> = [
  'reply_to',
  'choose_ticket',
  'rating_comment',
  'album_answered',
]

/** At most this many open tickets are offered as buttons (the newest first). */
const CHOICES_MAX = 8

replyRouting.on('message', async (ctx, next) => {
  const state = await ctx.conversation.get()
  if (state !== undefined && !ourFlows.includes(state.flow)) return next()
  const text = ctx.message.text
  // Commands and menu buttons nobody handled are for the fallback (the main menu), not for a ticket.
  const menu = [menuButtons.newTicket, menuButtons.myTickets, menuButtons.help]
  if (text?.startsWith('/') || menu.some((label) => isButton(text, label))) return next()

  const message = ctx.message
  if (await joinAlbum(ctx, message, state)) return

  const repliedTo = message.reply_to_message
  const repliedTicket = repliedTo ? await ticketOfMessage(ctx.tx, ctx.chatKey, repliedTo.message_id) : undefined
  if (repliedTicket !== undefined) {
    if (state?.flow === 'reply_to' || state?.flow === 'rating_comment') await ctx.conversation.clear()
    await fileOnTicket(ctx, repliedTicket, incoming(ctx, message))
    return
  }
  if (state?.flow === 'reply_to') {
    await ctx.conversation.clear()
    await fileOnTicket(ctx, state.ticketId, incoming(ctx, message))
    return
  }
  if (state?.flow === 'rating_comment') {
    if (text !== undefined) {
      await saveRatingComment(ctx, state, text)
      return
    }
    // Not a comment (a photo, say): the message is routed like any other.
    await ctx.conversation.clear()
  }
  await askWhichTicket(ctx, incoming(ctx, message), state?.flow === 'choose_ticket' ? state : undefined)
})

/** The text after a rating is its comment; one too long may be written again, shorter. */
async function saveRatingComment(ctx: BotContext, state: RatingCommentState, text: string): Promise<void> {
  const { actor } = chatActor(ctx)
  let ticket: Ticket
  try {
    ticket = await commentRating(ctx.tx, actor, { ticketId: state.ticketId, comment: text })
  } catch (error) {
    if (!isDomainError(error) || error.code !== 'validation') await ctx.conversation.clear()
    throw error
  }
  await ctx.conversation.clear()
  if (state.promptMessageId !== undefined && ticket.rating !== null) {
    // The rating message offered «Без комментария»: no longer.
    await sayAboutTicket(ctx, ticket, [conversationTexts.rated(ticket.rating)], {
      editMessageId: state.promptMessageId,
    })
  }
  await sayAboutTicket(ctx, ticket, [conversationTexts.ratingCommentSaved], { keyboard: keyboards.mainMenu })
}

/** What one message brings: its text or caption and the files downloaded before the transaction. */
interface Incoming {
  messageId: number
  body: string
  files: StoredFile[]
  mediaGroupId: string | undefined
}

function incoming(ctx: BotContext, message: Message): Incoming {
  return {
    messageId: message.message_id,
    body: message.text ?? message.caption ?? '',
    files: preparedFiles(ctx).files,
    mediaGroupId: message.media_group_id,
  }
}

/**
 * A later part of an album: Telegram sends each photo of an album as a message of its own. Its files
 * join the message the first part became, or the message waiting for the person's choice; parts of an
 * album already answered are never answered again.
 */
async function joinAlbum(ctx: BotContext, message: Message, state: ConversationState | undefined): Promise<boolean> {
  const group = message.media_group_id
  if (group === undefined) return false
  if (state?.flow === 'album_answered' && state.mediaGroupId === group) {
    // Nowhere to file (no open ticket): the state stays, so that every later part is silent too.
    if (state.ticketId === undefined) return true
    // The first late part files one message on the new ticket (one acknowledgement) and records the
    // album, so the parts after it join that message.
    await ctx.conversation.clear()
    await fileOnTicket(ctx, state.ticketId, incoming(ctx, message))
    return true
  }
  if (state?.flow === 'choose_ticket' && state.mediaGroupId === group) {
    const part = incoming(ctx, message)
    const body = joinedWithin(state.body, part.body)
    if (body === undefined) await ctx.say({ text: conversationTexts.messageTooLong(limits.body) })
    await ctx.conversation.set({ ...state, body: body ?? state.body, files: [...state.files, ...part.files] })
    await reportFileProblems(ctx)
    return true
  }
  const album = await ctx.tx
    .selectFrom('telegram_albums')
    .select(['ticket_id', 'message_id'])
    .where('chat_id', '=', ctx.chatKey)
    .where('media_group_id', '=', group)
    .executeTakeFirst()
  if (!album) return false
  const part = incoming(ctx, message)
  const { actor } = chatActor(ctx)
  if (part.files.length > 0)
    await addMessageFiles(ctx.tx, actor, { messageId: album.message_id, attachments: part.files })
  await rememberMessage(ctx.tx, ctx.chatKey, message.message_id, album.ticket_id)
  await reportFileProblems(ctx)
  return true
}

/** Files the message on the ticket as an external message and says so under the ticket's header. */
async function fileOnTicket(ctx: BotContext, addressed: number, part: Incoming): Promise<void> {
  // A duplicate merged into another ticket passes its replies on there (issue 13).
  const ticketId = await replyTarget(ctx.tx, addressed)
  const problems = await reportFileProblems(ctx)
  if (part.body.trim() === '' && part.files.length === 0) {
    if (!problems) await ctx.say({ text: conversationTexts.nothingToFile })
    return
  }
  const { actor } = chatActor(ctx)
  const filed = await addMessage(ctx.tx, actor, {
    ticketId,
    body: part.body,
    internal: false,
    attachments: part.files,
    source: ctx.scope.messenger,
  })
  if (part.mediaGroupId !== undefined) await recordAlbum(ctx, part.mediaGroupId, ticketId, filed.id)
  await rememberMessage(ctx.tx, ctx.chatKey, part.messageId, ticketId)
  const ticket = await findTicket(ctx.tx, ticketId)
  if (ticket) {
    await sayAboutTicket(ctx, ticket, [conversationTexts.messageFiled(part.files.length)], {
      keyboard: keyboards.mainMenu,
    })
  }
}

/** The album's later parts will find the ticket message its first part became. */
async function recordAlbum(ctx: BotContext, group: string, ticketId: number, messageId: number): Promise<void> {
  await ctx.tx
    .insertInto('telegram_albums')
    .values({
      chat_id: ctx.chatKey,
      media_group_id: group,
      ticket_id: ticketId,
      message_id: messageId,
      created_at: now(),
    })
    .onConflict((oc) => oc.columns(['chat_id', 'media_group_id']).doNothing())
    .execute()
}

/**
 * A free message: kept in the conversation with its files while the person picks the ticket; a second
 * free message before the choice joins the first.
 */
async function askWhichTicket(ctx: BotContext, part: Incoming, waiting: ChooseTicketState | undefined): Promise<void> {
  const problems = await reportFileProblems(ctx)
  if (part.body.trim() === '' && part.files.length === 0) {
    if (!problems) await ctx.say({ text: conversationTexts.nothingToFile })
    return
  }
  const body = joinedWithin(waiting?.body ?? '', part.body)
  if (body === undefined) {
    // Free messages join while the person has not chosen: one that would make the whole too long for a
    // ticket message is refused now, rather than the whole at the choice, again and again.
    await ctx.say({ text: conversationTexts.messageTooLong(limits.body) })
    return
  }
  const { person } = chatActor(ctx)
  const open = await ctx.tx
    .selectFrom('tickets')
    .select(['id', 'status', 'title'])
    .where('requester_id', '=', person.id)
    .where('status', 'in', openStatuses)
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .limit(CHOICES_MAX)
    .execute()
  if (open.length === 0) {
    // An album is told once, not once per item: its later items find this state and say nothing.
    if (part.mediaGroupId !== undefined) {
      await ctx.conversation.set({ flow: 'album_answered', mediaGroupId: part.mediaGroupId })
    } else await ctx.conversation.clear()
    await ctx.say({ text: conversationTexts.noOpenTickets, keyboard: keyboards.mainMenu })
    return
  }
  await ctx.conversation.set({
    flow: 'choose_ticket',
    body,
    files: [...(waiting?.files ?? []), ...part.files],
    ...(part.mediaGroupId !== undefined ? { mediaGroupId: part.mediaGroupId } : {}),
    ticketIds: open.map((t) => t.id),
  })
  const privacy = await getSetting(ctx.tx, 'privacy.no_pdn_in_telegram')
  await ctx.say({
    text: conversationTexts.whichTicket,
    buttons: [
      ...open.map((t) => [{ text: choiceLabel(t, privacy), callbackData: callback.ticket('file', t.id) }]),
      [{ text: menuButtons.cancel, callbackData: callback.cancel() }],
    ],
  })
}

/** Free messages waiting for the choice, joined; undefined when they would not fit in one ticket message. */
function joinedWithin(before: string, more: string): string | undefined {
  const body = [before, more].filter((b) => b !== '').join('\n')
  return textLength(body) > limits.body ? undefined : body
}

/** «№ 12 · В работе · Не печатает принтер» — without the title under the privacy setting. */
function choiceLabel(
  ticket: { id: number; status: keyof typeof statusLabels; title: string },
  privacy: boolean,
): string {
  const head = `№ ${ticket.id} · ${statusLabels[ticket.status]}`
  return privacy ? head : `${head} · ${clip(ticket.title, 40)}`
}

/**
 * Files the message kept in the conversation on the ticket the person picked (`t:file:N`); the question
 * becomes the acknowledgement. False when no message waits for this choice (an old or forged press).
 */
export async function fileChosen(ctx: BotContext, ticketId: number): Promise<boolean> {
  const state = await ctx.conversation.get()
  if (state?.flow !== 'choose_ticket' || !state.ticketIds.includes(ticketId)) return false
  const { actor } = chatActor(ctx)
  const filed = await addMessage(ctx.tx, actor, {
    ticketId,
    body: state.body,
    internal: false,
    attachments: state.files,
    source: ctx.scope.messenger,
  })
  await ctx.conversation.clear()
  if (state.mediaGroupId !== undefined) await recordAlbum(ctx, state.mediaGroupId, ticketId, filed.id)
  const ticket = await findTicket(ctx.tx, ticketId)
  const question = ctx.pressedMessageId
  if (ticket) {
    await sayAboutTicket(ctx, ticket, [conversationTexts.messageFiled(state.files.length)], {
      ...(question !== undefined ? { editMessageId: question } : {}),
    })
  }
  return true
}
