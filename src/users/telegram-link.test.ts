import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { clockAt } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { auditRows, dataSnapshot, journalOf, outboxOf, userRow } from '../../test/support/state.ts'
import { actorFromUser } from './actor.ts'
import {
  issueTelegramLink,
  normalizeCode,
  redeemTelegramLink,
  TELEGRAM_LINK_MINUTES,
  telegramLinkMessages,
  telegramLinkThrottle,
  telegramLinkUrl,
  unlinkTelegram,
} from './telegram-link.ts'

const secretKey = 'test-secret-key-0123456789abcdef0123456789abcdef'
const MINUTE = 60_000

/** An account made on the web: a login and no Telegram. */
async function webAccount(db: Db, overrides: Parameters<typeof buildUser>[1] = {}) {
  return buildActor(
    db,
    { login: `web${Math.random().toString(36).slice(2, 8)}`, telegramChatId: null, ...overrides },
    'web',
  )
}

function redeem(db: Db, code: string, chatId: string, throttle = telegramLinkThrottle()) {
  return redeemTelegramLink(db, { code, chatId, telegramUsername: 'ivanova_tg', secretKey, updateId: 77 }, throttle)
}

/** Everything a refusal must leave as it was: the users' tables and the codes. */
async function state(db: Db) {
  return {
    ...(await dataSnapshot(db)),
    links: (await db.selectFrom('telegram_links').selectAll().execute()).map((r) => JSON.stringify(r)),
  }
}

