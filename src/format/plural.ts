/** Russian plurals, for every edge (web pages, bot texts): «1 заявка, 2 заявки, 5 заявок». */

const pluralRules = new Intl.PluralRules('ru')

/** Forms for one, few and many: `['заявка', 'заявки', 'заявок']`. */
export type PluralForms = readonly [one: string, few: string, many: string]

export function plural(n: number, forms: PluralForms): string {
  const rule = pluralRules.select(n)
  if (rule === 'one') return forms[0]
  if (rule === 'few') return forms[1]
  return forms[2]
}
