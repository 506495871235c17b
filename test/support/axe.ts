import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

/**
 * axe-core (Deque's accessibility rules: contrast, names of controls, ARIA, landmarks…) run inside a journey's
 * page. The app's CSP refuses inline scripts, so `page.addScriptTag({ content })` would be blocked (and fail
 * the journey's clean console): the source is evaluated through the DevTools protocol instead, which the
 * page's CSP does not govern. Nothing of the page is changed but a global `axe`.
 */

const require = createRequire(import.meta.url)
let source: string | undefined

export interface AxeViolation {
  rule: string
  impact: string
  help: string
  /** The CSS selectors of the first offending elements, and what axe says of the first one. */
  targets: string[]
  summary: string
}

/** The violations of impact «serious» or «critical» on the page as it is now (every rule axe runs by default). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) {
    source ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')
    await page.evaluate(`${source}\n;true`)
  }
  // A string, evaluated in the page: this project's TypeScript has no DOM types.
  return page.evaluate(`window.axe.run(document, { resultTypes: ['violations'] }).then((results) =>
    results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        rule: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
        summary: (v.nodes[0] && v.nodes[0].failureSummary) || '',
      })))`)
}
