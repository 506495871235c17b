import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import type { Command } from 'commander'
import { type Role, roles, type User, type UserStatus, userStatuses } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { type CliContext, parseId, type Session, UsageError, withDatabase } from './context.ts'
import { messages, roleLabels, statusLabels } from './messages.ts'
import { type Column, formatTable } from './output.ts'

/** `helpdesk users …`: the old admin_user_manage.py, same verbs and flags. */
export function registerUserCommands(program: Command, context: CliContext): void {
  const users = program
    .command('users')
    .description(
      'пользователи: список, подтверждение, роли, деактивация, снятие ограничения входа, первый администратор',
    )
    .addHelpText(
      'after',
      `
Примеры:
  helpdesk users list --pending
  helpdesk users confirm --id 123
  helpdesk users deactivate --chat_id 456789012
  helpdesk users role --id 123 --role admin
  helpdesk users unlock --id 123
  helpdesk users reset-2fa --id 123
  helpdesk users create --login a.smirnova --full-name "Смирнова Анна Петровна" --role executor
  helpdesk users reset-password --id 123
  helpdesk users create-admin --login admin`,
    )

  users
    .command('list')
    .description('показать пользователей')
    .option('--pending', 'только неподтверждённые (ждут решения)')
    .option('--role <роль>', `только с этой ролью: ${roles.join(', ')}`)
    .option('--status <статус>', `только с этим статусом: ${userStatuses.join(', ')}`)
    .option('--search <текст>', 'часть ФИО, логина или телефона')
    .option('--json', 'вывести JSON (для скриптов)')
    .addHelpText(
      'after',
      '\nПримеры:\n  helpdesk users list\n  helpdesk users list --pending\n  helpdesk users list --role executor --search иванов --json',
    )
    .action(async (opts: { pending?: true; role?: string; status?: string; search?: string; json?: true }) => {
      const role = opts.role === undefined ? undefined : parseRole(opts.role)
      const status = opts.pending ? 'pending' : opts.status === undefined ? undefined : parseStatus(opts.status)
      await withDatabase(context.output, async (session) => {
        const [{ audit }, { publicUser }] = await Promise.all([
          import('#src/audit/journal.ts'),
          import('#src/users/user-store.ts'),
        ])
        const found = await allUsers(session, { role, status, q: opts.search })
        await audit(session.db, session.actor, {
          action: 'user.list',
          objectType: 'user',
          pdn: true,
          description: `Просмотр списка пользователей, записей: ${found.length}`,
          details: { role: role ?? null, status: status ?? null, search: opts.search ? true : undefined },
        })
        if (opts.json) {
          context.output.out(JSON.stringify(found.map(publicUser), null, 2))
          return
        }
        if (found.length === 0) {
          context.output.err('Пользователей по этим условиям нет')
          return
        }
        const departments = await departmentNames(session)
        context.output.out(formatTable(found, userColumns(departments, found), context.output))
        context.output.err(`Всего: ${found.length}`)
      })
    })

  users
    .command('confirm')
    .description('подтвердить регистрацию')
    .requiredOption('--id <id>', 'номер пользователя (из users list)')
    .addHelpText('after', '\nПример:\n  helpdesk users confirm --id 123')
    .action(async (opts: { id: string }) => {
      const userId = parseId(opts.id, '--id')
      await withDatabase(context.output, async (session) => {
        const { confirmUser } = await import('#src/users/confirm-user.ts')
        const user = await requireUser(session, userId)
        await confirmUser(session.db, session.actor, { userId: user.id })
        context.output.out(`Пользователь ${user.id} подтверждён`)
      })
    })

  users
    .command('reject')
    .description('отклонить регистрацию с причиной')
    .requiredOption('--id <id>', 'номер пользователя')
    .requiredOption('--reason <текст>', 'причина (её получит заявитель)')
    .addHelpText('after', '\nПример:\n  helpdesk users reject --id 123 --reason "Не сотрудник больницы"')
    .action(async (opts: { id: string; reason: string }) => {
      const userId = parseId(opts.id, '--id')
      await withDatabase(context.output, async (session) => {
        const { rejectUser } = await import('#src/users/reject-user.ts')
        const user = await requireUser(session, userId)
        await rejectUser(session.db, session.actor, { userId: user.id, reason: opts.reason })
        context.output.out(`Регистрация пользователя ${user.id} отклонена`)
      })
    })

  const switches = [
    {
      verb: 'deactivate',
      description: 'деактивировать (история сохраняется, сеансы и токены отзываются)',
      done: 'деактивирован',
      run: async () => (await import('#src/users/deactivate-user.ts')).deactivateUser,
    },
    {
      verb: 'reactivate',
      description: 'снова активировать деактивированного',
      done: 'снова активен',
      run: async () => (await import('#src/users/reactivate-user.ts')).reactivateUser,
    },
  ] as const
  for (const { verb, description, done, run } of switches) {
    users
      .command(verb)
      .description(description)
      .option('--id <id>', 'номер пользователя')
      .option('--chat_id <chat_id>', 'Telegram chat id (можно и --chat-id)')
      .addHelpText(
        'after',
        `\nПримеры:\n  helpdesk users ${verb} --chat_id 456789012\n  helpdesk users ${verb} --id 123`,
      )
      .action(async (opts: { id?: string; chat_id?: string }) => {
        if ((opts.id === undefined) === (opts.chat_id === undefined)) throw new UsageError(messages.idOrChatId)
        const userId = opts.id === undefined ? undefined : parseId(opts.id, '--id')
        await withDatabase(context.output, async (session) => {
          const user =
            userId === undefined
              ? await requireChatUser(session, opts.chat_id ?? '')
              : await requireUser(session, userId)
          await (await run())(session.db, session.actor, { userId: user.id })
          context.output.out(`Пользователь ${user.id} ${done}`)
        })
      })
  }

  users
    .command('unlock')
    .description('снять ограничение входа: забыть неудачные попытки пароля этого пользователя со всех адресов')
    .requiredOption('--id <id>', 'номер пользователя')
    .addHelpText('after', '\nПример:\n  helpdesk users unlock --id 123')
    .action(async (opts: { id: string }) => {
      const userId = parseId(opts.id, '--id')
      await withDatabase(context.output, async (session) => {
        const { unlockLogin } = await import('#src/users/unlock-login.ts')
        const user = await requireUser(session, userId)
        const { cleared } = await unlockLogin(session.db, session.actor, { userId: user.id })
        context.output.out(
          cleared === 0
            ? `Пользователь ${user.id}: ограничений входа не было`
            : `Пользователь ${user.id}: ограничение входа снято, может входить`,
        )
      })
    })

  users
    .command('reset-2fa')
    .description('сбросить двухфакторную защиту (потерян телефон и резервные коды): сеансы завершаются')
    .requiredOption('--id <id>', 'номер пользователя')
    .addHelpText('after', '\nПример:\n  helpdesk users reset-2fa --id 123')
    .action(async (opts: { id: string }) => {
      const userId = parseId(opts.id, '--id')
      await withDatabase(context.output, async (session) => {
        const { resetTotp } = await import('#src/users/reset-totp.ts')
        const user = await requireUser(session, userId)
        const ended = await resetTotp(session.db, session.actor, user.id)
        context.output.out(
          `Пользователь ${user.id}: двухфакторная защита сброшена, завершено сеансов: ${ended}; при входе подключит приложение заново`,
        )
      })
    })

  users
    .command('role')
    .description('изменить роль')
    .requiredOption('--id <id>', 'номер пользователя')
    .requiredOption('--role <роль>', `новая роль: ${roles.join(', ')}`)
    .addHelpText('after', '\nПример:\n  helpdesk users role --id 123 --role admin')
    .action(async (opts: { id: string; role: string }) => {
      const userId = parseId(opts.id, '--id')
      const role = parseRole(opts.role)
      await withDatabase(context.output, async (session) => {
        const { changeRole } = await import('#src/users/change-role.ts')
        const user = await requireUser(session, userId)
        await changeRole(session.db, session.actor, { userId: user.id, role })
        context.output.out(`Пользователь ${user.id}: роль ${role} (${roleLabels[role]})`)
      })
    })

  users
    .command('create')
    .description(
      'создать пользователя с логином без пароля; печатает одноразовую ссылку для установки пароля (24 часа)',
    )
    .requiredOption('--login <логин>', 'логин для входа на сайт')
    .requiredOption('--full-name <ФИО>', 'ФИО')
    .requiredOption('--role <роль>', `роль: ${roles.join(', ')}`)
    .option('--department <отделение>', 'номер или точное название отделения')
    .option('--position <должность>', 'должность')
    .option('--phone <телефон>', 'телефон')
    .option('--chat_id <id>', 'чат Telegram: ссылка будет отправлена и туда')
    .addHelpText(
      'after',
      '\nПример:\n  helpdesk users create --login a.smirnova --full-name "Смирнова Анна Петровна" --role executor --department "Приёмное отделение"',
    )
    .action(
      async (opts: {
        login: string
        fullName: string
        role: string
        department?: string
        position?: string
        phone?: string
        chat_id?: string
      }) => {
        const role = parseRole(opts.role)
        await withDatabase(context.output, async (session) => {
          const { createAccount } = await import('#src/users/create-account.ts')
          const departmentId = opts.department === undefined ? null : await findDepartment(session, opts.department)
          const created = await createAccount(session.db, session.actor, {
            fullName: opts.fullName,
            login: opts.login,
            role,
            departmentId,
            position: opts.position ?? null,
            phone: opts.phone ?? null,
            telegramChatId: opts.chat_id ?? null,
            baseUrl: session.config.baseUrl,
          })
          context.output.out(
            `Пользователь создан: ${created.user.login ?? ''} (№ ${created.user.id}). Ссылка для установки пароля${created.sentToTelegram ? ' (отправлена и в Telegram)' : ''}:`,
          )
          context.output.out(created.url)
        })
      },
    )

  users
    .command('reset-password')
    .description('сбросить пароль: завершить сеансы и напечатать одноразовую ссылку для установки нового (24 часа)')
    .requiredOption('--id <id>', 'номер пользователя')
    .addHelpText('after', '\nПример:\n  helpdesk users reset-password --id 123')
    .action(async (opts: { id: string }) => {
      const userId = parseId(opts.id, '--id')
      await withDatabase(context.output, async (session) => {
        const { resetPassword } = await import('#src/users/reset-password.ts')
        const user = await requireUser(session, userId)
        const reset = await resetPassword(session.db, session.actor, {
          userId: user.id,
          baseUrl: session.config.baseUrl,
        })
        context.output.out(
          `Пользователь ${user.id}: сеансы завершены. Ссылка для установки пароля${reset.sentToTelegram ? ' (отправлена и в Telegram)' : ''}:`,
        )
        context.output.out(reset.url)
      })
    })

  users
    .command('create-admin')
    .description('создать администратора (первый вход в веб); пароль спрашивается дважды')
    .requiredOption('--login <логин>', 'логин для входа в веб')
    .option('--password-stdin', 'прочитать пароль из первой строки стандартного ввода')
    .option('--full-name <ФИО>', 'ФИО администратора')
    .addHelpText(
      'after',
      '\nПримеры:\n  helpdesk users create-admin --login admin\n  echo "$PASSWORD" | helpdesk users create-admin --login admin --password-stdin --full-name "Иванов Иван Иванович"',
    )
    .action(async (opts: { login: string; passwordStdin?: true; fullName?: string }) => {
      const password = opts.passwordStdin ? await readLine(process.stdin) : await askPasswordTwice()
      await withDatabase(context.output, async (session) => {
        const { createAdmin } = await import('#src/users/create-admin.ts')
        const admin = await createAdmin(session.db, session.actor, {
          login: opts.login,
          password,
          ...(opts.fullName === undefined ? {} : { fullName: opts.fullName }),
        })
        context.output.out(`Администратор создан: ${admin.login ?? opts.login} (№ ${admin.id})`)
      })
    })
}

