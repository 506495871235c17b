import fc from 'fast-check'

/**
 * What the B1 fuzzer sends (TESTING.md): hostile values by family, and generators of JSON bodies that follow
 * a JSON Schema (the API's OpenAPI document) and then break it — so that some inputs pass the validators and
 * reach the use cases, and the rest test the validators.
 *
 * Rows are not known when inputs are generated (the fuzzer's own requests create and change them), so an
 * input names a row as a `Ref` (which kind, and a number that picks one) and the harness resolves it to a
 * real id right before the request.
 */

export const refKinds = ['ticket', 'user', 'category', 'department', 'group', 'attachment', 'session'] as const
export type RefKind = (typeof refKinds)[number]

export class Ref {
  readonly kind: RefKind
  /** In [0, 1]: which of the rows of that kind (the newest 200) the harness names. */
  readonly pick: number
  constructor(kind: RefKind, pick: number) {
    this.kind = kind
    this.pick = pick
  }
}

/** A value of a field, a query key or a path segment: text, or a row to be named when the request is made. */
export type Slot = string | Ref

const huge = (unit: string, bytes: number) => unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)))

export const payloads = {
  huge: [huge('А', 100_100), huge('x', 120_000), huge('<b>', 101_000), huge('\u200b', 100_200), huge('9', 100_001)],
  unicode: [
    '\ud800',
    'a\udfffb',
    '\ud83d',
    'пере\u202eвод',
    '\u202e\u2066txt.exe',
    'zero\u200b\u200c\u200d\ufeffwidth',
    'nul\u0000byte',
    '\u0000',
    '\u0007\u001b[31mred\u001b[0m',
    '\uffff\ufffe',
    'e\u0301\u0301\u0301\u0301',
    '👨‍👩‍👧‍👦🏳️‍🌈',
    '\r\n\r\n',
    'line\rbreak\ttab',
    '\u2028\u2029',
    'ＡＢＣ１２３',
    '',
    '   ',
  ],
  sql: [
    "' OR '1'='1",
    '1; DROP TABLE tickets;--',
    '" OR 1=1 --',
    "1' UNION SELECT password_hash, 1 FROM users--",
    "'; select pg_sleep(3);--",
    "' || randomblob(1000000000) || '",
    '%',
    '_',
    '\\',
    "\\'",
    '%%%_%\\%',
  ],
  search: [
    '"',
    '*',
    'NEAR(',
    'a AND OR NOT b',
    '^x',
    'col:val',
    '-',
    '(',
    ')',
    '!',
    '&',
    '|',
    ':*',
    "'",
    'a & | !b',
    '""',
  ],
  html: [
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    '{{7*7}}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection payload, meant literally
    '${7*7}',
    '<!--',
    ']]>',
    'javascript:alert(1)',
    '&amp;&lt;&#0;',
  ],
  formula: ['=1+2', '=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", '-2+3', '@SUM(1)', '\t=1', '\r=1'],
  ldap: ['*)(uid=*))(|(uid=*', '*', '\\2a', 'admin)(&)', '(|(objectClass=*))'],
  traversal: [
    '../../../etc/passwd',
    '..\\..\\windows\\win.ini',
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '....//....//etc/passwd',
    '/etc/passwd',
    'C:\\boot.ini',
    'file:///etc/passwd',
    '\\\\server\\share',
    '..',
    '.',
    '~',
  ],
  numbers: [
    '2147483647',
    '2147483648',
    '-2147483649',
    '4294967296',
    '9007199254740993',
    '99999999999999999999',
    '1e308',
    '1e400',
    '-0',
    '0',
    '-1',
    'NaN',
    'Infinity',
    '0x10',
    '1.5',
    '01',
    '+1',
    ' 1',
    '1e3',
    '٣',
    '１',
  ],
  dates: [
    '9999-12-31',
    '0000-00-00',
    '2026-13-01',
    '+010000-01-01',
    '-000001-01-01',
    '2026-02-30',
    '0001-01-01',
    '0999-12-31',
    '1970-01-01',
    '275760-09-13',
    '2026-1-1',
    '2026-01-01T25:61:00+03:00',
    '2026-03-01T00:00:00Z',
    '2026-03-01T00:00:00.000+14:00',
  ],
  redirects: [
    '//evil.example/',
    '/\\evil.example',
    'https://evil.example/',
    '/tickets\r\nSet-Cookie: x=1',
    '/\tevil',
    '/%0d%0aLocation:%20http://evil.example',
    '/tickets?x=1#y',
  ],
  names: ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'then'],
}

