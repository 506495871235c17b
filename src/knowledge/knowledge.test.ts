import { existsSync } from 'node:fs'
import { beforeAll, describe, expect, test } from 'vitest'
import { storedFilePath, storeFile } from '#src/attachments/file-store.ts'
import { sweepFiles } from '#src/attachments/sweep-files.ts'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildCategory } from '../../test/support/factories.ts'
import { tempDirs } from '../../test/support/temp-dirs.ts'
import { archiveArticle } from './archive-article.ts'
import { excerptOf, plainText } from './article-store.ts'
import { createArticle } from './create-article.ts'
import { listArticles } from './list-articles.ts'
import { isSafeUrl, renderArticle } from './markdown.ts'
import { recordArticleFeedback } from './record-article-feedback.ts'
import { suggestArticles } from './suggest-articles.ts'
import { updateArticle } from './update-article.ts'
import { viewArticle } from './view-article.ts'

let db: Db
const tempDir = tempDirs('kb-sweep-')
beforeAll(async () => {
  db = (await testDatabase()).db
})

const png = { sha256: 'a'.repeat(64), size: 10, fileName: 'схема.png', mimeType: 'image/png' }

async function auditRows(action: string) {
  return db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute()
}

describe('Markdown', () => {
  test('raw HTML is text, and only http(s) and our own links survive', () => {
    const html = renderArticle(
      '<script>alert(1)</script>\n\n[плохая](javascript:alert(1)) [данные](data:text/html,x) [хорошая](https://example.org) [наша](/kb/2)',
      1,
      [],
    )
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;')
    expect(html).not.toMatch(/href="(javascript|data):/)
    expect(html).toContain('href="https://example.org" rel="noopener noreferrer nofollow" target="_blank"')
    expect(html).toContain('href="/kb/2"')
    expect(isSafeUrl('JAVASCRIPT:alert(1)')).toBe(false)
    expect(isSafeUrl('//evil.example/x.png')).toBe(false)
    expect(isSafeUrl('vbscript:x')).toBe(false)
  })

  test('a picture comes from our origin only: an upload by its name, or our path; an outside one is its words', () => {
    const html = renderArticle(
      '![Схема](схема.png) ![своя](/static/favicon.svg) ![чужая](https://example.org/x.png)',
      7,
      [{ id: 3, file_name: 'схема.png' }],
    )
    expect(html).toContain('<img src="/kb/7/images/3" alt="Схема"')
    expect(html).toContain('<img src="/static/favicon.svg"')
    expect(html).not.toContain('example.org')
    expect(html).toContain('чужая')
  })

  test('hostile Markdown: no script, no handler, no outside or scripted address gets through', () => {
    const hostile = [
      '[a](/\\evil.example)',
      '![a](/\\evil.example/x.png)',
      '[a](\\\\evil.example)',
      '[a](&#106;avascript:alert(1))',
      '[a](JaVaScRiPt&colon;alert(1))',
      '[a](<javascript:alert(1)>)',
      '[a](  javascript:alert(1))',
      '![a](data:image/png;base64,AAAA)',
      '![a](%2F%2Fevil.example/x.png)',
      '![a](//evil.example/x.png)',
      '![a](/\t/evil.example/x.png)',
      '![x" onerror="alert(1)](схема.png "t\\" onload=\\"x")',
      '![<img src=x onerror=alert(1)>](схема.png)',
      '<img src=x onerror=alert(1)> <a href="javascript:alert(1)">x</a> <iframe src="//evil.example"></iframe>',
      '[x](vbscript:msgbox(1)) [y](file:///etc/passwd) [z](mailto:a@b.ru)',
    ].join('\n\n')
    const html = renderArticle(hostile, 4, [{ id: 9, file_name: 'схема.png' }])
    // Every tag is one the renderer writes, every attribute of a tag is quoted and carries no handler.
    const tags = [...html.matchAll(/<([a-z0-9]+)\b([^>]*)>/g)]
    expect(['p', 'a', 'img', 'br']).toEqual(expect.arrayContaining([...new Set(tags.map((m) => m[1]))]))
    for (const [, , attrs = ''] of tags) {
      expect(attrs.replace(/\s[a-z]+="[^"]*"/g, '').trim()).toBe('')
      const names = [...attrs.matchAll(/\s([a-z]+)="[^"]*"/g)].map((m) => m[1])
      expect(names.filter((name) => name?.startsWith('on'))).toEqual([])
    }
    const addresses = [...html.matchAll(/(?:href|src)="([^"]*)"/g)].map((m) => m[1] ?? '')
    expect(addresses.length).toBeGreaterThan(0)
    for (const address of addresses) {
      // Our own path or a relative one: no scheme, no host reachable through `//`, a backslash or a tab.
      expect(address).not.toMatch(/^([a-z][a-z0-9+.-]*:|\/\/|\/?\\)|[\s\\]/i)
    }
    // What was refused stays as text (escaped), never as an address.
    expect(addresses.filter((a) => /javascript|data:|vbscript|file:|mailto|\/\//i.test(a))).toEqual([])
    expect(html).toContain('<img src="/kb/4/images/9" alt="x&quot; onerror=&quot;alert(1)"')
  })

  test('a plain line of an article drops its marks', () => {
    expect(plainText('# Принтер\n\n1. Откройте **крышку**\n2. [Смотрите](https://x.org) ![](a.png)')).toBe(
      'Принтер\n\n• Откройте крышку\n• Смотрите',
    )
    expect(excerptOf('слово '.repeat(100), 30).endsWith('…')).toBe(true)
  })
})

describe('articles', () => {
  test('an executor writes an article; it is journaled, found by search with Russian endings, shown', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const category = await buildCategory(db, { name: 'Принтеры и МФУ' })
    const article = await createArticle(db, actor, {
      title: 'Принтер не печатает: что проверить',
      body: '1. Проверьте **бумагу** и картридж.\n2. Перезагрузите принтер.\n\n![Схема](схема.png)',
      categoryId: category.id,
      visibility: 'public',
      images: [png],
    })
    expect(article).toMatchObject({ category_name: 'Принтеры и МФУ', visibility: 'public', helpful_count: 0 })
    expect(await auditRows('article.create')).toEqual([
      expect.objectContaining({ object_id: String(article.id), result: 'success' }),
    ])
    const found = await listArticles(db, actor, { q: 'принтеры картриджа' })
    expect(found.map((a) => a.id)).toEqual([article.id])
    expect(await listArticles(db, actor, { q: 'сканер' })).toEqual([])
    const view = await viewArticle(db, actor, { id: article.id })
    expect(view.html).toContain('<strong>бумагу</strong>')
    expect(view.html).toMatch(/<img src="\/kb\/\d+\/images\/\d+"/)
  })

  test('a requester reads public articles only; an internal one does not exist for them (journaled)', async () => {
    const { actor: writer } = await buildActor(db, { role: 'curator' })
    const { actor: requester } = await buildActor(db, { role: 'requester' })
    const internal = await createArticle(db, writer, {
      title: 'Пароль от роутера приёмного',
      body: 'Только для ИТ',
      visibility: 'internal',
    })
    const open = await createArticle(db, writer, {
      title: 'Как сменить пароль роутера',
      body: 'Для всех',
      visibility: 'public',
    })
    const seen = await listArticles(db, requester, { q: 'роутер' })
    expect(seen.map((a) => a.id)).toEqual([open.id])
    expect((await listArticles(db, writer, { q: 'роутер' })).map((a) => a.id).sort()).toEqual(
      [internal.id, open.id].sort(),
    )
    await expect(viewArticle(db, requester, { id: internal.id })).rejects.toMatchObject({ code: 'not_found' })
    const denied = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('result', '=', 'denied')
      .where('object_id', '=', String(internal.id))
      .execute()
    expect(denied).toEqual([expect.objectContaining({ action: 'article.view', object_type: 'article' })])
  })

  test('a requester may not write; bad input is refused and changes nothing', async () => {
    const { actor: requester } = await buildActor(db, { role: 'requester' })
    const { actor: executor } = await buildActor(db, { role: 'executor' })
    const before = await db
      .selectFrom('articles')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    await expect(
      createArticle(db, requester, { title: 'Моя статья', body: 'Текст', visibility: 'public' }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    await expect(
      createArticle(db, executor, { title: '  ', body: 'Текст', visibility: 'public' }),
    ).rejects.toMatchObject({
      code: 'validation',
      message: 'Введите заголовок статьи',
    })
    await expect(createArticle(db, executor, { title: 'Т', body: 'Текст', visibility: 'всем' })).rejects.toMatchObject({
      code: 'validation',
    })
    await expect(
      createArticle(db, executor, { title: 'Т', body: 'Текст', visibility: 'public', categoryId: 999_999 }),
    ).rejects.toMatchObject({ code: 'validation', message: 'Категория не найдена' })
    await expect(
      createArticle(db, executor, {
        title: 'Т',
        body: 'Текст',
        visibility: 'public',
        images: [{ ...png, mimeType: 'application/octet-stream', fileName: 'вирус.exe' }],
      }),
    ).rejects.toMatchObject({ code: 'validation' })
    const after = await db
      .selectFrom('articles')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(after.n)).toBe(Number(before.n))
    expect(await auditRows('article.create')).not.toContainEqual(
      expect.objectContaining({ actor_id: requester.id, result: 'success' }),
    )
  })

  test('a search ranks by the words the index matched: a decomposed «ё» (macOS, some keyboards) counts', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const inTitle = await createArticle(db, actor, {
      title: 'Учётка и пароль МИС',
      body: 'Текст.',
      visibility: 'internal',
    })
    const inBody = await createArticle(db, actor, {
      title: 'Как сменить пароль',
      body: 'Учётка, учётка, учётка.',
      visibility: 'internal',
    })
    // Both words in the title outweigh one in the title and one in the text, whatever the query's Unicode form.
    for (const q of ['учётка пароль', 'учётка пароль'.normalize('NFD')]) {
      expect((await listArticles(db, actor, { q })).map((a) => a.id)).toEqual([inTitle.id, inBody.id])
    }
  })

  test('an edit reindexes the article; an archived one is neither listed, found nor offered', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const category = await buildCategory(db)
    const article = await createArticle(db, actor, {
      title: 'Не включается монитор',
      body: 'Проверьте кабель питания.',
      categoryId: category.id,
      visibility: 'public',
    })
    const updated = await updateArticle(db, actor, {
      id: article.id,
      title: 'Не включается моноблок',
      categoryId: null,
    })
    expect(updated).toMatchObject({ title: 'Не включается моноблок', category_id: null })
    expect((await listArticles(db, actor, { q: 'моноблок' })).map((a) => a.id)).toEqual([article.id])
    expect(await listArticles(db, actor, { q: 'монитор' })).toEqual([])
    expect(await auditRows('article.update')).toContainEqual(
      expect.objectContaining({ object_id: String(article.id), result: 'success' }),
    )
    await archiveArticle(db, actor, { id: article.id })
    expect(await listArticles(db, actor, { q: 'моноблок' })).toEqual([])
    expect(await suggestArticles(db, { categoryId: category.id, description: 'не включается моноблок' })).toEqual([])
    await expect(viewArticle(db, actor, { id: article.id })).rejects.toMatchObject({ code: 'not_found' })
  })
})

describe('the offer before a ticket', () => {
  test('up to three public articles of the category (or of none) whose words the description holds', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const printers = await buildCategory(db, { name: 'Печать' })
    const network = await buildCategory(db, { name: 'Сеть и интернет' })
    const make = (title: string, body: string, categoryId: number | null, visibility = 'public') =>
      createArticle(db, actor, { title, body, categoryId, visibility })
    const jam = await make('Замятие бумаги в принтере', 'Откройте лоток и выньте лист.', printers.id)
    const noPrint = await make('Принтер не печатает', 'Проверьте очередь печати.', printers.id)
    const general = await make(
      'Перезагрузка компьютера',
      'Если принтер не печатает после обновления, перезагрузите.',
      null,
    )
    await make('Принтер: пароль сервисного меню', 'Внутреннее.', printers.id, 'internal')
    await make('Нет интернета', 'Принтер тут ни при чём.', network.id)
    const offered = await suggestArticles(db, {
      categoryId: printers.id,
      description: 'У нас не печатает принтер в 214',
    })
    expect(offered.map((a) => a.id)).toEqual([noPrint.id, jam.id, general.id])
    expect(await suggestArticles(db, { categoryId: network.id, description: 'Сломался стул' })).toEqual([])
    expect(await suggestArticles(db, { categoryId: printers.id, description: 'не у нас' })).toEqual([])
  })

  test('«Помогло» counts the article; «Нет» counts each offered as not helpful; both journaled', async () => {
    const { actor: writer } = await buildActor(db, { role: 'executor' })
    const { actor: requester } = await buildActor(db, { role: 'requester' }, 'bot')
    const a = await createArticle(db, writer, { title: 'Статья А', body: 'Текст', visibility: 'public' })
    const b = await createArticle(db, writer, { title: 'Статья Б', body: 'Текст', visibility: 'public' })
    const hidden = await createArticle(db, writer, { title: 'Статья В', body: 'Текст', visibility: 'internal' })
    await recordArticleFeedback(db, requester, { articleIds: [a.id], helpful: true })
    await recordArticleFeedback(db, requester, { articleIds: [a.id, b.id], helpful: false })
    const rows = await db
      .selectFrom('articles')
      .select(['id', 'helpful_count', 'not_helpful_count'])
      .where('id', 'in', [a.id, b.id])
      .orderBy('id')
      .execute()
    expect(rows.map((r) => [Number(r.helpful_count), Number(r.not_helpful_count)])).toEqual([
      [1, 1],
      [0, 1],
    ])
    expect(await auditRows('article.helpful')).toContainEqual(
      expect.objectContaining({ actor_id: requester.id, object_id: String(a.id), channel: 'bot' }),
    )
    await expect(
      recordArticleFeedback(db, requester, { articleIds: [hidden.id], helpful: true }),
    ).rejects.toMatchObject({ code: 'not_found' })
    const untouched = await db
      .selectFrom('articles')
      .select('helpful_count')
      .where('id', '=', hidden.id)
      .executeTakeFirstOrThrow()
    expect(Number(untouched.helpful_count)).toBe(0)
  })
})

describe('pictures', () => {
  test('the daily sweep keeps an article’s pictures and takes files nothing refers to', async () => {
    const dataDir = tempDir()
    const { actor } = await buildActor(db, { role: 'executor' })
    const picture = await storeFile(dataDir, new Uint8Array([1, 2, 3, 4]), {
      fileName: 'a.png',
      mimeType: 'image/png',
    })
    const stray = await storeFile(dataDir, new Uint8Array([5, 6, 7]), { fileName: 'b.png', mimeType: 'image/png' })
    await createArticle(db, actor, {
      title: 'С картинкой',
      body: '![a](a.png)',
      visibility: 'public',
      images: [{ ...picture, mimeType: 'image/png' }],
    })
    await sweepFiles(db, dataDir, -1)
    expect(existsSync(storedFilePath(dataDir, picture.sha256))).toBe(true)
    expect(existsSync(storedFilePath(dataDir, stray.sha256))).toBe(false)
  })

  test('a picture is checked as every upload is: an empty file is refused, nothing saved', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    await expect(
      createArticle(db, actor, {
        title: 'Пустая картинка',
        body: 'Текст',
        visibility: 'public',
        images: [{ ...png, size: 0, fileName: 'пусто.png' }],
      }),
    ).rejects.toMatchObject({ code: 'validation', message: 'Файл «пусто.png» пустой' })
    expect(await db.selectFrom('articles').select('id').where('title', '=', 'Пустая картинка').execute()).toEqual([])
  })
})