describe('linking Telegram to a web account', () => {
  test('a code is 10 characters of base32 kept only as a digest; a new one replaces the older; journaled', async () => {
    const { db } = await testDatabase()
    clockAt(0)
    const { user, actor } = await webAccount(db)
    const first = await issueTelegramLink(db, actor, { secretKey })
    const second = await issueTelegramLink(db, actor, { secretKey })

    expect(second.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{10}$/)
    expect(second.expiresAt).toBe(new Date(Date.parse('2026-03-02T08:00:00.000Z') + 15 * MINUTE).toISOString())
    const rows = await db.selectFrom('telegram_links').selectAll().execute()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ user_id: user.id, used_at: null, expires_at: second.expiresAt })
    expect(JSON.stringify(rows)).not.toContain(second.code)
    expect(TELEGRAM_LINK_MINUTES).toBe(15)

    await expect(redeem(db, first.code, '5001')).rejects.toMatchObject({ message: telegramLinkMessages.unknown })
    const journal = await journalOf(db, 'user.telegram_link.create')
    expect(journal).toHaveLength(2)
    expect(journal[0]).toMatchObject({ actor_id: user.id, subject_id: user.id, channel: 'web' })
    expect(JSON.stringify(await auditRows(db))).not.toContain(second.code)
    expect(telegramLinkUrl('helpdesk_bot', second.code)).toBe(`https://t.me/helpdesk_bot?start=link_${second.code}`)
  })

  test('redeeming binds the chat, spends the code and is journaled without the chat id; a reuse is refused', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await webAccount(db)
    const { code } = await issueTelegramLink(db, actor, { secretKey })

    // Typed by hand: lower case, with a dash, O for 0 and l for 1 all still match.
    const typed = `${code.slice(0, 5)}-${code.slice(5)}`.toLowerCase().replaceAll('0', 'o').replaceAll('1', 'l')
    expect(normalizeCode(typed)).toBe(code)
    // Chat ids here are nine digits long: the journal's hashes are hex, and a four-digit id turns up in
    // one of them by chance often enough to fail a run now and then.
    const result = await redeem(db, typed, '700500200')
    expect(result).toMatchObject({ replaced: false, unchanged: false, user: { id: user.id } })
    expect(await userRow(db, user.id)).toMatchObject({
      telegram_chat_id: '700500200',
      telegram_username: 'ivanova_tg',
      telegram_blocked_at: null,
    })
    const [linked] = await journalOf(db, 'user.telegram_link.use')
    expect(linked).toMatchObject({ actor_id: user.id, subject_id: user.id, channel: 'bot', pdn_related: 1 })
    expect(JSON.parse(linked?.details ?? '{}')).toMatchObject({ replaced: false, movedFromUserId: null, updateId: 77 })
    expect(JSON.stringify(await auditRows(db))).not.toContain('700500200')

    const before = await state(db)
    await expect(redeem(db, code, '5003')).rejects.toMatchObject({
      code: 'validation',
      message: telegramLinkMessages.used,
    })
    expect(await state(db)).toEqual(before)
    expect((await userRow(db, user.id)).telegram_chat_id).toBe('700500200')
    const [refused] = await journalOf(db, 'user.telegram_link.refused', 'denied')
    expect(JSON.parse(refused?.details ?? '{}')).toMatchObject({ reason: 'used' })
  })

  test('an expired code is refused and changes nothing', async () => {
    const { db } = await testDatabase()
    clockAt(0)
    const { user, actor } = await webAccount(db)
    const { code } = await issueTelegramLink(db, actor, { secretKey })
    clockAt(15 * MINUTE)
    const before = await state(db)
    await expect(redeem(db, code, '5004')).rejects.toMatchObject({
      code: 'validation',
      message: telegramLinkMessages.expired,
    })
    expect(await state(db)).toEqual(before)
    expect((await userRow(db, user.id)).telegram_chat_id).toBeNull()
    const [refused] = await journalOf(db, 'user.telegram_link.refused', 'denied')
    expect(refused).toMatchObject({ subject_id: null, actor_id: null, channel: 'bot' })
    expect(JSON.parse(refused?.details ?? '{}')).toMatchObject({ reason: 'expired' })
  })

  test('a chat of another active or pending account is refused; the code stays usable from the right chat', async () => {
    const { db } = await testDatabase()
    const other = await buildUser(db, { telegramChatId: '5010' })
    const pending = await buildUser(db, { telegramChatId: '5011', status: 'pending' })
    const { user, actor } = await webAccount(db)
    const { code } = await issueTelegramLink(db, actor, { secretKey })

    const before = await state(db)
    await expect(redeem(db, code, '5010')).rejects.toMatchObject({
      code: 'conflict',
      message: telegramLinkMessages.chatTaken,
    })
    await expect(redeem(db, code, '5011')).rejects.toMatchObject({
      code: 'conflict',
      message: telegramLinkMessages.chatPending,
    })
    expect(await state(db)).toEqual(before)
    const refusals = await journalOf(db, 'user.telegram_link.refused', 'denied')
    expect(refusals.map((r) => [r.subject_id, JSON.parse(r.details ?? '{}').reason])).toEqual([
      [user.id, 'chatTaken'],
      [user.id, 'chatPending'],
    ])
    expect(JSON.parse(refusals[0]?.details ?? '{}')).toMatchObject({ otherUserId: other.id })
    expect(JSON.parse(refusals[1]?.details ?? '{}')).toMatchObject({ otherUserId: pending.id })

    await redeem(db, code, '5012')
    expect((await userRow(db, user.id)).telegram_chat_id).toBe('5012')
    expect((await userRow(db, other.id)).telegram_chat_id).toBe('5010')
  })

  test('a chat left on a deactivated account moves; relinking replaces the old chat, which is told; both journaled', async () => {
    const { db } = await testDatabase()
    const gone = await buildUser(db, { telegramChatId: '700502000', status: 'deactivated' })
    const { user, actor } = await webAccount(db, { telegramChatId: '700502100' })
    const { code } = await issueTelegramLink(db, actor, { secretKey })

    const result = await redeem(db, code, '700502000')
    expect(result).toMatchObject({ replaced: true, unchanged: false })
    expect((await userRow(db, user.id)).telegram_chat_id).toBe('700502000')
    expect(await userRow(db, gone.id)).toMatchObject({ telegram_chat_id: null, telegram_username: null })
    const [moved] = await journalOf(db, 'user.telegram_unlink')
    expect(moved).toMatchObject({ subject_id: gone.id, actor_id: user.id, pdn_related: 1 })
    expect(JSON.parse(moved?.details ?? '{}')).toMatchObject({ reason: 'moved', toUserId: user.id })
    const [linked] = await journalOf(db, 'user.telegram_link.use')
    expect(JSON.parse(linked?.details ?? '{}')).toMatchObject({ replaced: true, movedFromUserId: gone.id })
    const told = await outboxOf(db, 'bot_message')
    expect(told.map((m) => m.recipient)).toEqual(['700502100'])
    expect(JSON.stringify(told[0]?.payload)).toContain('привязана к другому Telegram')
    const journal = JSON.stringify(await auditRows(db))
    expect(journal).not.toContain('700502000')
    expect(journal).not.toContain('700502100')
  })

  test('a code of an account deactivated since is refused', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await webAccount(db)
    const { code } = await issueTelegramLink(db, actor, { secretKey })
    await db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', user.id).execute()
    await expect(redeem(db, code, '5030')).rejects.toMatchObject({
      code: 'forbidden',
      message: telegramLinkMessages.inactive,
    })
    expect((await userRow(db, user.id)).telegram_chat_id).toBeNull()
    await expect(
      issueTelegramLink(db, actorFromUser(await userRow(db, user.id), 'web'), { secretKey }),
    ).rejects.toMatchObject({ code: 'forbidden' })
  })

  test('guesses are throttled per chat: after 5 wrong codes even the right one waits; another chat is not held', async () => {
    const { db } = await testDatabase()
    clockAt(0)
    const throttle = telegramLinkThrottle()
    const { user, actor } = await webAccount(db)
    const { code } = await issueTelegramLink(db, actor, { secretKey })

    for (let i = 0; i < 5; i++) {
      await expect(redeem(db, `WRONG${i}0000`, '700504000', throttle)).rejects.toMatchObject({ code: 'validation' })
    }
    await expect(redeem(db, code, '700504000', throttle)).rejects.toMatchObject({
      code: 'rate_limited',
      message: telegramLinkMessages.throttled,
    })
    await expect(redeem(db, code, '700504000', throttle)).rejects.toMatchObject({ code: 'rate_limited' })
    await expect(redeem(db, 'WRONG50000', '5041', throttle)).rejects.toMatchObject({ code: 'validation' })
    expect((await userRow(db, user.id)).telegram_chat_id).toBeNull()
    const refusals = await journalOf(db, 'user.telegram_link.refused', 'denied')
    // Five wrong codes and the first throttled attempt; the second is counted for the window's summary.
    expect(refusals.map((r) => JSON.parse(r.details ?? '{}').reason)).toEqual([
      'unknown',
      'unknown',
      'unknown',
      'unknown',
      'unknown',
      'throttled',
      'unknown',
    ])
    const keys = await db.selectFrom('login_throttle').select(['key', 'failures']).execute()
    expect(keys).toHaveLength(2)
    expect(JSON.stringify(keys)).not.toContain('700504000')

    // The chat waits a minute after its fifth wrong code; then the right code links it.
    clockAt(61_000)
    await redeem(db, code, '700504000', throttle)
    expect((await userRow(db, user.id)).telegram_chat_id).toBe('700504000')
  })

  test('throttled attempts of a chat are journaled once per 10 minutes; the next row says how many were not', async () => {
    const { db } = await testDatabase()
    const throttle = telegramLinkThrottle()
    const guess = async (at: number, expected: 'validation' | 'rate_limited') => {
      clockAt(at)
      await expect(redeem(db, 'WRONG00000', '5045', throttle)).rejects.toMatchObject({ code: expected })
    }
    // Five wrong codes block the chat for a minute; then each further one doubles the wait (2, 4, 8 minutes).
    for (let i = 0; i < 5; i++) await guess(0, 'validation')
    await guess(1_000, 'rate_limited')
    await guess(2_000, 'rate_limited')
    await guess(3_000, 'rate_limited')
    await guess(61_000, 'validation')
    await guess(181_000, 'validation')
    await guess(421_000, 'validation')
    await guess(11 * MINUTE, 'rate_limited')
    const throttled = (await journalOf(db, 'user.telegram_link.refused', 'denied'))
      .map((r) => JSON.parse(r.details ?? '{}'))
      .filter((d) => d.reason === 'throttled')
    expect(throttled).toEqual([
      { reason: 'throttled', updateId: 77 },
      { reason: 'throttled', repeatedBefore: 2, updateId: 77 },
    ])
  })

  test('a right code does not wipe the count of wrong ones before it', async () => {
    const { db } = await testDatabase()
    clockAt(0)
    const throttle = telegramLinkThrottle()
    const { actor } = await webAccount(db)
    for (let i = 0; i < 4; i++) {
      await expect(redeem(db, `WRONG${i}0000`, '5050', throttle)).rejects.toMatchObject({ code: 'validation' })
    }
    await redeem(db, (await issueTelegramLink(db, actor, { secretKey })).code, '5050', throttle)
    await expect(redeem(db, 'WRONG90000', '5050', throttle)).rejects.toMatchObject({ code: 'validation' })
    await expect(redeem(db, 'WRONG80000', '5050', throttle)).rejects.toMatchObject({ code: 'rate_limited' })
  })

  test('unlinking one’s own Telegram needs a password to sign in with; journaled', async () => {
    const { db } = await testDatabase()
    const botOnly = await buildActor(db, { telegramChatId: '5060' }, 'web')
    await expect(unlinkTelegram(db, botOnly.actor)).rejects.toMatchObject({
      code: 'conflict',
      message: telegramLinkMessages.onlyWay,
    })
    const { user, actor } = await webAccount(db, { telegramChatId: '5061', passwordHash: 'argon2-hash' })
    const updated = await unlinkTelegram(db, actor)
    expect(updated.telegram_chat_id).toBeNull()
    const [row] = await journalOf(db, 'user.telegram_unlink')
    expect(row).toMatchObject({ subject_id: user.id, actor_id: user.id, pdn_related: 1 })
    await expect(unlinkTelegram(db, actor)).rejects.toMatchObject({ message: telegramLinkMessages.notLinked })
  })
})