/** `helpdesk tokens create`: an API token for an integration, printed once. */
export function registerTokenCommands(program: Command, context: CliContext): void {
  const tokens = program.command('tokens').description('API-токены для интеграций')
  tokens
    .command('create')
    .description('выпустить API-токен пользователю; печатает только токен (он показывается один раз)')
    .requiredOption('--login <логин>', 'логин пользователя, от имени которого будет работать токен')
    .option('--name <название>', 'для чего токен', 'консоль')
    .addHelpText('after', '\nПример:\n  helpdesk tokens create --login admin --name "Мониторинг Zabbix" > token.txt')
    .action(async (opts: { login: string; name: string }) => {
      await withDatabase(context.output, async (session) => {
        const [{ findUserByLogin }, { createApiToken }] = await Promise.all([
          import('#src/users/user-store.ts'),
          import('#src/users/api-tokens.ts'),
        ])
        const user = await findUserByLogin(session.db, opts.login.trim().toLowerCase())
        if (!user) throw notFound(messages.userByLoginNotFound(opts.login))
        const { token } = await createApiToken(session.db, session.actor, { userId: user.id, name: opts.name })
        context.output.out(token)
      })
    })

  tokens
    .command('list')
    .description('показать API-токены (название, выпущен, последнее использование; сам токен не показывается)')
    .option('--login <логин>', 'только токены этого пользователя')
    .addHelpText('after', '\nПримеры:\n  helpdesk tokens list\n  helpdesk tokens list --login admin')
    .action(async (opts: { login?: string }) => {
      await withDatabase(context.output, async (session) => {
        const [{ findUserByLogin }, { listApiTokens }] = await Promise.all([
          import('#src/users/user-store.ts'),
          import('#src/users/list-api-tokens.ts'),
        ])
        let userId: number | undefined
        if (opts.login !== undefined) {
          const user = await findUserByLogin(session.db, opts.login.trim().toLowerCase())
          if (!user) throw notFound(messages.userByLoginNotFound(opts.login))
          userId = user.id
        }
        const rows = await listApiTokens(session.db, session.actor, { userId })
        const day = (at: string | null) => (at === null ? '—' : at.slice(0, 16).replace('T', ' '))
        const columns: Column<(typeof rows)[number]>[] = [
          { header: 'ID', value: (r) => String(r.id), align: 'right' },
          { header: 'Логин', value: (r) => r.login ?? `№ ${r.userId}` },
          { header: 'Название', value: (r) => r.name, shrink: true, min: 12 },
          { header: 'Выпущен (UTC)', value: (r) => day(r.createdAt) },
          { header: 'Использован (UTC)', value: (r) => day(r.lastUsedAt) },
          { header: 'Отозван (UTC)', value: (r) => day(r.revokedAt) },
        ]
        context.output.out(rows.length === 0 ? 'Токенов нет' : formatTable(rows, columns, context.output))
      })
    })

  tokens
    .command('revoke')
    .description('отозвать API-токен')
    .requiredOption('--id <id>', 'номер токена (из helpdesk tokens list)')
    .addHelpText('after', '\nПример:\n  helpdesk tokens revoke --id 12')
    .action(async (opts: { id: string }) => {
      const tokenId = parseId(opts.id, '--id')
      await withDatabase(context.output, async (session) => {
        const { revokeApiToken } = await import('#src/users/api-tokens.ts')
        await revokeApiToken(session.db, session.actor, { tokenId })
        context.output.out(`Токен ${tokenId} отозван`)
      })
    })
}

