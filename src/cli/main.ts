import { readFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { Command, CommanderError, Help } from 'commander'
import { isDomainError } from '#src/errors.ts'
import { registerAuditCommands } from './audit-commands.ts'
import { registerBackupCommands } from './backup-commands.ts'
import { registerConsentCommands } from './consent-commands.ts'
import { type CliContext, loadCliConfig, UsageError, withDatabase } from './context.ts'
import { registerDbCommands } from './db-commands.ts'
import { registerDemoCommand } from './demo-command.ts'
import { registerImportCommand } from './import-commands.ts'
import { processOutput } from './output.ts'
import { registerPdnCommands } from './pdn-commands.ts'
import { registerSettingsCommands } from './settings-commands.ts'
import { registerStatsCommands } from './stats-commands.ts'
import { registerSubjectExportCommand } from './subject-export-command.ts'
import { registerSubjectCommands } from './subjects-commands.ts'
import { registerTokenCommands, registerUserCommands } from './users-commands.ts'

/**
 * The old admin scripts spelled flags with underscores (`--chat_id`); the dashed spelling works too.
 * Both reach commander as the legacy spelling, which is also what the help shows.
 */
const dashedToLegacy: Record<string, string> = {
  '--chat-id': '--chat_id',
  '--pdn-related': '--pdn_related',
  '--date-from': '--date_from',
  '--date-to': '--date_to',
  '--export-csv': '--export_csv',
}

export function normaliseArgv(argv: readonly string[]): string[] {
  const end = argv.indexOf('--')
  return argv.map((arg, i) => {
    if (end !== -1 && i >= end) return arg
    const eq = arg.indexOf('=')
    const flag = eq === -1 ? arg : arg.slice(0, eq)
    const legacy = dashedToLegacy[flag]
    return legacy ? legacy + (eq === -1 ? '' : arg.slice(eq)) : arg
  })
}

/** Commander's own messages (unknown flag, missing value…) in Russian, on one line. */
function translateCommanderMessage(text: string): string {
  const message = text
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.+)\?\)/, ' (может быть, $1?)')
    .replace(/\s+/g, ' ')
    .trim()
  const rules: Array<[RegExp, string]> = [
    [/^unknown option '(.+?)'/, 'неизвестный флаг $1'],
    [/^unknown command '(.+?)'/, 'неизвестная команда $1'],
    [/^required option '(.+?)' not specified/, 'не указан обязательный флаг $1'],
    [/^option '(.+?)' argument missing/, 'у флага $1 нет значения'],
    [/^missing required argument '(.+?)'/, 'не указан аргумент $1'],
    [
      /^too many arguments for '(.+?)'\. Expected (\d+) arguments? but got (\d+)\./,
      'лишние аргументы у команды $1: ожидается $2, указано $3',
    ],
    [/^too many arguments\. Expected (\d+) arguments? but got (\d+)\./, 'лишние аргументы: ожидается $1, указано $2'],
    [
      /^option '(.+?)' argument '(.+?)' is invalid\. Allowed choices are (.+)\./,
      'флаг $1: недопустимое значение «$2», возможны: $3',
    ],
    [/^option '(.+?)' argument '(.+?)' is invalid\.\s*(.*)$/, 'флаг $1: недопустимое значение «$2». $3'],
    [
      /^command-argument value '(.+?)' is invalid for argument '(.+?)'\. Allowed choices are (.+)\./,
      'аргумент $2: недопустимое значение «$1», возможны: $3',
    ],
    [
      /^command-argument value '(.+?)' is invalid for argument '(.+?)'\.\s*(.*)$/,
      'аргумент $2: недопустимое значение «$1». $3',
    ],
    [/^(.+?) cannot be used with (.+)$/, '$1 нельзя указывать вместе с $2'],
  ]
  for (const [pattern, replacement] of rules) {
    if (pattern.test(message)) return message.replace(pattern, replacement)
  }
  return message
}

/** Commander's own words in the help: the section titles, `[options]`, and what it adds to a description. */
const helpTitles: Record<string, string> = {
  'Usage:': 'Использование:',
  'Options:': 'Параметры:',
  'Global Options:': 'Общие параметры:',
  'Commands:': 'Команды:',
  'Arguments:': 'Аргументы:',
}
const helpExtras: Record<string, string> = {
  default: 'по умолчанию',
  choices: 'возможны',
  preset: 'без значения',
  env: 'переменная окружения',
}
const russianHelp: Partial<Help> = {
  styleTitle: (title) => helpTitles[title] ?? title,
  commandUsage(command) {
    return Help.prototype.commandUsage
      .call(this, command)
      .replace('[options]', '[параметры]')
      .replace('[command]', '[команда]')
  },
  subcommandTerm(command) {
    return Help.prototype.subcommandTerm.call(this, command).replace(' [options]', ' [параметры]')
  },
  optionDescription(option) {
    return translateHelpExtras(Help.prototype.optionDescription.call(this, option))
  },
  argumentDescription(argument) {
    return translateHelpExtras(Help.prototype.argumentDescription.call(this, argument))
  },
}

function translateHelpExtras(description: string): string {
  return description.replace(/(\(|, )(default|choices|preset|env): /g, (_, lead: string, word: string) => {
    return `${lead}${helpExtras[word] ?? word}: `
  })
}

/** The version `helpdesk -V` shows (the build rewrites this URL for dist/, where the module sits one level up). */
function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url)
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '?'
}

