import { afterEach, describe, expect, test } from 'vitest'
import { secretMatches } from '#src/bot/webhook.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'

/**
 * Transport faults beyond transport.test.ts: a 409 Conflict that persists (another instance polls with
 * the same token somewhere) must be an alert and a paced retry — never a hot loop, never a crash — and
 * the webhook's secret comparison must refuse every near miss.
 */

let h: BotHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

describe('long polling against a persistent 409', () => {
  test('each retry waits the conflict backoff, one alert is logged, and polling resumes with nothing lost', async () => {
    h = await botHarness()
    const harness = h
    const conflicts = 5
    const backoffMs = 200
    harness.fake.failNext('getUpdates', { status: 409 }, conflicts)
    const poller = harness.poll({ conflictBackoffMs: backoffMs })
    const person = harness.fake.user(8701)
    person.command('/help')
    await harness.fake.waitForConfirmed(15_000)
    await harness.deliver()

    const polls = harness.fake.callsOf('getUpdates')
    expect(polls.slice(0, conflicts).map((c) => c.status)).toEqual(Array(conflicts).fill(409))
    // Ordering on the fake's recorded times: no poll before the previous 409's backoff has passed.
    for (let i = 1; i <= conflicts; i++) {
      const previous = polls[i - 1]
      const next = polls[i]
      expect(next, `poll ${i}`).toBeDefined()
      expect((next?.monotonicAt ?? 0) - (previous?.answeredAt ?? Number.POSITIVE_INFINITY)).toBeGreaterThanOrEqual(
        backoffMs,
      )
    }
    const alerts = harness.logs.filter((l) => l.alert === 'telegram_conflict')
    expect(alerts).toHaveLength(1)
    expect(alerts[0]?.level).toBe(50)
    expect(poller.polling).toBe(true)
    expect(person.botMessages()).toHaveLength(1)
    expect(await harness.db.selectFrom('telegram_inbox').select('update_id').execute()).toHaveLength(1)
  })
})

describe('the webhook secret', () => {
  test('only the exact secret matches: not a prefix, a longer string, another case, or nothing', () => {
    const secret = 'webhook-secret_1'
    expect(secretMatches(secret, secret)).toBe(true)
    for (const guess of [undefined, '', 'webhook-secret_', 'webhook-secret_12', 'WEBHOOK-SECRET_1', ` ${secret}`]) {
      expect(secretMatches(guess, secret), String(guess)).toBe(false)
    }
  })
})
