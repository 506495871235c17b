import { randomBytes } from 'node:crypto'
import type { Command } from 'commander'
import { type CliContext, UsageError, withDatabase } from './context.ts'
import { progressBar } from './output.ts'

/** `helpdesk demo`: a realistic hospital to try the system on (never on a production database). */
export function registerDemoCommand(program: Command, context: CliContext): void {
  program
    .command('demo')
    .description('заполнить базу демонстрационными данными: отделения, группы, категории, сотрудники, заявки за год')
    .option('--tickets <N>', 'сколько заявок создать', '500')
    .option('--seed <S>', 'зерно генератора: с тем же зерном получаются те же данные')
    .option('--force', 'добавить данные, даже если в базе уже есть заявки')
    .addHelpText(
      'after',
      `
Пример:
  DATA_DIR=./demo-data helpdesk demo --tickets 5000 --seed 42
  helpdesk demo --tickets 1000000   # для проверки скорости`,
    )
    .action(async (opts: { tickets: string; seed?: string; force?: true }) => {
      const tickets = Number(opts.tickets)
      if (!/^\d+$/.test(opts.tickets) || !Number.isSafeInteger(tickets) || tickets > 5_000_000) {
        throw new UsageError(`--tickets: нужно целое число от 0 до 5000000, получено «${opts.tickets}»`)
      }
      const seed = opts.seed ?? String(randomBytes(4).readUInt32BE(0))
      const password = `demo-${randomBytes(6).toString('base64url')}`
      const started = Date.now()
      const [{ generateDemo }, { HOSPITAL_NAME }, { hashPassword }] = await Promise.all([
        import('#src/demo/generate.ts'),
        import('#src/demo/hospital.ts'),
        import('#src/users/passwords.ts'),
      ])
      await withDatabase(context.output, async ({ config, db, actor }) => {
        const progress = progressBar(context.output, 'Заявки', tickets)
        const result = await generateDemo(db, actor, {
          tickets,
          seed,
          force: opts.force === true,
          timeZone: config.tzDisplay,
          staffPasswordHash: await hashPassword(password),
          onProgress: (done) => progress.update(done),
          onFinishing: () => {
            progress.finish()
            if (context.output.stderrIsTty) process.stderr.write('Индексы и статистика таблиц…\n')
          },
        })
        const seconds = ((Date.now() - started) / 1000).toFixed(1)
        const { out } = context.output
        out(`Демо-данные: ${HOSPITAL_NAME}`)
        out(`  отделений ${result.departments}, групп исполнителей ${result.groups}, категорий ${result.categories}`)
        out(`  сотрудников ИТ ${result.staff}, заявителей ${result.requesters}`)
        out(`  заявок ${result.tickets}, сообщений ${result.messages}, событий ${result.events}`)
        const current = result.current
        out(
          `  сейчас: открытых ${current.open} (новых ${current.new}, без исполнителя ${current.unassigned}, ` +
            `просроченных ${current.overdue}), решённых ждут подтверждения ${current.resolved}, ` +
            `регистраций ждут решения ${current.pendingRegistrations}`,
        )
        out(`  время ${seconds} с; зерно ${result.seed} (повторить: --seed ${result.seed})`)
        out(`Вход для сотрудников ИТ: логины ${result.staffLogins.join(', ')}; пароль ${password}`)
      })
    })
}
