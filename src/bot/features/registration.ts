import { Composer } from 'grammy'
import type { User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { findDepartment, listDepartments } from '#src/departments/department-store.ts'
import { isDomainError } from '#src/errors.ts'
import { parseCallback } from '#src/notify/callback-data.ts'
import { systemActor } from '#src/users/actor.ts'
import { currentConsentText } from '#src/users/consent.ts'
import { NAME_MAX, normalizePhone } from '#src/users/fields.ts'
import { refuseConsent } from '#src/users/refuse-consent.ts'
import { registerUser } from '#src/users/register-user.ts'
import type { BotContext } from '../context.ts'
import type { RegistrationState } from '../conversation-store.ts'
import { buttons, consentAnswered, consentPrompt, departmentPicker, isButton, keyboards, texts } from '../texts.ts'

/**
 * Registration through the bot (PRODUCT.md §2, COMPLIANCE.md §1): /start → consent → phone (the share
 * contact button, the sender's own) → ФИО → отделение (paged buttons) → должность → кабинет (optional)
 * → registerUser → pending. One question per message; the state lives in bot_conversations.
 *
 * This composer is also the gate for people who are not active: pending, rejected and deactivated
 * people are told where they stand, and only active people reach the features after it.
 */
export const registration = new Composer<BotContext>()

registration.command('start', async (ctx) => {
  const person = ctx.person
  if (person && person.status !== 'rejected') {
    await ctx.conversation.clear()
    await tellStatus(ctx, person)
    return
  }
  await beginRegistration(ctx)
})

registration.callbackQuery(/^c:/, async (ctx) => {
  const parsed = parseCallback(ctx.callbackQuery.data)
  const state = await ctx.conversation.get()
  if (parsed?.kind !== 'consent' || !mayRegister(ctx.person)) {
    ctx.answerLater(texts.staleButton)
    return
  }
  if (state?.flow !== 'registration' || state.step !== 'consent') {
    ctx.answerLater(texts.consentStale, true)
    return
  }
  const consent = await ctx.tx
    .selectFrom('consent_texts')
    .select(['id', 'text'])
    .where('id', '=', state.consentTextId)
    .executeTakeFirst()
  if (!consent) {
    await ctx.conversation.clear()
    ctx.answerLater(texts.consentStale, true)
    return
  }
  const messageId = ctx.callbackQuery.message?.message_id ?? 0
  const edit = ctx.pressedMessageId
  const agreed = parsed.parts[1] === 'yes'
  if (edit !== undefined) await ctx.say(consentAnswered(consent.text, agreed, edit))
  ctx.answerLater()
  if (!agreed) {
    await ctx.conversation.clear()
    await refuseConsent(ctx.tx, {
      consentTextId: consent.id,
      channel: 'bot',
      evidence: { update_id: ctx.update.update_id, message_id: messageId },
    })
    await ctx.say({ text: texts.consentRefused, keyboard: 'remove' })
    return
  }
  await ctx.conversation.set({
    ...state,
    step: 'phone',
    evidence: { update_id: ctx.update.update_id, message_id: messageId, date: now() },
  })
  await ctx.say({ text: texts.askPhone, keyboard: keyboards.phone })
})

registration.callbackQuery(/^d:/, async (ctx) => {
  const parsed = parseCallback(ctx.callbackQuery.data)
  const state = await ctx.conversation.get()
  if (
    parsed?.kind !== 'department' ||
    !mayRegister(ctx.person) ||
    state?.flow !== 'registration' ||
    state.step !== 'department'
  ) {
    ctx.answerLater(texts.staleButton)
    return
  }
  const [, action, value] = parsed.parts
  ctx.answerLater()
  if (action === 'page') {
    await showDepartments(ctx, value, ctx.pressedMessageId)
    return
  }
  const department = await findDepartment(ctx.tx, value)
  if (!department || Number(department.active) !== 1) {
    ctx.answerLater(texts.departmentGone, true)
    await showDepartments(ctx, 0, ctx.pressedMessageId)
    return
  }
  await ctx.conversation.set({ ...state, step: 'position', departmentId: department.id })
  const edit = ctx.pressedMessageId
  if (edit !== undefined) await ctx.say({ text: texts.departmentChosen(department.name), editMessageId: edit })
  await ctx.say({ text: texts.askPosition, keyboard: keyboards.cancelOnly })
})

/** Messages: the next step of a registration, or where a person who is not active stands. */
registration.on('message', async (ctx, next) => {
  const person = ctx.person
  const state = await ctx.conversation.get()
  if (state?.flow === 'registration') {
    if (!mayRegister(person)) {
      // Registered meanwhile (another device, an admin): the half-finished dialogue is moot.
      await ctx.conversation.clear()
      if (person) await tellStatus(ctx, person)
      return
    }
    await continueRegistration(ctx, state)
    return
  }
  if (!person) {
    // Someone new who wrote before /start: the same greeting and consent.
    await beginRegistration(ctx)
    return
  }
  if (person.status !== 'active') {
    await tellStatus(ctx, person)
    return
  }
  await next()
})

/** Buttons pressed by people who are not active: nothing behind them is theirs yet. */
registration.on('callback_query', async (ctx, next) => {
  if (ctx.person?.status === 'active') {
    await next()
    return
  }
  ctx.answerLater(ctx.person?.status === 'pending' ? texts.awaitingConfirmation : texts.notAllowed, true)
})

// ---------------------------------------------------------------- steps

function mayRegister(person: User | undefined): boolean {
  return person === undefined || person.status === 'rejected'
}

async function beginRegistration(ctx: BotContext): Promise<void> {
  const consent = await currentConsentText(ctx.tx)
  await ctx.conversation.set({ flow: 'registration', step: 'consent', consentTextId: consent.id })
  for (const message of consentPrompt(consent.text)) await ctx.say(message)
}

/** Tells a known person where they stand; an active one gets the main menu. */
export async function tellStatus(ctx: BotContext, person: User): Promise<void> {
  switch (person.status) {
    case 'pending':
      await ctx.say({ text: texts.awaitingConfirmation })
      return
    case 'rejected':
      await ctx.say({ text: texts.rejected(person.rejection_reason), keyboard: 'remove' })
      return
    case 'deactivated':
      await ctx.say({ text: texts.deactivated, keyboard: 'remove' })
      return
    case 'active':
      await ctx.say({ text: texts.mainMenu, keyboard: keyboards.mainMenu })
      return
  }
}

async function showDepartments(ctx: BotContext, page: number, editMessageId?: number): Promise<void> {
  const departments = await listDepartments(ctx.tx, { activeOnly: true })
  if (departments.length === 0) {
    await ctx.say({ text: texts.noDepartments })
    return
  }
  await ctx.say(departmentPicker(departments, page, editMessageId))
}

async function continueRegistration(ctx: BotContext, state: RegistrationState): Promise<void> {
  const message = ctx.message
  if (!message) return
  const text = message.text
  if (text?.startsWith('/')) {
    await ctx.say({ text: texts.finishRegistrationFirst })
    return
  }
  switch (state.step) {
    case 'consent':
      await ctx.say({ text: texts.consentPressButton })
      return
    case 'phone': {
      const contact = message.contact
      if (!contact) {
        await ctx.say({ text: texts.askPhone, keyboard: keyboards.phone })
        return
      }
      // Anyone's contact can be forwarded; only the sender's own number proves anything.
      if (contact.user_id === undefined || contact.user_id !== ctx.from?.id) {
        await ctx.say({ text: texts.phoneNotOwn, keyboard: keyboards.phone })
        return
      }
      let phone: string
      try {
        phone = normalizePhone(contact.phone_number)
      } catch (error) {
        if (!isDomainError(error)) throw error
        await ctx.say({ text: texts.phoneInvalid, keyboard: keyboards.phone })
        return
      }
      await ctx.conversation.set({ ...state, step: 'name', phone })
      await ctx.say({ text: texts.askName, keyboard: keyboards.cancelOnly })
      return
    }
    case 'name': {
      const fullName = text === undefined ? undefined : validFullName(text)
      if (fullName === undefined) {
        await ctx.say({ text: text === undefined ? texts.textExpected : texts.nameInvalid })
        return
      }
      await ctx.conversation.set({ ...state, step: 'department', fullName })
      await showDepartments(ctx, 0)
      return
    }
    case 'department':
      await ctx.say({ text: texts.departmentPressButton })
      return
    case 'position': {
      const position = text === undefined ? undefined : validLine(text, 2)
      if (position === undefined) {
        await ctx.say({ text: text === undefined ? texts.textExpected : texts.positionInvalid })
        return
      }
      await ctx.conversation.set({ ...state, step: 'room', position })
      await ctx.say({ text: texts.askRoom, keyboard: keyboards.skipOrCancel })
      return
    }
    case 'room': {
      if (text === undefined) {
        await ctx.say({ text: texts.textExpected })
        return
      }
      const room = isButton(text, buttons.skip) ? null : validLine(text, 1)
      if (room === undefined) {
        await ctx.say({ text: texts.roomInvalid })
        return
      }
      await fileRegistration(ctx, state, room)
      return
    }
  }
}

async function fileRegistration(ctx: BotContext, state: RegistrationState, room: string | null): Promise<void> {
  const { evidence, phone, fullName, departmentId, position } = state
  if (!evidence || !phone || !fullName || !position || departmentId === undefined) {
    // A state from an interrupted older flow: ask again from the start rather than file half a form.
    await beginRegistration(ctx)
    return
  }
  const department = await findDepartment(ctx.tx, departmentId)
  if (!department || Number(department.active) !== 1) {
    await ctx.conversation.set({ ...state, step: 'department' })
    await ctx.say({ text: texts.departmentGone })
    await showDepartments(ctx, 0)
    return
  }
  try {
    ctx.person = await registerUser(ctx.tx, systemActor('bot'), {
      fullName,
      phone,
      departmentId,
      position,
      room,
      telegramChatId: ctx.chatKey,
      telegramUsername: ctx.from?.username ?? null,
      consentTextId: state.consentTextId,
      evidence,
    })
  } catch (error) {
    if (!isDomainError(error) || error.code !== 'conflict') throw error
    await ctx.conversation.clear()
    await ctx.say({ text: error.message, keyboard: 'remove' })
    return
  }
  await ctx.conversation.clear()
  await ctx.say({ text: texts.registrationSent, keyboard: 'remove' })
}

/** ФИО: 2..200 characters, at least two words, letters in it. */
export function validFullName(text: string): string | undefined {
  const name = validLine(text, 2)
  if (name === undefined || name.split(' ').length < 2) return undefined
  return name
}

/** One line of text with a letter or digit in it, spaces collapsed, `min`..200 characters. */
function validLine(text: string, min: number): string | undefined {
  const line = text.trim().replace(/\s+/g, ' ')
  const length = [...line].length
  if (length < min || length > NAME_MAX || !/[\p{L}\p{N}]/u.test(line)) return undefined
  return line
}
