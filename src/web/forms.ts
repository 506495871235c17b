import type { Context } from 'hono'
import { MAX_ID } from '#src/api/validate.ts'

/** A submitted HTML form, read leniently: the use cases judge the values. */
export interface FormFields {
  text(name: string, max?: number): string | undefined
  id(name: string): number | undefined
}

export async function readForm(c: Context): Promise<FormFields> {
  const body = await c.req.parseBody()
  const text = (name: string, max = 20_000) => {
    const value = body[name]
    return typeof value === 'string' ? value.replaceAll('\u0000', '').slice(0, max) : undefined
  }
  return {
    text,
    id(name) {
      const value = text(name, 12)
      if (!value || !/^[1-9][0-9]{0,9}$/.test(value)) return undefined
      const n = Number(value)
      return n <= MAX_ID ? n : undefined
    },
  }
}
