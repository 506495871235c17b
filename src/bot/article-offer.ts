import { isDomainError } from '#src/errors.ts'
import { type ArticleRow, excerptOf, listArticleRows } from '#src/knowledge/article-store.ts'
import { recordArticleFeedback } from '#src/knowledge/record-article-feedback.ts'
import { suggestArticles } from '#src/knowledge/suggest-articles.ts'
import { callback } from '#src/notify/callback-data.ts'
import type { BotButton, BotMessage } from '#src/notify/outbox.ts'
import { actorFromUser } from '#src/users/actor.ts'
import type { BotContext } from './context.ts'
import type { NewTicketState } from './conversation-store.ts'
import { articleOfferButtons, articleOfferTexts, buttons } from './texts.ts'

/** Characters of an article's text shown in the offer: enough to try it from the phone, short of a wall. */
const EXCERPT_CHARS = 400

/**
 * «Попробуйте: …» (issue 14): the articles that may answer the problem just described, each its title, its
 * address on the hospital's web (`BASE_URL/kb/<id>`) and the start of its text without Markdown (articles hold no
 * personal data: fine under «ПДн не передаются в Telegram»), with «Помогло» and «Нет, создать заявку». Several
 * articles: one «Помогло» per article, by its number. `answered`: the same text without buttons (once pressed).
 */
function articleOfferMessage(
  articles: readonly Pick<ArticleRow, 'id' | 'title' | 'body'>[],
  baseUrl: string,
  options: { answered?: boolean; editMessageId?: number | undefined } = {},
): BotMessage {
  const numbered = articles.length > 1
  const blocks = articles.map((article, index) =>
    [
      `${numbered ? `${index + 1}. ` : ''}${article.title}`,
      `${baseUrl}/kb/${article.id}`,
      excerptOf(article.body, EXCERPT_CHARS),
    ].join('\n'),
  )
  const text = [
    articleOfferTexts.intro,
    ...blocks,
    options.answered ? articleOfferTexts.answered : articleOfferTexts.after,
  ].join('\n\n')
  const helped: BotButton[][] = articles.map((article, index) => [
    {
      text: numbered ? articleOfferButtons.helpedNumber(index + 1) : articleOfferButtons.helped,
      callbackData: callback.articleHelped(article.id),
    },
  ])
  return {
    text,
    ...(options.answered
      ? {}
      : {
          buttons: [
            ...helped,
            [{ text: articleOfferButtons.notHelped, callbackData: callback.articleNotHelped() }],
            [{ text: buttons.cancel, callbackData: callback.cancel() }],
          ],
        }),
    ...(options.editMessageId !== undefined ? { editMessageId: options.editMessageId } : {}),
  }
}

/**
 * After the description (features/new-ticket.ts): offers the public articles that may answer it, and the dialogue
 * waits at `suggest`. False when none fits: the dialogue goes on to the urgency exactly as without a knowledge base.
 */
export async function offerArticles(ctx: BotContext, state: NewTicketState): Promise<boolean> {
  if (state.categoryId === undefined || !state.description) return false
  const articles = await suggestArticles(ctx.tx, { categoryId: state.categoryId, description: state.description })
  if (articles.length === 0) return false
  await ctx.conversation.set({ ...state, step: 'suggest', articleIds: articles.map((a) => a.id) })
  await ctx.say(articleOfferMessage(articles, ctx.scope.config.baseUrl))
  return true
}

/**
 * «Помогло» (`helpedId`: the article) or «Нет, создать заявку» (undefined), counted on the articles (journaled);
 * the offer loses its buttons. Articles removed or made internal since the offer are left uncounted and unshown.
 */
export async function answerArticleOffer(
  ctx: BotContext,
  state: NewTicketState,
  helpedId: number | undefined,
): Promise<void> {
  const person = ctx.person
  const offered = state.articleIds ?? []
  if (person) {
    try {
      await recordArticleFeedback(ctx.tx, actorFromUser(person, 'bot'), {
        articleIds: helpedId === undefined ? offered : [helpedId],
        helpful: helpedId !== undefined,
      })
    } catch (error) {
      // Removed or made internal since: nothing to count (the use case's savepoint has rolled back alone).
      if (!isDomainError(error) || error.code !== 'not_found') throw error
    }
  }
  const edit = ctx.pressedMessageId
  if (edit === undefined) return
  // Shown again as offered, less any removed or made internal since: an internal text never reaches a requester.
  const still = await listArticleRows(ctx.tx, { includeInternal: false, ids: offered })
  const articles = offered.flatMap((id) => still.filter((a) => a.id === id))
  await ctx.say(articleOfferMessage(articles, ctx.scope.config.baseUrl, { answered: true, editMessageId: edit }))
}
