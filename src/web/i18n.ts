import { AsyncLocalStorage } from 'node:async_hooks'
import { en } from './i18n/en.ts'

/**
 * The web's languages (UI.md: Russian first, English second, chosen in the profile). The Russian text
 * is the key, as in gettext: a view writes `t('Заявки')` and reads naturally; the English catalogue
 * (i18n/en.ts) maps it, and a text it lacks stays Russian rather than breaking the page. The language
 * of the request is set once by the session middleware and read here through AsyncLocalStorage, so
 * views do not pass it along. Placeholders: `t('Заявка № {id}', { id: 5 })`.
 */

export type Language = 'ru' | 'en'
export const languages: readonly Language[] = ['ru', 'en']

const current = new AsyncLocalStorage<Language>()

/** Runs the rest of the request in the person's language. */
export function inLanguage<T>(language: Language, fn: () => T): T {
  return current.run(language, fn)
}

export function language(): Language {
  return current.getStore() ?? 'ru'
}

const catalogues: Record<Language, Readonly<Record<string, string>> | undefined> = { ru: undefined, en }

export function t(text: string, params?: Readonly<Record<string, string | number>>): string {
  const translated = catalogues[language()]?.[text] ?? text
  if (!params) return translated
  return translated.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name]
    return value === undefined ? whole : String(value)
  })
}

/**
 * Marks a text for translation where it is defined (a table of labels) and returns it unchanged; it is
 * translated where it is shown, with t() (gettext's `N_`).
 */
export function msg(text: string): string {
  return text
}

const russianPlurals = new Intl.PluralRules('ru')
const englishPlurals = new Intl.PluralRules('en')

/**
 * A count with its noun: `tn(5, ['заявка', 'заявки', 'заявок'], ['ticket', 'tickets'])` → «5 заявок» or
 * «5 tickets».
 */
export function tn(
  n: number,
  ru: readonly [one: string, few: string, many: string],
  enForms: readonly [one: string, other: string],
): string {
  if (language() === 'en') {
    return `${n.toLocaleString('en-GB')} ${englishPlurals.select(n) === 'one' ? enForms[0] : enForms[1]}`
  }
  const rule = russianPlurals.select(n)
  const noun = rule === 'one' ? ru[0] : rule === 'few' ? ru[1] : ru[2]
  return `${n.toLocaleString('ru-RU')} ${noun}`
}
