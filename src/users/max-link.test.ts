import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { expectRefusal, journalOf, userRow } from '../../test/support/state.ts'
import { actorFromUser } from './actor.ts'
import { maxLinkMessages, unlinkMax } from './max-link.ts'
import { issueTelegramLink, redeemTelegramLink, telegramLinkThrottle } from './telegram-link.ts'

const secretKey = 'test-secret-key-0123456789abcdef0123456789abcdef'

/** Binds the person to a MAX dialog as the bot does (its chat key `max:<id>`), with a dialogue under way there. */
async function withMax(db: Db, userId: number, maxUserId: string, blocked = false) {
  const at = now()
  await db
    .updateTable('users')
    .set({ max_user_id: maxUserId, max_blocked_at: blocked ? at : null, messenger: 'max' })
    .where('id', '=', userId)
    .execute()
  await db
    .insertInto('bot_conversations')
    .values({ chat_id: `max:${maxUserId}`, state: '{}', expires_at: '2999-01-01T00:00:00.000Z', updated_at: at })
    .execute()
}

async function conversations(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('bot_conversations').select('chat_id').orderBy('chat_id').execute()
  return rows.map((r) => r.chat_id)
}

describe('unlinking MAX from one’s own account', () => {
  test('clears the MAX columns and its dialogue, keeps Telegram, journals ids only', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(
      db,
      { login: 'maxova', passwordHash: 'argon2-hash', telegramChatId: '5070' },
      'web',
    )
    await withMax(db, user.id, '9070123', true)
    await db
      .insertInto('bot_conversations')
      .values({ chat_id: '5070', state: '{}', expires_at: '2999-01-01T00:00:00.000Z', updated_at: now() })
      .execute()

    const updated = await unlinkMax(db, actor)
    expect(updated).toMatchObject({ max_user_id: null, max_blocked_at: null, telegram_chat_id: '5070' })
    expect(await userRow(db, user.id)).toMatchObject({
      max_user_id: null,
      max_blocked_at: null,
      telegram_chat_id: '5070',
    })
    expect(await conversations(db)).toEqual(['5070'])

    const [row, ...more] = await journalOf(db, 'user.max_unlink')
    expect(more).toEqual([])
    expect(row).toMatchObject({ subject_id: user.id, actor_id: user.id, object_id: String(user.id), pdn_related: 1 })
    expect(JSON.parse(row?.details ?? '{}')).toEqual({ reason: 'self', messenger: 'max' })
    expect(JSON.stringify(row)).not.toContain('9070123')
  })

  test('without a password, Telegram is the way left to sign in; with neither, MAX stays', async () => {
    const { db } = await testDatabase()
    const both = await buildActor(db, { telegramChatId: '5071' }, 'bot')
    await withMax(db, both.user.id, '9070124')
    expect((await unlinkMax(db, both.actor)).max_user_id).toBeNull()

    const maxOnly = await buildActor(db, { telegramChatId: null }, 'bot')
    await withMax(db, maxOnly.user.id, '9070125')
    await expectRefusal(db, 'conflict', () => unlinkMax(db, maxOnly.actor))
    await expect(unlinkMax(db, maxOnly.actor)).rejects.toMatchObject({ message: maxLinkMessages.onlyWay })
    expect((await userRow(db, maxOnly.user.id)).max_user_id).toBe('9070125')
    expect(await conversations(db)).toEqual(['max:9070125'])
  })

  test('nothing linked, another’s account or an inactive one: refused, nothing changes', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { login: 'nomax', passwordHash: 'argon2-hash' }, 'web')
    await expectRefusal(db, 'conflict', () => unlinkMax(db, actor))
    await expect(unlinkMax(db, actor)).rejects.toMatchObject({ message: maxLinkMessages.notLinked })

    const gone = await buildUser(db, { status: 'deactivated', login: 'gone', passwordHash: 'argon2-hash' })
    await withMax(db, gone.id, '9070126')
    await expect(unlinkMax(db, actorFromUser(gone, 'web'))).rejects.toMatchObject({
      code: 'forbidden',
      message: maxLinkMessages.notSelf,
    })
    await expect(unlinkMax(db, { ...actorFromUser(gone, 'web'), status: 'active' })).rejects.toMatchObject({
      code: 'forbidden',
      message: maxLinkMessages.inactive,
    })
    expect((await userRow(db, gone.id)).max_user_id).toBe('9070126')
    expect(await journalOf(db, 'user.max_unlink')).toEqual([])
  })

  test('the profile’s code sent from MAX binds MAX; unlinking it then leaves Telegram as it was', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(
      db,
      { login: 'maxlink', passwordHash: 'argon2-hash', telegramChatId: '5072' },
      'web',
    )
    const { code } = await issueTelegramLink(db, actor, { secretKey })
    const linked = await redeemTelegramLink(
      db,
      { code, chatId: 'max:9070127', telegramUsername: null, secretKey },
      telegramLinkThrottle(),
    )
    expect(linked.user).toMatchObject({ max_user_id: '9070127', telegram_chat_id: '5072', messenger: 'max' })

    await unlinkMax(db, actorFromUser(linked.user, 'web'))
    expect(await userRow(db, user.id)).toMatchObject({
      max_user_id: null,
      telegram_chat_id: '5072',
      telegram_username: user.telegram_username,
    })
  })
})
