import { z } from 'zod'

/**
 * Callback data of every inline button the bot shows (Telegram allows 64 bytes). Never trusted:
 * each handler re-checks the person and the ticket through the same use cases as the web.
 *
 *   c:yes | c:no                   consent
 *   d:page:<n> | d:pick:<id>       department picker
 *   r:ok:<userId> | r:no:<userId>  a curator decides a registration
 *   t:take:<id> | t:reply:<id> | t:confirm:<id> | t:reopen:<id> | t:open:<id>
 *   t:file:<id>                    a waiting free message: file it on this ticket
 *   t:skip:<id>                    rating: no comment
 *   t:rate:<id>:<1-5>              rating
 *   k:<id>                         new ticket: category picked
 *   k:p:<parentId|0>:<page>        new ticket: a page of categories (0 = the top level)
 *   u:<urgency>                    new ticket: normal | high | critical
 *   b:ok:<articleId> | b:no        new ticket: an article offered helped («Помогло»), or not («Нет, создать заявку»)
 *   x                              cancel the dialogue
 *   w:yes | w:no                   /revoke: withdraw consent, or not
 *   a:<textId>:yes | a:<textId>:no a new consent text: agree again, or not (a withdrawal)
 *   g:ok:<ticketId> | g:no:<ticketId>  «Согласовать» / «Отклонить» a ticket awaiting approval (src/approvals)
 *   e:ok:<ticketId>                «Принял»: a critical ticket filed at night is taken in hand (src/duty)
 *   o:me:<outageId> | o:no:<outageId>  new ticket: a known outage offered — «У меня тоже», or «Нет, у меня другое»
 *   o:off                          an outage's announcement: «Не присылать такие объявления»
 */
const id = z.coerce.number().int().positive().max(2_147_483_647)

export const ticketActions = ['take', 'reply', 'confirm', 'reopen', 'open', 'file', 'skip'] as const
export type TicketAction = (typeof ticketActions)[number]

export const callbackSchemas = {
  consent: z.tuple([z.literal('c'), z.enum(['yes', 'no'])]),
  department: z.tuple([z.literal('d'), z.enum(['page', 'pick']), z.coerce.number().int().min(0).max(2_147_483_647)]),
  registration: z.tuple([z.literal('r'), z.enum(['ok', 'no']), id]),
  ticket: z.tuple([z.literal('t'), z.enum(ticketActions), id]),
  rating: z.tuple([z.literal('t'), z.literal('rate'), id, z.coerce.number().int().min(1).max(5)]),
  category: z.tuple([z.literal('k'), id]),
  categoryPage: z.tuple([
    z.literal('k'),
    z.literal('p'),
    z.coerce.number().int().min(0).max(2_147_483_647),
    z.coerce.number().int().min(0).max(10_000),
  ]),
  urgency: z.tuple([z.literal('u'), z.enum(['normal', 'high', 'critical'])]),
  articleHelped: z.tuple([z.literal('b'), z.literal('ok'), id]),
  articleNotHelped: z.tuple([z.literal('b'), z.literal('no')]),
  cancel: z.tuple([z.literal('x')]),
  withdraw: z.tuple([z.literal('w'), z.enum(['yes', 'no'])]),
  reconsent: z.tuple([z.literal('a'), id, z.enum(['yes', 'no'])]),
  approval: z.tuple([z.literal('g'), z.enum(['ok', 'no']), id]),
  acknowledge: z.tuple([z.literal('e'), z.literal('ok'), id]),
  outageAnswer: z.tuple([z.literal('o'), z.enum(['me', 'no']), id]),
  outageOptOut: z.tuple([z.literal('o'), z.literal('off')]),
} as const

export type CallbackKind = keyof typeof callbackSchemas
export type Callback = { [K in CallbackKind]: { kind: K; parts: z.infer<(typeof callbackSchemas)[K]> } }[CallbackKind]

/** Parses callback data; anything unknown or malformed is `undefined` (answered politely, changes nothing). */
export function parseCallback(data: string | undefined): Callback | undefined {
  if (!data || data.length > 64) return undefined
  const parts = data.split(':')
  for (const kind of Object.keys(callbackSchemas) as CallbackKind[]) {
    const parsed = callbackSchemas[kind].safeParse(parts)
    if (parsed.success) return { kind, parts: parsed.data } as Callback
  }
  return undefined
}

export const callback = {
  consent: (answer: 'yes' | 'no') => `c:${answer}`,
  departmentPage: (page: number) => `d:page:${page}`,
  departmentPick: (departmentId: number) => `d:pick:${departmentId}`,
  registration: (decision: 'ok' | 'no', userId: number) => `r:${decision}:${userId}`,
  ticket: (action: TicketAction, ticketId: number) => `t:${action}:${ticketId}`,
  rate: (ticketId: number, score: number) => `t:rate:${ticketId}:${score}`,
  category: (categoryId: number) => `k:${categoryId}`,
  categoryPage: (parentId: number, page: number) => `k:p:${parentId}:${page}`,
  urgency: (urgency: 'normal' | 'high' | 'critical') => `u:${urgency}`,
  articleHelped: (articleId: number) => `b:ok:${articleId}`,
  articleNotHelped: () => 'b:no',
  cancel: () => 'x',
  withdraw: (answer: 'yes' | 'no') => `w:${answer}`,
  reconsent: (consentTextId: number, answer: 'yes' | 'no') => `a:${consentTextId}:${answer}`,
  approval: (decision: 'ok' | 'no', ticketId: number) => `g:${decision}:${ticketId}`,
  acknowledge: (ticketId: number) => `e:ok:${ticketId}`,
  outageAnswer: (answer: 'me' | 'no', outageId: number) => `o:${answer}:${outageId}`,
  outageOptOut: () => 'o:off',
} as const
