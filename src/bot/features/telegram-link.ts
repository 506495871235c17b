import { Composer } from 'grammy'
import { redeemTelegramLink } from '#src/users/telegram-link.ts'
import type { BotContext } from '../context.ts'
import { keyboards, telegramLinkTexts } from '../texts.ts'

/**
 * `/start link_<code>` (issue 9): the deep link from the web profile, or the command typed by hand, binds
 * this chat to the account the code was issued to. Runs before the registration that owns /start: a
 * person with a web account never has to register in the bot. A refusal (a wrong, used or expired code,
 * a chat of another account, too many guesses) is the use case's Russian message, and nothing changes.
 */
export const telegramLink = new Composer<BotContext>()

const LINK_PAYLOAD = /^link[_-]?(.+)$/i

telegramLink.command('start', async (ctx, next) => {
  const code = LINK_PAYLOAD.exec(ctx.match.trim())?.[1]
  if (code === undefined) {
    await next()
    return
  }
  const result = await redeemTelegramLink(ctx.tx, {
    code,
    chatId: ctx.chatKey,
    telegramUsername: ctx.from?.username ?? null,
    secretKey: ctx.scope.config.secretKey,
    updateId: ctx.update.update_id,
  })
  ctx.person = result.user
  // A half-finished registration or dialogue of this chat is moot now.
  await ctx.conversation.clear()
  const account = result.user.login ?? `№ ${result.user.id}`
  await ctx.say({
    text: result.unchanged
      ? telegramLinkTexts.alreadyLinked(account, ctx.scope.messenger)
      : telegramLinkTexts.linked(account, ctx.scope.messenger),
    keyboard: keyboards.mainMenu,
  })
})