export const allPayloads: readonly string[] = Object.values(payloads).flat()

/** Field names the web forms and lists read, and the values that make sense for each (for depth). */
export const fieldValues: Record<string, readonly Slot[]> = {
  priority: ['low', 'normal', 'high', 'critical'],
  status: ['new', 'in_progress', 'waiting', 'resolved', 'closed', 'cancelled', 'pending', 'active', 'rejected'],
  role: ['requester', 'executor', 'curator', 'admin'],
  language: ['ru', 'en'],
  kind: ['external', 'internal'],
  active: ['0', '1', 'true', 'false', 'on'],
  direction: ['up', 'down'],
  period: ['week', 'month', 'quarter', 'custom'],
  by: ['day', 'week', 'month'],
  sort: ['-created_at', 'created_at', 'updated_at', '-updated_at', 'priority', '-priority', 'id', '-id', 'status'],
  overdue: ['1', '0'],
  pdn: ['1', '0'],
  pdn_related: ['1', '0', 'true'],
  active_only: ['0', '1', 'true', 'false'],
  assignee: ['none', ''],
  actor: ['system'],
  actor_id: ['system'],
  assignee_id: ['none'],
  action: ['user.deactivate', 'auth.', 'ticket.create'],
  internal: ['true', 'false'],
  from: payloads.dates,
  to: payloads.dates,
  date_from: payloads.dates,
  date_to: payloads.dates,
  created_from: payloads.dates,
  created_to: payloads.dates,
  next: ['/tickets', '/profile', ...payloads.redirects],
  response: ['0', '1', '60', '525600', '525601', '-5', '1.5'],
  resolution: ['0', '1', '120', 'Решено: заменили картридж'],
  page: ['1', '2', '0', '-1', '100000', '100001', '999999'],
  per_page: ['1', '50', '100', '101', '0'],
  limit: ['1', '100', '1000', '0'],
  done: ['created', 'saved', 'moved', 'role', 'x'],
  after: ['0', '1', '-1', '99999999999'],
}

const idFields: Record<string, RefKind> = {
  category: 'category',
  parent: 'category',
  category_id: 'category',
  parent_id: 'category',
  requester: 'user',
  assignee: 'user',
  member: 'user',
  requester_id: 'user',
  assignee_id: 'user',
  member_ids: 'user',
  actor: 'user',
  actor_id: 'user',
  confirmed: 'user',
  rejected: 'user',
  group: 'group',
  group_id: 'group',
  default_group_id: 'group',
  department: 'department',
  department_id: 'department',
  session: 'session',
}

/** Text fields of the forms: names as the routes read them. */
export const textFields = [
  'name',
  'description',
  'title',
  'body',
  'reason',
  'room',
  'phone',
  'position',
  'full_name',
  'current',
  'repeat',
  'login',
  'password',
  'q',
  'search',
  'member',
]

/** Every name the web reads from a form or a query string. */
export const webFieldNames: readonly string[] = [
  ...new Set([...Object.keys(fieldValues), ...Object.keys(idFields), ...textFields]),
]

const ordinaryText = fc.constantFrom(
  'Не печатает принтер в 3-м кабинете',
  'Заявка',
  'Иванов Иван Иванович',
  '+7 900 000-00-00',
  'Корпус 2, каб. 14',
  'ok',
  'пароль-для-теста-2026',
)

