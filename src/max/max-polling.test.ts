import { afterEach, describe, expect, test } from 'vitest'
import type { ApplyOutcome, UpdateApplier } from '#src/bot/apply-update.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { testDatabase } from '../../test/support/database.ts'
import { maxHarness as harnessOn, type MaxHarness } from '../../test/support/max-harness.ts'
import { MaxApi } from './max-api.ts'
import { maxUpdateKey } from './max-conversation.ts'
import { MAX_POLLER_LEASE, MAX_SERVED_TYPES } from './max-polling.ts'
import type { MaxUpdate } from './max-types.ts'

/**
 * Long polling of MAX (issue 15) against the fake MAX server, with the real applier and a real database: one
 * poller in the installation, the marker kept only once its batch is applied, backoff on MAX's failures, and a
 * stop that gives the lease up. Faults are MAX's (injected at the fake) or the applier's (a real applier that is
 * made to fail once, as a database gone away would make it).
 */
let h: MaxHarness
afterEach(async () => {
  await h?.close()
})

/** The harness on a database of the project's dialect (SQLite, and PostgreSQL in its own project). */
async function maxHarness(): Promise<MaxHarness> {
  const db: Db = (await testDatabase()).db
  return harnessOn({ db })
}

async function storedMarker(): Promise<string | undefined> {
  const row = await h.db.selectFrom('max_poll_state').select('marker').where('name', '=', 'poller').executeTakeFirst()
  return row?.marker
}

async function setMarker(marker: number): Promise<void> {
  await h.db
    .insertInto('max_poll_state')
    .values({ name: 'poller', marker: String(marker), updated_at: now() })
    .execute()
}

async function inboxKeys(): Promise<string[]> {
  const rows = await h.db.selectFrom('max_inbox').select('update_key').orderBy('update_key').execute()
  return rows.map((r) => r.update_key)
}

async function leaseHolder(): Promise<string | undefined> {
  const row = await h.db.selectFrom('leases').select('holder').where('name', '=', MAX_POLLER_LEASE).executeTakeFirst()
  return row?.holder
}

interface Seen {
  key: string
  /** The marker stored when the update came to be applied. */
  markerThen: string | undefined
  outcome: ApplyOutcome | 'failed'
}

/** The real applier, made to fail the first time it meets the updates in `failOnce`; records what it did. */
function recordingApplier(failOnce: Set<string>, seen: Seen[]): UpdateApplier<MaxUpdate> {
  return {
    async apply(update) {
      const key = maxUpdateKey(update)
      const markerThen = await storedMarker()
      if (failOnce.delete(key)) {
        seen.push({ key, markerThen, outcome: 'failed' })
        throw new Error('the database went away')
      }
      const outcome = await h.applier.apply(update)
      seen.push({ key, markerThen, outcome })
      return outcome
    },
  }
}

const warnings = (message: string) => h.logs.filter((l) => String(l.msg).startsWith(message))

