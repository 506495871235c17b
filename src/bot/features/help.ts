import { Composer } from 'grammy'
import type { BotContext } from '../context.ts'
import { buttons, helpText, isButton, keyboards, texts } from '../texts.ts'

/** `/help` and «Помощь»: what the bot does, in plain Russian, for everyone (registered or not). */
export const help = new Composer<BotContext>()

async function showHelp(ctx: BotContext): Promise<void> {
  await ctx.say({
    text: helpText(ctx.scope.messenger),
    ...(ctx.person?.status === 'active' ? { keyboard: keyboards.mainMenu } : {}),
  })
}

help.command('help', showHelp)
help.on('message:text').filter((ctx) => isButton(ctx.message.text, buttons.help), showHelp)

/**
 * The last stop: whatever no feature took. A stale or unknown button is answered politely; a message
 * from an active person gets the main menu.
 */
export const fallback = new Composer<BotContext>()

fallback.on('callback_query', (ctx) => {
  ctx.answerLater(texts.staleButton)
})

fallback.on('message', async (ctx) => {
  await ctx.say({ text: texts.mainMenu, keyboard: keyboards.mainMenu })
})