function parseRole(value: string): Role {
  const role = roles.find((r) => r === value)
  if (!role) throw new UsageError(messages.badRole(value))
  return role
}

function parseStatus(value: string): UserStatus {
  const status = userStatuses.find((s) => s === value)
  if (!status) throw new UsageError(messages.badStatus(value, userStatuses.join(', ')))
  return status
}

function notFound(message: string): DomainError {
  return new DomainError('not_found', message)
}

/** A department by its number or its exact name. */
async function findDepartment(session: Session, value: string): Promise<number> {
  const query = session.db.selectFrom('departments').select('id')
  const found = /^\d+$/.test(value.trim())
    ? await query.where('id', '=', parseId(value.trim(), '--department')).executeTakeFirst()
    : await query.where('name', '=', value.trim()).executeTakeFirst()
  if (!found) throw notFound(`Отделение «${value}» не найдено`)
  return found.id
}

async function requireUser(session: Session, id: number): Promise<User> {
  const { findUser } = await import('#src/users/user-store.ts')
  const user = await findUser(session.db, id)
  if (!user) throw notFound(messages.userNotFound(id))
  return user
}

async function requireChatUser(session: Session, chatId: string): Promise<User> {
  const { findUserByChatId } = await import('#src/users/user-store.ts')
  const user = await findUserByChatId(session.db, chatId.trim())
  if (!user) throw notFound(messages.userByChatNotFound(chatId))
  return user
}

