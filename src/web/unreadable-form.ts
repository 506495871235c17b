import type { Context } from 'hono'

const formType = /^\s*(multipart\/form-data|application\/x-www-form-urlencoded)\s*(;|$)/i

/**
 * Whether a request's form body is one nobody can read — a multipart body without its boundary, cut short, or
 * with parts that are not form fields. Asked by the error boundary: the parse failed somewhere in a route (the
 * CSRF check reads the form first), and hono keeps the failed parse, so asking again costs nothing and says
 * whether the body was the cause, without knowing the parser's wording.
 */
export async function unreadableForm(c: Context): Promise<boolean> {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return false
  if (!formType.test(c.req.header('content-type') ?? '')) return false
  return c.req.parseBody().then(
    () => false,
    () => true,
  )
}