/** Any hostile text, or ordinary text, or random Unicode (fast-check's own full-range strings). */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...allPayloads) },
  { weight: 2, arbitrary: ordinaryText },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...allPayloads), fc.constantFrom(...allPayloads))
      .map(([a, b]) => `${a.slice(0, 200)}${b.slice(0, 200)}`),
  },
)

const ref = (kind: RefKind) => fc.double({ min: 0, max: 1, noNaN: true }).map((pick) => new Ref(kind, pick))

/** A value for a named field: mostly one that makes sense for it (so the use case runs), else hostile. */
export function slotFor(name: string): fc.Arbitrary<Slot> {
  const options: Array<fc.WeightedArbitrary<Slot>> = [{ weight: 3, arbitrary: hostileText }]
  const known = fieldValues[name]
  if (known) options.push({ weight: 5, arbitrary: fc.constantFrom(...known) })
  const kind = idFields[name]
  if (kind)
    options.push({ weight: 6, arbitrary: ref(kind) }, { weight: 2, arbitrary: fc.constantFrom(...payloads.numbers) })
  if (!known && !kind) options.push({ weight: 3, arbitrary: ordinaryText })
  return fc.oneof(...options)
}

/** Repeated keys, `key[]`, and keys nobody reads: what a query string or a form can carry. */
export function fieldsArb(names: readonly string[], maxFields = 6): fc.Arbitrary<Array<[string, Slot]>> {
  const field = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.constantFrom(...names).chain((name) => slotFor(name).map((v): [string, Slot] => [name, v])),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(...names), slotFor('x')).map(([name, v]): [string, Slot] => [`${name}[]`, v]),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(...payloads.names, ...payloads.unicode.slice(0, 8)), hostileText),
    },
  )
  return fc.array(field, { maxLength: maxFields })
}

/** A path segment for `:id`-like parameters: a real row most of the time, else hostile text. */
export function segmentArb(kind: RefKind | undefined, extra: readonly string[] = []): fc.Arbitrary<Slot> {
  const hostile = fc.constantFrom(
    ...payloads.numbers,
    ...payloads.traversal,
    ...payloads.names,
    '%00',
    '%E0%A4%A',
    '%C0%AF',
    '%FF',
    '%2F',
    '%ud800',
    'A'.repeat(5000),
  )
  const options: Array<fc.WeightedArbitrary<Slot>> = [{ weight: 2, arbitrary: hostile }]
  if (kind) options.push({ weight: 6, arbitrary: ref(kind) })
  if (extra.length > 0) options.push({ weight: 3, arbitrary: fc.constantFrom(...extra) })
  return fc.oneof(...options)
}

// JSON Schema (the subset zod's toJSONSchema writes for our bodies) → values that fit, then values that do not.

export interface JsonSchema {
  type?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  anyOf?: JsonSchema[]
  enum?: unknown[]
  const?: unknown
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  maxLength?: number
  minLength?: number
  maxItems?: number
  pattern?: string
}

/** A JSON value with `Ref`s in it (the harness names real rows before sending). */
export type Draft = null | boolean | number | string | Ref | Draft[] | { [key: string]: Draft }

const numberEdges = [2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53 + 1, 1e308, -0, -1, 0, 0.5, Number.MAX_SAFE_INTEGER]

/** A value of the wrong type, or an edge of the right one. */
const wrongValue: fc.Arbitrary<Draft> = fc.oneof(
  fc.constantFrom<Draft>(null, true, false, [], {}, '', '1', [1], { id: 1 }),
  fc.constantFrom<Draft>(...numberEdges),
  hostileText,
  fc.jsonValue({ maxDepth: 3 }).map((v) => v as Draft),
)

