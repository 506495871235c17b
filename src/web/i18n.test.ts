import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { priorityLabels, statusLabels } from '#src/tickets/rules.ts'
import { en } from './i18n/en.ts'
import { inLanguage, language, t, tn } from './i18n.ts'

describe('the web in two languages', () => {
  test('a text is Russian by default, English in an English request, and keeps its placeholders', () => {
    expect(language()).toBe('ru')
    expect(t('Заявки')).toBe('Заявки')
    expect(inLanguage('en', () => t('Заявки'))).toBe('Tickets')
    expect(t('Заявка № {id} от {who}', { id: 5, who: 'Иванов' })).toBe('Заявка № 5 от Иванов')
    expect(t('{missing} остаётся', {})).toBe('{missing} остаётся')
    expect(inLanguage('en', () => t('Текст, которого нет в каталоге'))).toBe('Текст, которого нет в каталоге')
  })

  test('counts take the plural of their language', () => {
    const ru = ['заявка', 'заявки', 'заявок'] as const
    const english = ['ticket', 'tickets'] as const
    expect([1, 3, 5, 21, 1000].map((n) => tn(n, ru, english))).toEqual([
      '1 заявка',
      '3 заявки',
      '5 заявок',
      '21 заявка',
      '1\u00a0000 заявок',
    ])
    expect(inLanguage('en', () => [1, 3, 1000].map((n) => tn(n, ru, english)))).toEqual([
      '1 ticket',
      '3 tickets',
      '1,000 tickets',
    ])
  })

  test('every text the web pages pass to t() has an English translation', () => {
    const missing = webTexts().filter((text) => en[text] === undefined)
    expect(missing).toEqual([])
  })

  test('the English catalogue has no leftovers: every entry is used by a page', () => {
    const used = new Set(webTexts())
    expect(Object.keys(en).filter((text) => !used.has(text))).toEqual([])
  })
})

/** The literal texts given to t() or msg() in src/web (a text built at run time cannot be checked here). */
function webTexts(): string[] {
  const root = import.meta.dirname
  const files = (readdirSync(root, { recursive: true }) as string[]).filter(
    (file) => /\.tsx?$/.test(file) && !file.endsWith('.test.ts') && !file.startsWith('i18n'),
  )
  const texts = new Set<string>()
  const call = /\b(?:t|msg)\(\s*(['"])((?:\\.|(?!\1).)*)\1/g
  for (const file of files) {
    const source = readFileSync(path.join(root, file), 'utf8')
    for (const match of source.matchAll(call)) texts.add(unquote(match[2] ?? ''))
  }
  // The domain's labels (Russian, defined beside the rules) are shown through t() too.
  for (const label of [...Object.values(statusLabels), ...Object.values(priorityLabels)]) texts.add(label)
  return [...texts].sort()
}

function unquote(literal: string): string {
  return literal.replace(/\\(.)/g, '$1')
}
