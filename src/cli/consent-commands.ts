import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { formatDateTime } from '#src/format/zone-days.ts'
import { type CliContext, UsageError, withDatabase } from './context.ts'
import { type Column, formatTable } from './output.ts'

/** The longest file `consent publish` reads: a consent text is at most 50 000 characters. */
const MAX_FILE_BYTES = 1024 * 1024

/**
 * `helpdesk consent show | publish --file F.md` (issue 10): the consent text in force and its versions,
 * and publishing a new version from a file — the same use case as «Настройки → Согласие на обработку ПДн»,
 * journaled with the OS user and host.
 */
export function registerConsentCommands(program: Command, context: CliContext): void {
  const consent = program
    .command('consent')
    .description('согласие на обработку ПДн: действующий текст, версии, публикация новой версии')
    .addHelpText(
      'after',
      `
Новая версия не правит старую: активные пользователи подтвердят её заново — в боте при следующем
сообщении, на сайте при входе; отказ означает отзыв согласия.

Примеры:
  helpdesk consent show
  helpdesk consent show --json
  helpdesk consent publish --file soglasie-v2.md`,
    )

  consent
    .command('show')
    .description('показать действующий текст согласия и историю версий')
    .option('--json', 'вывести JSON (для скриптов)')
    .addHelpText('after', '\nПримеры:\n  helpdesk consent show\n  helpdesk consent show --json')
    .action(async (opts: { json?: true }) => {
      await withDatabase(context.output, async ({ config, db }) => {
        const { listConsentTexts } = await import('#src/users/consent.ts')
        const versions = await listConsentTexts(db)
        const [current] = versions
        if (!current) throw new Error('no consent text')
        if (opts.json) {
          context.output.out(
            JSON.stringify(
              versions.map((v) => ({
                version: v.version,
                validFrom: v.valid_from,
                sha256: v.sha256,
                createdBy: v.created_by,
                consents: v.consents,
                ...(v === current ? { text: v.text } : {}),
              })),
              null,
              2,
            ),
          )
          return
        }
        const tz = config.tzDisplay
        context.output.out(
          `Действующий текст: версия ${current.version} с ${formatDateTime(current.valid_from, tz)}, SHA-256 ${current.sha256}\n`,
        )
        context.output.out(current.text)
        context.output.out('')
        const columns: Column<(typeof versions)[number]>[] = [
          { header: 'Версия', value: (v) => String(v.version), align: 'right' },
          { header: 'Действует с', value: (v) => formatDateTime(v.valid_from, tz) },
          { header: 'Опубликовал', value: (v) => (v.created_by === null ? 'система' : `№ ${v.created_by}`) },
          { header: 'Согласий', value: (v) => String(v.consents), align: 'right' },
        ]
        context.output.out(formatTable(versions, columns, context.output))
      })
    })

  consent
    .command('publish')
    .description('опубликовать новую версию текста согласия из файла (UTF-8, обычный текст или Markdown)')
    .requiredOption('--file <файл>', 'файл с полным текстом согласия')
    .addHelpText('after', '\nПример:\n  helpdesk consent publish --file soglasie-v2.md')
    .action(async (opts: { file: string }) => {
      const file = path.resolve(opts.file)
      const text = await readText(file)
      await withDatabase(context.output, async ({ db, actor }) => {
        const { publishConsentText } = await import('#src/users/consent.ts')
        const published = await publishConsentText(db, actor, { text })
        context.output.out(`Опубликована версия ${published.version} текста согласия (SHA-256 ${published.sha256})`)
      })
    })
}

async function readText(file: string): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch {
    throw new UsageError(`не удалось прочитать файл ${file}`)
  }
  if (bytes.byteLength > MAX_FILE_BYTES) throw new UsageError(`файл ${file} больше 1 МБ`)
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/^\uFEFF/, '')
  if (text.includes('\uFFFD')) throw new UsageError(`файл ${file} не в кодировке UTF-8`)
  return text
}