async function allUsers(
  session: Session,
  filter: { role: Role | undefined; status: UserStatus | undefined; q: string | undefined },
): Promise<User[]> {
  const { listUsers } = await import('#src/users/user-store.ts')
  const found: User[] = []
  for (let page = 1; ; page++) {
    const { items, total } = await listUsers(session.db, { ...filter, page, perPage: 200 })
    found.push(...items)
    if (items.length === 0 || found.length >= total) return found
  }
}

async function departmentNames(session: Session): Promise<Map<number, string>> {
  const rows = await session.db.selectFrom('departments').select(['id', 'name']).execute()
  return new Map(rows.map((r) => [r.id, r.name]))
}

function userColumns(departments: Map<number, string>, users: readonly User[]): Column<User>[] {
  const statusStyle = { pending: 'yellow', active: 'green', rejected: 'red', deactivated: 'gray' } as const
  const columns: Column<User>[] = [
    { header: 'ID', value: (u) => String(u.id), align: 'right' },
    { header: 'ФИО', value: (u) => u.full_name, shrink: true, min: 22 },
    { header: 'Роль', value: (u) => roleLabels[u.role] },
    { header: 'Статус', value: (u) => statusLabels[u.status], style: (u) => statusStyle[u.status] },
    {
      header: 'Отделение',
      value: (u) => (u.department_id ? (departments.get(u.department_id) ?? '') : ''),
      shrink: true,
      min: 12,
    },
  ]
  // Requesters have no login: the column appears only when someone in the list has one.
  if (users.some((u) => u.login)) columns.push({ header: 'Логин', value: (u) => u.login ?? '' })
  columns.push({ header: 'Telegram', value: (u) => u.telegram_chat_id ?? '' })
  return columns
}

/** The first line of a stream (the password piped in), without its line end. */
async function readLine(input: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input, terminal: false })
  try {
    for await (const line of lines) return line.replace(/\r$/, '')
  } finally {
    lines.close()
  }
  throw new UsageError('--password-stdin: на стандартном вводе нет строки с паролем')
}

/** Asks twice on the terminal without echo; refuses when there is no terminal to ask on. */
async function askPasswordTwice(): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new UsageError('пароль не с терминала: передайте его через --password-stdin')
  }
  const first = await askHidden('Пароль: ')
  const second = await askHidden('Пароль ещё раз: ')
  if (first !== second) throw new UsageError('пароли не совпадают')
  return first
}

function askHidden(prompt: string): Promise<string> {
  process.stderr.write(prompt)
  const silent = new Writable({ write: (_chunk, _encoding, callback) => callback() })
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true })
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close()
      process.stderr.write('\n')
      resolve(answer)
    })
  })
}