function buildProgram(context: CliContext): Command {
  const program = new Command('helpdesk')
  program
    .description('Служба ИТ-поддержки ОБУЗ КГКБСМП: сервер, пользователи, журнал аудита, резервные копии')
    .option('--debug', 'при ошибке показать подробности (стек вызовов)')
    .version(packageVersion(), '-V, --version', 'показать версию')
    .configureHelp(russianHelp)
    .helpOption('-h, --help', 'показать справку')
    .helpCommand('help [команда]', 'показать справку по команде')
    .addHelpText(
      'after',
      `
Настройки берутся из окружения: DATA_DIR (папка данных, по умолчанию ./data), DATABASE_URL (postgres://… для PostgreSQL).

Примеры:
  helpdesk serve
  helpdesk migrate
  helpdesk users list --pending
  helpdesk users confirm --id 123
  helpdesk users deactivate --chat_id 456789012
  helpdesk users role --id 123 --role admin
  helpdesk users create-admin --login admin
  helpdesk audit --pdn_related --export_csv audit_export.csv
  helpdesk audit verify
  helpdesk audit checkpoint
  helpdesk db grant --role helpdesk_app
  helpdesk settings set tickets.auto_close_days 5
  helpdesk consent publish --file soglasie-v2.md
  helpdesk pdn access-list --export_csv access-list.csv
  helpdesk backup
  helpdesk restore data/backups/helpdesk-20261126-140305.tar.age
  helpdesk <команда> --help`,
    )
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void process.stdout.write(text),
      writeErr: (text) => void process.stderr.write(text),
      outputError: (text, write) => write(`Ошибка: ${translateCommanderMessage(text)}\n`),
    })

  program
    .command('serve')
    .description('запустить веб-интерфейс, бота и фоновые задачи (то, что делает npm start)')
    .addHelpText('after', '\nПример:\n  DATA_DIR=/var/lib/helpdesk helpdesk serve')
    .action(async () => {
      // V8 lets the heap grow to about four times what a full collection leaves before it collects again:
      // a server whose live heap is 46 MB stood at 325 MB after 30 s of ticket views. Half as much again
      // keeps it near 160 MB at the same speed (issue 12: PSS under load). Not a limit: a large export
      // still gets the memory it needs. NODE_OPTIONS may set another value; it is not overridden.
      if (
        !process.execArgv.join(' ').includes('heap-growing-percent') &&
        !process.env.NODE_OPTIONS?.includes('heap-growing-percent')
      ) {
        setFlagsFromString('--heap-growing-percent=50')
      }
      const config = await loadCliConfig()
      const { createLogger } = await import('#src/logger.ts')
      const { serve } = await import('#src/main.ts')
      await serve(config, createLogger(config.logLevel))
    })

  program
    .command('migrate')
    .description('применить миграции базы данных (serve делает это сам)')
    .addHelpText('after', '\nПример:\n  helpdesk migrate')
    .action(async () => {
      await withDatabase(context.output, async ({ config }) => {
        const where = config.database.kind === 'sqlite' ? config.database.file : 'PostgreSQL'
        context.output.out(`База данных обновлена: ${where}`)
      })
    })

  registerUserCommands(program, context)
  registerTokenCommands(program, context)
  registerAuditCommands(program, context)
  registerDemoCommand(program, context)
  registerBackupCommands(program, context)
  registerDbCommands(program, context)
  registerSubjectCommands(program, context)
  registerSubjectExportCommand(program, context)
  registerSettingsCommands(program, context)
  registerStatsCommands(program, context)
  registerPdnCommands(program, context)
  registerConsentCommands(program, context)
  registerImportCommand(program, context)

  // Every command and subcommand reports usage errors the same way.
  const inherit = (command: Command) => {
    for (const sub of command.commands) {
      sub.exitOverride().showSuggestionAfterError(true)
      sub.configureOutput(program.configureOutput())
      sub.configureHelp(program.configureHelp())
      inherit(sub)
    }
  }
  inherit(program)
  return program
}

/** Runs the `helpdesk` command with these arguments; resolves to the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug')
  const context: CliContext = { output: processOutput(), exitCode: 0 }
  const program = buildProgram(context)
  try {
    await program.parseAsync(normaliseArgv(argv), { from: 'user' })
    return context.exitCode
  } catch (error) {
    return reportError(error, debug, context)
  }
}

function reportError(error: unknown, debug: boolean, context: CliContext): number {
  if (error instanceof CommanderError) {
    // Help printed on request succeeds; a bare `helpdesk` shows help too but is a usage error.
    return error.exitCode === 0 ? 0 : 2
  }
  const { err } = context.output
  if (error instanceof UsageError) {
    err(`Ошибка: ${error.message}`)
    return 2
  }
  if (isDomainError(error)) {
    err(`Ошибка: ${error.message}`)
    if (debug && error.stack) err(error.stack)
    return error.code === 'validation' || error.code === 'bad_request' ? 2 : 1
  }
  const message = error instanceof Error ? error.message : String(error)
  err(`Ошибка: ${message.split('\n')[0] ?? message}${debug ? '' : ' (подробности: --debug)'}`)
  if (debug && error instanceof Error && error.stack) err(error.stack)
  return 1
}
