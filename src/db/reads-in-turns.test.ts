import { sql } from 'kysely'
import { expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { readsInTurns } from './reads-in-turns.ts'

test('the results come in the order of the reads, each of its own type', async () => {
  const { db } = await testDatabase()
  const [one, two] = await readsInTurns(db, [
    async () => (await sql<{ n: number }>`select 1 as n`.execute(db)).rows[0]?.n,
    async () => (await sql<{ s: string }>`select 'два' as s`.execute(db)).rows[0]?.s,
  ])
  expect([one, two]).toEqual([1, 'два'])
})

test('on SQLite other work gets a turn of the event loop between two reads', async () => {
  const { db, dialect } = await testDatabase()
  const order: string[] = []
  const read = (name: string) => async () => {
    await sql`select 1`.execute(db)
    order.push(name)
    // Work that arrives while the reads run (another request's I/O) is queued behind this read.
    if (name === 'first') setImmediate(() => order.push('other'))
  }
  await readsInTurns(db, [read('first'), read('second'), read('third')])
  if (dialect === 'sqlite') expect(order).toEqual(['first', 'other', 'second', 'third'])
  else expect(order.filter((name) => name !== 'other').sort()).toEqual(['first', 'second', 'third'])
})