/** Waits until the database shows what `check` looks for (the fake's waitFor checks only the fake). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`not reached: ${what}`)
}

describe('MAX long polling', () => {
  test('the first start polls without a marker (MAX hands out its latest update), then with the stored one', async () => {
    h = await maxHarness()
    const person = h.fake.user(8_300_001)
    person.send('Старое, до первого запуска')
    const latest = person.send('Последнее')
    h.poll()
    await h.fake.waitForConfirmed()
    const [first, second] = h.fake.callsOf('GET /updates')
    expect(first?.query).toEqual({ limit: '100', timeout: '1', types: MAX_SERVED_TYPES.join(',') })
    expect(await inboxKeys()).toEqual([`message_created:${latest.mid}`])
    expect(second?.query.marker).toBe(String(latest.seq + 1))
    expect(await storedMarker()).toBe(String(latest.seq + 1))
  })

  test('updates are applied in order, each once; the marker moves only after its whole batch is applied', async () => {
    h = await maxHarness()
    const person = h.fake.user(8_300_002)
    await setMarker(1000)
    const sent = [person.send('Раз'), person.send('Два'), person.send('Три')]
    expect(sent[0]?.seq).toBe(1000)
    const keys = sent.map((s) => `message_created:${s.mid}`)
    const seen: Seen[] = []
    h.poll({ applier: recordingApplier(new Set([keys[1] ?? '']), seen) })
    await h.fake.waitForConfirmed()
    await h.fake.waitFor(() => seen.length >= 5)

    expect(seen).toEqual([
      { key: keys[0], markerThen: '1000', outcome: 'applied' },
      { key: keys[1], markerThen: '1000', outcome: 'failed' },
      // The batch again, with the old marker: the first is a replay, the rest goes on in order.
      { key: keys[0], markerThen: '1000', outcome: 'replayed' },
      { key: keys[1], markerThen: '1000', outcome: 'applied' },
      { key: keys[2], markerThen: '1000', outcome: 'applied' },
    ])
    expect(await storedMarker()).toBe(String((sent[2]?.seq ?? 0) + 1))
    expect(
      h.fake
        .callsOf('GET /updates')
        .slice(0, 2)
        .map((c) => c.query.marker),
    ).toEqual(['1000', '1000'])
    expect(await inboxKeys()).toEqual([...keys].sort())
    expect(warnings('polling round failed')).toHaveLength(1)
  })

  test('two pollers: only the lease holder polls; when it stops, the other takes over', async () => {
    h = await maxHarness()
    const a = h.poll({ standbyRetryMs: 20 })
    const b = h.poll({ standbyRetryMs: 20 })
    const leader = await h.fake.waitFor(() => (a.polling ? a : b.polling ? b : undefined))
    const standby = leader === a ? b : a
    const person = h.fake.user(8_300_003)
    for (const text of ['Раз', 'Два', 'Три']) {
      person.send(text)
      await h.fake.waitForConfirmed()
    }
    // The standby has tried the lease all along (every 20 ms) and never got it.
    expect(standby.polling).toBe(false)
    expect(leader.polling).toBe(true)
    expect(await leaseHolder()).toBe(leader === a ? 'max-test-1' : 'max-test-2')
    expect(await inboxKeys()).toHaveLength(3)

    await leader.stop()
    await h.fake.waitFor(() => standby.polling)
    expect(await leaseHolder()).toBe(leader === a ? 'max-test-2' : 'max-test-1')
    const after = person.send('Четыре')
    await h.fake.waitForConfirmed()
    await until(async () => (await inboxKeys()).length === 4, 'the fourth update applied')
    expect(await inboxKeys()).toContain(`message_created:${after.mid}`)
  })

  test('MAX’s 5xx: the poller backs off, doubling to its bound, and starts again from the least after a success', async () => {
    h = await maxHarness()
    h.fake.inject('GET /updates', { status: 502 }, { status: 503 }, { status: 500 }, { status: 502 })
    h.poll({ minBackoffMs: 10, maxBackoffMs: 30 })
    await h.fake.waitFor(() => warnings('MAX poll failed').length >= 4)
    expect(warnings('MAX poll failed').map((l) => [l.status, l.backoffMs])).toEqual([
      [502, 10],
      [503, 20],
      [500, 30],
      [502, 30],
    ])
    const person = h.fake.user(8_300_004)
    person.send('После сбоя')
    await h.fake.waitForConfirmed()
    h.fake.inject('GET /updates', { status: 500 })
    person.send('Ещё')
    await h.fake.waitFor(() => warnings('MAX poll failed').length >= 5)
    expect(warnings('MAX poll failed').at(-1)).toMatchObject({ status: 500, backoffMs: 10 })
    await h.fake.waitForConfirmed()
    await until(async () => (await inboxKeys()).length === 2, 'both updates applied')
  })

  test('a refused token is an alert at most once a minute, and polling goes on when MAX takes it again', async () => {
    h = await maxHarness()
    h.fake.inject('GET /updates', { status: 401, code: 'verify.token' }, { status: 401 }, { status: 403 })
    h.poll()
    await h.fake.waitFor(() => h.fake.callsOf('GET /updates').filter((c) => c.status !== 0).length >= 4)
    const alerts = h.logs.filter((l) => l.alert === 'max_token_refused')
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ level: 50, status: 401, code: 'verify.token' })
    expect(JSON.stringify(h.logs)).not.toContain(h.fake.token)
    const person = h.fake.user(8_300_005)
    const sent = person.send('Доступ вернулся')
    await h.fake.waitForConfirmed()
    await until(async () => (await inboxKeys()).includes(`message_created:${sent.mid}`), 'the update applied')
  })

  test('a webhook subscription left behind (MAX refuses polling with 405) is an alert, not a quiet retry', async () => {
    h = await maxHarness()
    await new MaxApi({ token: h.fake.token, apiRoot: h.fake.apiRoot }).subscribe(
      'https://old.example/max/webhook',
      'abcde',
    )
    h.poll()
    await h.fake.waitFor(() => h.fake.callsOf('GET /updates').filter((c) => c.status === 405).length >= 2)
    const alerts = h.logs.filter((l) => l.alert === 'max_token_refused')
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ status: 405 })
  })

  test('stop() ends a poll MAX is holding, and gives the lease up at once', async () => {
    h = await maxHarness()
    const poller = h.poll({ pollTimeoutSeconds: 30 })
    await h.fake.waitFor(() => h.fake.callsOf('GET /updates').some((c) => c.status === 0))
    expect(poller.polling).toBe(true)
    expect(await leaseHolder()).toBe('max-test-1')
    await poller.stop()
    expect(poller.polling).toBe(false)
    expect(await leaseHolder()).toBeUndefined()
    expect(h.logs.some((l) => l.msg === 'poller stopped')).toBe(true)
    // A second stop is harmless.
    await poller.stop()
    expect(h.logs.filter((l) => l.msg === 'poller stopped')).toHaveLength(1)
  })
})
