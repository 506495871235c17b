import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { stylesheetAsSent } from './static.ts'

/**
 * The light and the dark theme of app.css (issue 13): each colour the pages use has its dark value, the dark
 * list is the same for a person's choice and for the system's, and text keeps 4.5:1 (WCAG AA) on what it sits on.
 * The browser journey (test/e2e/axe-journey.test.ts) checks the rendered pages; this checks every pair at once.
 */
const source = readFileSync(path.join(import.meta.dirname, 'static/app.css'), 'utf8')

/** The colour variables declared in the first rule of exactly this selector. */
function palette(selector: string): Record<string, string> {
  const start = source.indexOf(`${selector} {`)
  if (start < 0) throw new Error(`no rule ${selector}`)
  const body = source.slice(start, source.indexOf('}', start))
  return Object.fromEntries([...body.matchAll(/--([\w-]+): (#[0-9a-f]{3,6});/g)].map((m) => [m[1], m[2]]))
}

function luminance(hex: string): number {
  const digits = hex.length === 4 ? [...hex.slice(1)].map((d) => d + d).join('') : hex.slice(1)
  const [r = 0, g = 0, b = 0] = [0, 2, 4].map((i) => {
    const v = Number.parseInt(digits.slice(i, i + 2), 16) / 255
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)]
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05)
}

const light = palette(':root')
const dark = { ...light, ...palette(':root[data-theme="dark"]') }
const badges = ['blue', 'amber', 'purple', 'green', 'grey', 'orange']

/** Text (first) on a background (second), as the stylesheet puts them together. */
const pairs: Array<[string, string]> = [
  ...['bg', 'surface', 'hover', 'tint', 'current', 'note-bg', 'red-bg', ...badges.map((b) => `${b}-bg`)].map(
    (bg): [string, string] => ['text', bg],
  ),
  ...['bg', 'surface', 'hover', 'tint', 'current', 'note-bg'].flatMap(
    (bg): Array<[string, string]> => [
      ['muted', bg],
      ['strong', bg],
      ['accent', bg],
    ],
  ),
  ['accent-dark', 'surface'],
  ['accent-dark', 'current'],
  ['danger', 'surface'],
  ['danger', 'bg'],
  ['danger', 'red-bg'],
  ['danger', 'note-bg'],
  ['success', 'surface'],
  ['success', 'bg'],
  ['on-accent', 'accent'],
  ['on-accent', 'success'],
  ['on-accent', 'danger'],
  ['tag', 'note-bg'],
  ['tag', 'tag-bg'],
  ...badges.map((b): [string, string] => [b, `${b}-bg`]),
]

describe('the colour themes', () => {
  test('every colour of the light theme has a dark value, the same for the choice and for the system', () => {
    const chosen = palette(':root[data-theme="dark"]')
    expect(Object.keys(chosen).length).toBeGreaterThan(30)
    expect(Object.keys(light).filter((name) => chosen[name] === undefined)).toEqual([])
    expect(palette(':root:not([data-theme="light"])')).toEqual(chosen)
    expect(source).toMatch(
      /@media screen and \(prefers-color-scheme: dark\) \{\n {2}:root:not\(\[data-theme="light"\]\)/,
    )
  })

  test.each([
    ['light', light],
    ['dark', dark],
  ])('in the %s theme text keeps 4.5:1 on its background', (_name, colours) => {
    const weak = pairs
      .map(([fg, bg]) => ({ pair: `${fg} on ${bg}`, ratio: contrast(colours[fg] ?? '', colours[bg] ?? '') }))
      .filter(({ ratio }) => !(ratio >= 4.5))
    expect(weak).toEqual([])
  })
})

describe('the stylesheet as sent', () => {
  test('keeps every rule and drops the comments and the indentation, a comment followed by a rule on its line included', () => {
    const sent = stylesheetAsSent(Buffer.from(source)).toString('utf8')
    expect(sent).not.toContain('/*')
    const shape = (css: string) => css.replace(/\s+/g, '').replace(/;\}/g, '}')
    const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, '')
    expect(shape(sent)).toBe(shape(withoutComments))
    // A comment that does not end its line is left alone rather than risk eating what follows it.
    const odd = '/* a */ .a {\n  color: red;\n}\n/* b */\n.b {\n}\n'
    expect(stylesheetAsSent(Buffer.from(odd)).toString('utf8')).toBe('/* a */ .a{color: red}\n.b{}\n')
    // Line breaks that may separate tokens stay (`and` then a condition on the next line).
    const media = '@media (min-width: 40em) and\n  (prefers-color-scheme: dark) {\n  .c {\n    color: red;\n  }\n}\n'
    expect(stylesheetAsSent(Buffer.from(media)).toString('utf8')).toBe(
      '@media (min-width: 40em) and\n(prefers-color-scheme: dark){.c{color: red}\n}\n',
    )
  })
})
