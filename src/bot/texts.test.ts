import { expect, test } from 'vitest'
import { callback } from '#src/notify/callback-data.ts'
import { DEFAULT_CONSENT_TEXT } from '#src/users/consent.ts'
import {
  consentAnswered,
  consentPrompt,
  DEPARTMENTS_PER_PAGE,
  departmentPicker,
  isButton,
  MESSAGE_MAX,
  splitText,
} from './texts.ts'

test('the default consent text goes in one message with the two answers', () => {
  const messages = consentPrompt(DEFAULT_CONSENT_TEXT)
  expect(messages).toHaveLength(1)
  expect(messages[0]?.text).toContain(DEFAULT_CONSENT_TEXT)
  expect(messages[0]?.buttons?.flat().map((b) => b.callbackData)).toEqual([
    callback.consent('yes'),
    callback.consent('no'),
  ])
  expect([...(consentAnswered(DEFAULT_CONSENT_TEXT, true, 5).text ?? '')].length).toBeLessThanOrEqual(MESSAGE_MAX)
})

test('a consent text too long for one message is sent whole, in parts, the answers under the last', () => {
  const paragraph = `${'Очень длинный пункт согласия. '.repeat(40).trim()}\n\n`
  const long = paragraph.repeat(20).trim()
  const messages = consentPrompt(long)
  expect(messages.length).toBeGreaterThan(3)
  for (const m of messages) expect([...m.text].length).toBeLessThanOrEqual(MESSAGE_MAX)
  expect(messages.slice(0, -1).every((m) => m.buttons === undefined)).toBe(true)
  expect(messages.at(-1)?.buttons).toBeDefined()
  const shown = messages
    .slice(1, -1)
    .map((m) => m.text)
    .join(' ')
  expect(shown.replace(/\s+/g, ' ')).toBe(long.replace(/\s+/g, ' '))
})

test('splitText never loses characters, even without spaces', () => {
  const text = 'я'.repeat(10_001)
  const parts = splitText(text, 4096)
  expect(parts.join('')).toBe(text)
  expect(parts.every((p) => [...p].length <= 4096)).toBe(true)
})

test('the department picker pages by eight, with «Отмена» always', () => {
  const departments = Array.from({ length: 17 }, (_, i) => ({ id: i + 1, name: `Отделение ${i + 1}` }))
  const data = (page: number) =>
    departmentPicker(departments, page)
      .buttons?.flat()
      .map((b) => b.callbackData)
  expect(data(0)?.filter((d) => d?.startsWith('d:pick:'))).toHaveLength(DEPARTMENTS_PER_PAGE)
  expect(data(0)).toContain(callback.departmentPage(1))
  expect(data(0)).not.toContain(callback.departmentPage(-1))
  expect(data(1)).toEqual(expect.arrayContaining([callback.departmentPage(0), callback.departmentPage(2)]))
  expect(data(2)?.filter((d) => d?.startsWith('d:pick:'))).toEqual([callback.departmentPick(17)])
  expect(data(99)).toEqual(data(2))
  for (const page of [0, 1, 2]) expect(data(page)?.at(-1)).toBe(callback.cancel())
})

test('a typed button is matched without case and spaces; a text that is not a string (a malformed update) is none', () => {
  expect(isButton('  ОТМЕНА ', 'Отмена')).toBe(true)
  expect(isButton('Отмена заявки', 'Отмена')).toBe(false)
  expect(isButton(undefined, 'Отмена')).toBe(false)
  // The fuzzer's update (seed 361891124) had a number for a text: the bot threw instead of ignoring it.
  expect(isButton(42, 'Отмена')).toBe(false)
  expect(isButton({ text: 'Отмена' }, 'Отмена')).toBe(false)
})
