import { z } from 'zod'

/**
 * Callback data of every inline button the bot shows (Telegram allows 64 bytes). Never trusted:
 * each handler re-checks the person and the ticket through the same use cases as the web.
 *
 *   c:yes | c:no                   consent
 *   d:page:<n> | d:pick:<id>       department picker
 *   r:ok:<userId> | r:no:<userId>  a curator decides a registration
 *   t:take:<id> | t:reply:<id> | t:confirm:<id> | t:reopen:<id> | t:open:<id>
 *   t:rate:<id>:<1-5>              rating
 *   k:<id>                         new ticket: category picked
 *   u:<urgency>                    new ticket: normal | high | critical
 *   x                              cancel the dialogue
 */
const id = z.coerce.number().int().positive().max(2_147_483_647)

export const callbackSchemas = {
  consent: z.tuple([z.literal('c'), z.enum(['yes', 'no'])]),
  department: z.tuple([z.literal('d'), z.enum(['page', 'pick']), z.coerce.number().int().min(0).max(2_147_483_647)]),
  registration: z.tuple([z.literal('r'), z.enum(['ok', 'no']), id]),
  ticket: z.tuple([z.literal('t'), z.enum(['take', 'reply', 'confirm', 'reopen', 'open']), id]),
  rating: z.tuple([z.literal('t'), z.literal('rate'), id, z.coerce.number().int().min(1).max(5)]),
  category: z.tuple([z.literal('k'), id]),
  urgency: z.tuple([z.literal('u'), z.enum(['normal', 'high', 'critical'])]),
  cancel: z.tuple([z.literal('x')]),
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
  ticket: (action: 'take' | 'reply' | 'confirm' | 'reopen' | 'open', ticketId: number) => `t:${action}:${ticketId}`,
  rate: (ticketId: number, score: number) => `t:rate:${ticketId}:${score}`,
  category: (categoryId: number) => `k:${categoryId}`,
  urgency: (urgency: 'normal' | 'high' | 'critical') => `u:${urgency}`,
  cancel: () => 'x',
} as const
