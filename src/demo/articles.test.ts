import { describe, expect, test } from 'vitest'
import { suggestArticles } from '#src/knowledge/suggest-articles.ts'
import { systemActor } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { demoArticles } from './articles.ts'
import { generateDemo } from './generate.ts'

describe('the demo knowledge base', () => {
  test('twenty articles in their categories, searchable and offered; a second run adds none', async () => {
    const { db } = await testDatabase()
    const options = { staffPasswordHash: 'not-a-real-hash', requesters: 10, tickets: 20, seed: 'kb' }
    await generateDemo(db, systemActor('cli'), options)
    const articles = await db.selectFrom('articles').selectAll().execute()
    expect(articles).toHaveLength(20)
    expect(demoArticles).toHaveLength(20)
    // Every named category exists in the demo hospital.
    const named = demoArticles.filter((a) => a.category !== null).map((a) => a.title)
    expect(articles.filter((a) => a.category_id === null && named.includes(a.title))).toEqual([])
    expect(articles.every((a) => a.author_id !== null)).toBe(true)

    const printer = await db
      .selectFrom('categories')
      .select('id')
      .where('name', '=', 'Принтер не печатает')
      .executeTakeFirstOrThrow()
    const offered = await suggestArticles(db, { categoryId: printer.id, description: 'не печатает принтер' })
    expect(offered[0]?.title).toBe('Принтер не печатает: что проверить самому')
    expect(offered.every((a) => a.visibility === 'public')).toBe(true)

    await generateDemo(db, systemActor('cli'), { ...options, seed: 'kb2', force: true })
    expect(await db.selectFrom('articles').select('id').execute()).toHaveLength(20)
  })
})