function fitting(schema: JsonSchema, name: string): fc.Arbitrary<Draft> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => fitting(s, name)))
  if (schema.const !== undefined) return fc.constant(schema.const as Draft)
  if (schema.enum) return fc.constantFrom(...(schema.enum as Draft[]))
  switch (schema.type) {
    case 'null':
      return fc.constant(null)
    case 'boolean':
      return fc.boolean()
    case 'integer': {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1000)
      const max = schema.maximum ?? 1000
      const kind = idFields[name]
      const edges = fc.constantFrom(min, max, Math.min(max, min + 1))
      const options: Array<fc.WeightedArbitrary<Draft>> = [
        { weight: 2, arbitrary: fc.integer({ min, max }) },
        { weight: 1, arbitrary: edges },
      ]
      if (kind) options.push({ weight: 6, arbitrary: ref(kind) })
      return fc.oneof(...options)
    }
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true })
    case 'string': {
      const max = schema.maxLength ?? 300
      const min = schema.minLength ?? 0
      const fits = (s: string) => s.length <= max && s.length >= min
      return fc.oneof(
        { weight: 3, arbitrary: hostileText.filter(fits) },
        { weight: 2, arbitrary: ordinaryText.filter(fits) },
        { weight: 1, arbitrary: fc.string({ minLength: min, maxLength: Math.min(max, 60) }) },
        { weight: 1, arbitrary: fc.constant('я'.repeat(max)) },
      )
    }
    case 'array':
      return fc.array(fitting(schema.items ?? {}, name), { maxLength: Math.min(schema.maxItems ?? 5, 5) })
    case 'object': {
      const props = schema.properties ?? {}
      const required = new Set(schema.required ?? [])
      const keys = Object.keys(props)
      if (keys.length === 0) return fc.constant({})
      return fc
        .tuple(
          ...keys.map((key) => {
            const value = fitting(props[key] ?? {}, key)
            return required.has(key) ? value.map((v) => ({ some: v })) : fc.option(value.map((v) => ({ some: v })))
          }),
        )
        .map((values) => {
          const out: Record<string, Draft> = {}
          values.forEach((v, i) => {
            const key = keys[i]
            if (v && key !== undefined) out[key] = v.some
          })
          return out
        })
    }
    default:
      return wrongValue
  }
}

/** Breaks one thing in a fitting object: a required field gone, a field of the wrong type, an unknown field. */
function broken(schema: JsonSchema): fc.Arbitrary<Draft> {
  const keys = Object.keys(schema.properties ?? {})
  return fc
    .tuple(
      fitting(schema, ''),
      fc.constantFrom('drop', 'wrong', 'extra', 'proto'),
      fc.constantFrom(...(keys.length > 0 ? keys : ['x'])),
      wrongValue,
    )
    .map(([value, how, key, wrong]) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Ref) return value
      const copy: Record<string, Draft> = { ...value }
      if (how === 'drop') delete copy[key]
      else if (how === 'wrong') copy[key] = wrong
      else if (how === 'extra') copy[`${key}_extra`] = wrong
      else Object.defineProperty(copy, '__proto__', { value: { role: 'admin' }, enumerable: true })
      return copy
    })
}

/** A body for an operation with this schema: fitting (deep), broken (validators), or anything at all. */
export function jsonBodyArb(schema: JsonSchema | undefined): fc.Arbitrary<Draft> {
  if (!schema) return wrongValue
  return fc.oneof(
    { weight: 5, arbitrary: fitting(schema, '') },
    { weight: 4, arbitrary: broken(schema) },
    { weight: 1, arbitrary: wrongValue },
  )
}

/** Raw bodies no JSON serializer would write. */
export const rawBodies: readonly string[] = [
  '{',
  '{"a":1,}',
  "{'a':1}",
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"a":1e400}',
  '{"a":-0}',
  '{"a":123456789012345678901234567890}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"__proto__":{"role":"admin"}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"a":1,"a":2}',
  'null',
  '[]',
  '""',
  '0',
  'true',
  '\ufeff{}',
  `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
  `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
  `{"description":"${'я'.repeat(120_000)}","category_id":1}`,
  `[${'1,'.repeat(60_000)}1]`,
  '\u0000',
  'a=1&b=2',
]
