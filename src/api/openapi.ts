import { z } from 'zod'
import {
  channels,
  equipmentStatuses,
  priorities,
  roles,
  ticketSources,
  ticketStatuses,
  userStatuses,
  webNotificationKinds,
} from '#src/db/schema.ts'
import { articleVisibilities } from '#src/knowledge/article-rules.ts'
import { macroScopes, macroStatuses } from '#src/macros/macro-rules.ts'
import { linkRelations } from '#src/tickets/ticket-links-store.ts'
import { rejectApprovalBody } from './approvals.routes.ts'
import { auditQuery } from './audit.routes.ts'
import { loginBody } from './auth.routes.ts'
import { categoryListQuery, createCategoryBody, updateCategoryBody } from './categories.routes.ts'
import { createDepartmentBody, departmentListQuery, updateDepartmentBody } from './departments.routes.ts'
import { createShiftBody, listShiftsQuery, updateShiftBody } from './duty.routes.ts'
import {
  createEquipmentBody,
  equipmentListQuery,
  failuresQuery,
  ticketEquipmentBody,
  updateEquipmentBody,
} from './equipment.routes.ts'
import { createGroupBody, updateGroupBody } from './groups.routes.ts'
import { articleFeedbackBody, articleListQuery, createArticleBody, updateArticleBody } from './knowledge.routes.ts'
import { applyMacroBody, createMacroBody, macroPreviewQuery, updateMacroBody } from './macros.routes.ts'
import { totpCodeBody } from './me.routes.ts'
import { notificationListQuery } from './notifications.routes.ts'
import { declareOutageBody, outageListQuery, resolveOutageBody } from './outages.routes.ts'
import { createPlanBody, previewScheduleBody, updatePlanBody } from './plans.routes.ts'
import { linkBody, mergeBody } from './ticket-links.routes.ts'
import {
  assignBody,
  bulkBody,
  createTicketBody,
  messageBody,
  ratingBody,
  statusBody,
  ticketListQuery,
  updateTicketBody,
} from './tickets.routes.ts'
import { createUserBody, rejectBody, roleBody, userListQuery } from './users.routes.ts'
import { createViewBody, updateViewBody, viewTicketsQuery } from './views.routes.ts'

/**
 * The OpenAPI 3.1 document of /api/v1, built from the very zod schemas the routes validate with, so the
 * description cannot drift from what is enforced. Response schemas are declared here; the API tests parse
 * real responses with them.
 */

const time = z.string().describe('UTC, ISO-8601')
const nullableTime = time.nullable()

export const responseSchemas = {
  Error: z.object({
    error: z.object({
      code: z.string(),
      message: z.string().describe('По-русски, можно показать человеку'),
      fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  }),
  User: z.object({
    id: z.number().int(),
    role: z.enum(roles),
    status: z.enum(userStatuses),
    full_name: z.string(),
    login: z.string().nullable(),
    phone: z.string().nullable(),
    email: z.string().nullable().describe('Из атрибута mail каталога LDAP, обновляется при каждом входе; иначе null'),
    position: z.string().nullable(),
    room: z.string().nullable(),
    department_id: z.number().int().nullable(),
    telegram_chat_id: z.string().nullable(),
    telegram_username: z.string().nullable(),
    rejection_reason: z.string().nullable(),
    totp_enabled: z.boolean().describe('Включена ли двухфакторная защита (TOTP)'),
    created_at: time,
    confirmed_at: nullableTime,
    deactivated_at: nullableTime,
    last_login_at: nullableTime,
  }),
  Ticket: z.object({
    id: z.number().int(),
    title: z.string(),
    description: z.string(),
    category_id: z.number().int().nullable(),
    priority: z.enum(priorities),
    status: z.enum(ticketStatuses),
    requester_id: z.number().int(),
    assignee_id: z.number().int().nullable(),
    group_id: z.number().int().nullable(),
    department_id: z.number().int().nullable(),
    location: z.string().nullable(),
    source: z.enum(ticketSources),
    created_by: z.number().int(),
    created_at: time,
    updated_at: time,
    first_response_at: nullableTime,
    resolved_at: nullableTime,
    closed_at: nullableTime,
    cancelled_at: nullableTime,
    response_due_at: nullableTime,
    resolution_due_at: nullableTime,
    response_breached_at: nullableTime,
    resolution_breached_at: nullableTime,
    resolution: z.string().nullable(),
    cancel_reason: z.string().nullable(),
    rating: z.number().int().nullable(),
    rating_comment: z.string().nullable(),
    rated_at: nullableTime,
    merged_into_id: z
      .number()
      .int()
      .nullable()
      .describe('Заявка, с которой объединена эта (эта — её дубликат); иначе null'),
    equipment_id: z
      .number()
      .int()
      .nullable()
      .optional()
      .describe('Оборудование, о котором заявка (выпуск 14): с наклейки или указано сотрудником; иначе null'),
  }),
  Message: z.object({
    id: z.number().int(),
    ticket_id: z.number().int(),
    author_id: z.number().int(),
    kind: z.enum(['external', 'internal']),
    body: z.string(),
    source: z.enum(ticketSources),
    created_at: time,
    delivery_status: z.enum(['pending', 'sent', 'failed']).nullable(),
    telegram_message_id: z.number().int().nullable(),
  }),
  Department: z.object({
    id: z.number().int(),
    name: z.string(),
    active: z.boolean(),
    sort_order: z.number().int(),
    created_at: time,
    updated_at: time,
    /** Issue 14: the head who approves the department's access requests (null: the curators). */
    head_user_id: z.number().int().nullable(),
  }),
  Group: z.object({
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    active: z.boolean(),
    member_ids: z.array(z.number().int()),
    created_at: time,
    updated_at: time,
  }),
  Category: z.object({
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    parent_id: z.number().int().nullable(),
    default_group_id: z.number().int().nullable(),
    default_priority: z.enum(priorities),
    response_minutes: z.number().int().nullable(),
    resolution_minutes: z.number().int().nullable(),
    active: z.boolean(),
    sort_order: z.number().int(),
    created_at: time,
    updated_at: time,
    /** Issue 14: its tickets (and its subcategories') wait for approval. */
    requires_approval: z.boolean(),
  }),
  AuditEntry: z.object({
    id: z.number().int(),
    at: time,
    actor_id: z.number().int().nullable(),
    actor_name: z.string().nullable(),
    channel: z.enum(channels),
    ip: z.string().nullable(),
    action: z.string(),
    object_type: z.string().nullable(),
    object_id: z.string().nullable(),
    subject_id: z.number().int().nullable(),
    pdn_related: z.boolean(),
    result: z.enum(['success', 'denied', 'error']),
    description: z.string(),
    details: z.unknown(),
    // Null for a moment on PostgreSQL: the row is written, its seal comes from the chainer (src/audit/journal.ts).
    prev_hash: z.string().nullable(),
    hash: z.string().nullable(),
  }),
  /** A device of «Оборудование» (issue 14). */
  Equipment: z.object({
    id: z.number().int(),
    inventory_number: z.string(),
    kind: z.string().describe('Тип: принтер, МФУ, компьютер, …'),
    model: z.string().nullable(),
    serial: z.string().nullable(),
    department_id: z.number().int().nullable(),
    department_name: z.string().nullable(),
    room: z.string().nullable(),
    responsible_id: z.number().int().nullable(),
    responsible_name: z.string().nullable(),
    status: z
      .enum(equipmentStatuses)
      .describe('in_service — в эксплуатации, in_repair — в ремонте, written_off — списано'),
    created_at: time,
    updated_at: time,
    written_off_at: nullableTime,
  }),
  /** A canned response («Шаблон ответа»), issue 13. */
  Macro: z.object({
    id: z.number().int(),
    title: z.string(),
    body: z.string().describe('Текст с подстановками: {{заявитель.имя}}, {{заявка.номер}}, {{исполнитель.имя}}, …'),
    internal: z.boolean(),
    scope: z.enum(macroScopes),
    owner_id: z.number().int().nullable(),
    group_id: z.number().int().nullable(),
    group_name: z.string().nullable(),
    set_status: z.enum(macroStatuses).nullable(),
    set_priority: z.enum(priorities).nullable(),
    editable: z.boolean().describe('Может ли вызывающий изменить или удалить шаблон'),
    created_by: z.number().int().nullable(),
    created_at: time,
    updated_at: time,
  }),
  /** «Плановая работа» (issue 14): a ticket filed on a cron schedule in the hospital's time zone. */
  Plan: z.object({
    id: z.number().int(),
    title: z.string(),
    description: z.string().describe('Описание заявки с подстановками {{дата}}, {{месяц}}, {{год}}'),
    category_id: z.number().int(),
    category_name: z.string().nullable(),
    group_id: z.number().int(),
    group_name: z.string().nullable(),
    priority: z.enum(priorities),
    schedule: z.string().describe('Пять полей cron во времени больницы (TZ_DISPLAY)'),
    active: z.boolean().describe('false — приостановлена, заявки по расписанию не создаются'),
    requester_id: z.number().int().describe('От чьего имени создаются заявки (кто завёл план)'),
    next_run_at: nullableTime,
    last_run_at: nullableTime,
    last_ticket_id: z.number().int().nullable(),
    created_by: z.number().int().nullable(),
    created_at: time,
    updated_at: time,
  }),
  /** «Массовый сбой» (issue 14): a parent ticket, the departments and categories it affects, its children counted. */
  Outage: z.object({
    id: z.number().int(),
    ticket_id: z.number().int().describe('Родительская заявка'),
    ticket_title: z.string(),
    ticket_status: z.enum(ticketStatuses),
    title: z.string(),
    place: z.string().nullable(),
    announcement: z.string(),
    recipients: z.number().int().describe('Скольким сотрудникам поставлено в очередь объявление'),
    children: z.number().int().describe('Сколько заявок присоединено («У меня тоже»)'),
    open: z.boolean(),
    declared_by: z.number().int().nullable(),
    declared_at: time,
    resolved_at: nullableTime,
    resolved_by: z.number().int().nullable(),
  }),
  /** An article of the knowledge base in a list («База знаний», issue 14). */
  ArticleSummary: z.object({
    id: z.number().int(),
    title: z.string(),
    excerpt: z.string().describe('Начало текста без разметки Markdown'),
    category_id: z.number().int().nullable(),
    category_name: z.string().nullable(),
    visibility: z
      .enum(articleVisibilities)
      .describe('public — всем (бот предлагает её), internal — только сотрудникам ИТ'),
    helpful_count: z.number().int().describe('Сколько раз ответили «Помогло»'),
    not_helpful_count: z.number().int().describe('Сколько раз ответили «Нет, создать заявку»'),
    author_id: z.number().int().nullable(),
    created_at: time,
    updated_at: time,
  }),
  /** An article of the knowledge base (issue 14): its Markdown, the safe HTML of it, its pictures. */
  Article: z.object({
    id: z.number().int(),
    title: z.string(),
    excerpt: z.string(),
    category_id: z.number().int().nullable(),
    category_name: z.string().nullable(),
    visibility: z.enum(articleVisibilities),
    helpful_count: z.number().int(),
    not_helpful_count: z.number().int(),
    author_id: z.number().int().nullable(),
    created_at: time,
    updated_at: time,
    body: z.string().describe('Markdown: без HTML; ссылки только http(s) и относительные'),
    html: z.string().describe('Безопасный HTML текста; картинки — только с нашего сайта'),
    images: z.array(
      z.object({
        id: z.number().int(),
        file_name: z.string(),
        mime_type: z.string(),
        size: z.number().int(),
        url: z.string().describe('Адрес картинки на сайте: /kb/{id}/images/{imageId}'),
      }),
    ),
    archived_at: z.string().nullable(),
  }),
  /** A saved view of the ticket list (issue 13). */
  SavedView: z.object({
    id: z.number().int(),
    name: z.string(),
    query: z
      .string()
      .describe('Строка запроса веб-списка заявок, как её разбирает и записывает сам список: /tickets?{query}'),
    shared: z.boolean().describe('Общий: виден всем сотрудникам ИТ; иначе только владельцу'),
    owner_id: z.number().int(),
    position: z.number().int(),
    created_at: time,
    updated_at: time,
  }),
}

const person = z.object({ id: z.number().int(), full_name: z.string() })

/** A file of a ticket's description (`message_id` null) or of a message. */
const attachment = z.object({
  id: z.number().int(),
  ticket_id: z.number().int(),
  message_id: z.number().int().nullable(),
  uploader_id: z.number().int(),
  file_name: z.string(),
  mime_type: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  created_at: time,
})

/** A link of a ticket (issue 13), as the other ticket is to it. */
const ticketLink = z.object({
  id: z.number().int().describe('Номер связи (для DELETE /tickets/{id}/links/{linkId})'),
  relation: z
    .enum(linkRelations)
    .describe(
      'Кем другая заявка приходится этой: related — связанная, parent — родительская, child — дочерняя, ' +
        'duplicate — дубликат, объединённый с этой, merged_into — заявка, с которой объединена эта',
    ),
  ticket: z.object({ id: z.number().int(), title: z.string(), status: z.enum(ticketStatuses) }),
  created_at: time,
  created_by: z.number().int().nullable(),
  undo_until: nullableTime.describe('До какого момента объединение можно отменить; null — нельзя или не объединение'),
})

export const pageSchemas = {
  TicketLink: ticketLink,
  TicketListItem: responseSchemas.Ticket.extend({
    requester_name: z.string(),
    assignee_name: z.string().nullable(),
    department_name: z.string().nullable(),
    category_name: z.string().nullable(),
    overdue: z.boolean(),
  }),
  TicketDetail: responseSchemas.Ticket.extend({
    requester: person.extend({
      department_name: z.string().nullable(),
      phone: z.string().nullable(),
      room: z.string().nullable(),
      position: z.string().nullable(),
      /** Blocked at the person's request (ст. 21): the fields above say «Данные заблокированы». */
      blocked: z.boolean(),
      /** A reply reaches them in Telegram too. */
      telegram: z.boolean(),
    }),
    assignee: person.nullable(),
    category: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    /** The department the ticket is about (at filing the requester's). */
    department: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    messages: z.array(responseSchemas.Message.extend({ author_name: z.string() })),
    events: z.array(
      z.object({
        id: z.number().int(),
        ticket_id: z.number().int(),
        actor_id: z.number().int().nullable(),
        actor_name: z.string().nullable(),
        /** Whom an `assigned` event names (`to_value` is their id). */
        target_name: z.string().nullable(),
        kind: z.string(),
        from_value: z.string().nullable(),
        to_value: z.string().nullable(),
        details: z.unknown(),
        created_at: time,
      }),
    ),
    attachments: z.array(attachment),
    /** Staff following the ticket (empty for a requester). */
    watchers: z.array(person),
    /** Links to the tickets the caller may see (issue 13). */
    links: z.array(ticketLink),
    /** Duplicates merged into this ticket: their messages are among `messages`, their messages' files among `attachments`. */
    merged: z.array(
      z.object({
        id: z.number().int(),
        title: z.string(),
        description: z.string(),
        created_at: time,
        attachments: z.array(attachment.extend({ message_id: z.null() })),
      }),
    ),
  }),
  /** A notification of the bell (issue 13): ids and kinds, the ticket's title and the actor's name as they are now. */
  Notification: z.object({
    id: z.number().int(),
    kind: z.enum(webNotificationKinds),
    ticket_id: z.number().int().nullable(),
    created_at: time,
    read_at: nullableTime,
    ticket_title: z.string().nullable(),
    ticket_status: z.enum(ticketStatuses).nullable(),
    event_kind: z.string().nullable(),
    event_to: z.string().nullable(),
    actor_id: z.number().int().nullable(),
    actor_name: z.string().nullable(),
  }),
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'
type ResponseName = keyof typeof responseSchemas | keyof typeof pageSchemas

interface Operation {
  method: Method
  path: string
  tag: string
  summary: string
  /** Default: a session cookie or a bearer token is required. */
  public?: boolean
  query?: z.ZodObject
  body?: z.ZodType
  /**
   * The success status and what it returns: one item, a page (`{items,total,page,per_page}`), a list (`{items}`);
   * `keyset`: the page also goes by cursor and its total is capped (the tickets list).
   */
  ok: {
    status: 200 | 201 | 204
    item?: ResponseName
    page?: ResponseName
    keyset?: boolean
    list?: ResponseName
    description?: string
  }
  /** Error statuses besides 401 (and 422 for operations with input). */
  errors?: Array<400 | 401 | 403 | 404 | 409 | 413 | 503>
  headers?: Array<{ name: string; description: string }>
}

const onTicket = [403, 404, 409] as const
const decision = [403, 404, 409] as const

const operations: Operation[] = [
  {
    method: 'post',
    path: '/auth/login',
    tag: 'auth',
    summary:
      'Вход по логину и паролю: ставит cookie сессии helpdesk_session. С включённой двухфакторной защитой без totp_code — 401 totp_required; неверный или повторный код — 401; резервный код принимается в totp_code один раз. С каталогом LDAP логин можно писать и как DOMAIN\\user или user@domain; верный пароль без группы с доступом — 403 ldap_no_access («Нет доступа к системе заявок»)',
    public: true,
    body: loginBody,
    ok: { status: 200, description: '{ user, expires_at } и Set-Cookie' },
    // Every refusal of the credentials is one 401 (throttled ones too): no answer tells accounts apart.
    // 503 `unavailable`: the LDAP directory did not answer, so the password could not be checked.
    // 403 `ldap_no_access`: the directory's password bound, but no group of the person is mapped to a role
    // (said only after a right password); 403 `forbidden`: a cross-site form.
    errors: [401, 403, 503],
  },
  { method: 'post', path: '/auth/logout', tag: 'auth', summary: 'Выход: завершает сессию', ok: { status: 204 } },
  {
    method: 'get',
    path: '/me',
    tag: 'me',
    summary: 'Текущий пользователь, с totp_enabled (включена ли двухфакторная защита) и email (из каталога LDAP)',
    ok: { status: 200, item: 'User' },
  },
  {
    method: 'post',
    path: '/me/totp',
    tag: 'me',
    summary: 'Начать подключение двухфакторной защиты (TOTP): новый ключ, ожидающий подтверждения кодом',
    ok: { status: 201, description: '{ secret, otpauth_url }' },
    errors: [409],
  },
  {
    method: 'post',
    path: '/me/totp/confirm',
    tag: 'me',
    summary: 'Подтвердить подключение кодом из приложения; неверный код — 422',
    body: totpCodeBody,
    ok: { status: 200, description: '{ recovery_codes: [...] } — десять резервных кодов, показываются один раз' },
    errors: [409],
  },
  {
    method: 'delete',
    path: '/me/totp',
    tag: 'me',
    summary:
      'Отключить двухфакторную защиту кодом из приложения или резервным кодом, если политика AUTH_REQUIRE_2FA позволяет',
    body: totpCodeBody,
    ok: { status: 204 },
    errors: [403, 409],
  },
  {
    method: 'post',
    path: '/me/telegram-link',
    tag: 'me',
    summary:
      'Код привязки Telegram к своей учётной записи: одноразовый, действует 15 минут, новый заменяет прежний. Боту отправляют /start link_<code> (или открывают ссылку link); link — null, если имя бота неизвестно',
    ok: { status: 201, description: '{ code, link, expires_at } — код показывается один раз' },
    errors: [403],
  },
  {
    method: 'get',
    path: '/tickets',
    tag: 'tickets',
    summary:
      'Список заявок (заявитель видит только свои); status и priority — повторяющиеся или через запятую. ' +
      'Страницы — по курсору: следующая — cursor=next_cursor, предыдущая — cursor=prev_cursor (null — страницы нет) ' +
      'с теми же фильтрами и sort; page (по смещению, не глубже 10 000 заявок) оставлен для старых клиентов, ' +
      'вместе с cursor — 400. total считается до 1 000: больше — total_capped=true и total=1000 («более 1 000»). ' +
      'С поиском q без sort — по номеру, новые первыми',
    query: ticketListQuery,
    ok: { status: 200, page: 'TicketListItem', keyset: true },
    errors: [400],
  },
  {
    method: 'post',
    path: '/tickets',
    tag: 'tickets',
    summary:
      'Новая заявка; повтор с тем же Idempotency-Key возвращает первую и ничего не создаёт, тот же ключ с другим запросом — 422 idempotency_key_reused',
    body: createTicketBody,
    headers: [{ name: 'Idempotency-Key', description: 'Ключ повтора (до 200 символов), свой у каждого пользователя' }],
    ok: { status: 201, item: 'Ticket' },
    errors: [403],
  },
  {
    method: 'get',
    path: '/tickets/{id}',
    tag: 'tickets',
    summary: 'Карточка заявки с сообщениями и событиями (внутренние заметки — только сотрудникам)',
    ok: { status: 200, item: 'TicketDetail' },
    errors: [404],
  },
  {
    method: 'patch',
    path: '/tickets/{id}',
    tag: 'tickets',
    summary: 'Изменить приоритет, категорию или тему',
    body: updateTicketBody,
    ok: { status: 200, item: 'Ticket' },
    errors: [...onTicket],
  },
  {
    method: 'post',
    path: '/tickets/{id}/messages',
    tag: 'tickets',
    summary: 'Сообщение в заявку или внутренняя заметка (internal: true)',
    body: messageBody,
    ok: { status: 201, item: 'Message' },
    errors: [...onTicket],
  },
  {
    method: 'post',
    path: '/tickets/{id}/assign',
    tag: 'tickets',
    summary: 'Назначить исполнителя (null — снять)',
    body: assignBody,
    ok: { status: 200, item: 'Ticket' },
    errors: [...onTicket],
  },
  {
    method: 'post',
    path: '/tickets/bulk',
    tag: 'tickets',
    summary:
      'Одно действие над несколькими заявками (до 500): assign, take, status, priority, category, group, note. ' +
      'Каждая заявка — отдельной транзакцией со своими правами и журналом; ответ: done — номера выполненных, ' +
      'refused — отказы с кодом и причиной',
    body: bulkBody,
    ok: { status: 200, description: '{ done: number[], refused: [{ ticket_id, code, message }] }' },
    errors: [403],
  },
  {
    method: 'post',
    path: '/tickets/{id}/take',
    tag: 'tickets',
    summary: 'Взять заявку в работу',
    ok: { status: 200, item: 'Ticket' },
    errors: [...onTicket],
  },
  {
    method: 'post',
    path: '/tickets/{id}/status',
    tag: 'tickets',
    summary: 'Сменить статус (resolution — для «Решена», reason — для «Отменена»)',
    body: statusBody,
    ok: { status: 200, item: 'Ticket' },
    errors: [...onTicket],
  },
  {
    method: 'post',
    path: '/tickets/{id}/rating',
    tag: 'tickets',
    summary: 'Оценить решённую заявку (только заявитель, один раз)',
    body: ratingBody,
    ok: { status: 200, item: 'Ticket' },
    errors: [...onTicket],
  },
  {
    method: 'post',
    path: '/tickets/{id}/links',
    tag: 'tickets',
    summary:
      'Связать заявку с другой (сотрудник, которому можно менять обе): kind — кем other_id станет этой заявке ' +
      '(related — связанная, parent — родительская, child — дочерняя); у заявки одна родительская, без кругов',
    body: linkBody,
    ok: { status: 201, item: 'TicketLink' },
    errors: [...onTicket],
  },
  {
    method: 'delete',
    path: '/tickets/{id}/links/{linkId}',
    tag: 'tickets',
    summary: 'Убрать связь (объединение отменяется через /unmerge)',
    ok: { status: 204 },
    errors: [...onTicket],
  },
  {
    method: 'post',
    path: '/tickets/{id}/merge',
    tag: 'tickets',
    summary:
      'Отметить заявку дубликатом into_id (открытой заявки того же заявителя): заявка закрывается, её переписка ' +
      'видна в into_id, заявителю приходит сообщение в Telegram с номером into_id, его ответы по дубликату попадают в into_id. ' +
      'Отменить можно в течение 24 часов (/unmerge)',
    body: mergeBody,
    ok: { status: 200, item: 'Ticket' },
    errors: [...onTicket],
  },
  {
    method: 'post',
    path: '/tickets/{id}/unmerge',
    tag: 'tickets',
    summary:
      'Отменить объединение дубликата в течение 24 часов: статус восстанавливается, какой был до объединения; ' +
      'позже, или если дубликат с тех пор переоткрыли (это уже сняло объединение), — 409',
    ok: { status: 200, item: 'Ticket' },
    errors: [...onTicket],
  },
  {
    method: 'put',
    path: '/tickets/{id}/watch',
    tag: 'notifications',
    summary:
      'Следить за заявкой (сотрудники ИТ): её ответы, заметки, смены статуса и просрочки попадают в уведомления. Повтор ничего не меняет',
    ok: { status: 200, description: '{ following: true, watchers: [{ id, full_name }] }' },
    errors: [403, 404],
  },
  {
    method: 'delete',
    path: '/tickets/{id}/watch',
    tag: 'notifications',
    summary: 'Перестать следить за заявкой',
    ok: { status: 200, description: '{ following: false, watchers: [{ id, full_name }] }' },
    errors: [403, 404],
  },
  {
    method: 'get',
    path: '/notifications',
    tag: 'notifications',
    summary:
      'Свои уведомления (сотрудники ИТ), новые первыми: назначения (assigned), упоминания @фамилия во внутренних заметках (mention), ' +
      'ответы заявителя (reply), просрочки (deadline), события заявок, за которыми следите (watch). unread=1 — только непрочитанные; ' +
      'следующая страница — before=next. В ответе и unread — сколько всего непрочитанных',
    query: notificationListQuery,
    ok: { status: 200, list: 'Notification', description: '{ items, unread, next }' },
    errors: [403],
  },
  {
    method: 'post',
    path: '/notifications/{id}/read',
    tag: 'notifications',
    summary: 'Отметить уведомление прочитанным; ответ — { unread }',
    ok: { status: 200, description: '{ unread }' },
    errors: [403, 404],
  },
  {
    method: 'post',
    path: '/notifications/read-all',
    tag: 'notifications',
    summary: 'Отметить все свои уведомления прочитанными; ответ — { unread: 0 }',
    ok: { status: 200, description: '{ unread }' },
    errors: [403],
  },
  {
    method: 'get',
    path: '/categories',
    tag: 'catalogues',
    summary: 'Категории',
    query: categoryListQuery,
    ok: { status: 200, list: 'Category' },
  },
  {
    method: 'post',
    path: '/categories',
    tag: 'catalogues',
    summary: 'Новая категория',
    body: createCategoryBody,
    ok: { status: 201, item: 'Category' },
    errors: [403, 409],
  },
  {
    method: 'patch',
    path: '/categories/{id}',
    tag: 'catalogues',
    summary: 'Изменить или отключить категорию ({"active": false})',
    body: updateCategoryBody,
    ok: { status: 200, item: 'Category' },
    errors: [403, 404, 409],
  },
  {
    method: 'get',
    path: '/departments',
    tag: 'catalogues',
    summary: 'Отделения',
    query: departmentListQuery,
    ok: { status: 200, list: 'Department' },
  },
  {
    method: 'post',
    path: '/departments',
    tag: 'catalogues',
    summary: 'Новое отделение',
    body: createDepartmentBody,
    ok: { status: 201, item: 'Department' },
    errors: [403, 409],
  },
  {
    method: 'patch',
    path: '/departments/{id}',
    tag: 'catalogues',
    summary: 'Изменить или отключить отделение ({"active": false})',
    body: updateDepartmentBody,
    ok: { status: 200, item: 'Department' },
    errors: [403, 404, 409],
  },
  {
    method: 'get',
    path: '/groups',
    tag: 'catalogues',
    summary: 'Группы исполнителей',
    ok: { status: 200, list: 'Group' },
  },
  {
    method: 'post',
    path: '/groups',
    tag: 'catalogues',
    summary: 'Новая группа исполнителей',
    body: createGroupBody,
    ok: { status: 201, item: 'Group' },
    errors: [403, 409],
  },
  {
    method: 'patch',
    path: '/groups/{id}',
    tag: 'catalogues',
    summary: 'Изменить группу, её состав, или отключить ({"active": false})',
    body: updateGroupBody,
    ok: { status: 200, item: 'Group' },
    errors: [403, 404, 409],
  },
  {
    method: 'post',
    path: '/users',
    tag: 'users',
    summary: 'Создать учётную запись (администратор; активна сразу)',
    body: createUserBody,
    ok: { status: 201, item: 'User' },
    errors: [403, 409],
  },
  {
    method: 'get',
    path: '/users',
    tag: 'users',
    summary: 'Пользователи (status=pending — очередь регистраций)',
    query: userListQuery,
    ok: { status: 200, page: 'User' },
    errors: [403],
  },
  {
    method: 'get',
    path: '/users/{id}',
    tag: 'users',
    summary: 'Профиль пользователя',
    ok: { status: 200, item: 'User' },
    errors: [403, 404],
  },
  {
    method: 'post',
    path: '/users/{id}/confirm',
    tag: 'users',
    summary: 'Подтвердить регистрацию',
    ok: { status: 200, item: 'User' },
    errors: [...decision],
  },
  {
    method: 'post',
    path: '/users/{id}/reject',
    tag: 'users',
    summary: 'Отклонить регистрацию',
    body: rejectBody,
    ok: { status: 200, item: 'User' },
    errors: [...decision],
  },
  {
    method: 'post',
    path: '/users/{id}/deactivate',
    tag: 'users',
    summary: 'Отключить учётную запись',
    ok: { status: 200, item: 'User' },
    errors: [...decision],
  },
  {
    method: 'post',
    path: '/users/{id}/reactivate',
    tag: 'users',
    summary: 'Вернуть учётную запись',
    ok: { status: 200, item: 'User' },
    errors: [...decision],
  },
  {
    method: 'post',
    path: '/users/{id}/role',
    tag: 'users',
    summary: 'Сменить роль',
    body: roleBody,
    ok: { status: 200, item: 'User' },
    errors: [...decision],
  },
  {
    method: 'get',
    path: '/audit',
    tag: 'audit',
    summary: 'Журнал аудита, новые записи первыми (администратор; чтение журналируется)',
    query: auditQuery,
    ok: { status: 200, list: 'AuditEntry' },
    errors: [403],
  },
  {
    method: 'get',
    path: '/macros',
    tag: 'macros',
    summary:
      'Шаблоны ответов, доступные вызывающему: личные, своих групп (куратору и администратору — всех групп), общие',
    ok: { status: 200, list: 'Macro' },
    errors: [403],
  },
  {
    method: 'post',
    path: '/macros',
    tag: 'macros',
    summary:
      'Новый шаблон ответа: личный (любой сотрудник ИТ), для группы или для всех (куратор, администратор). Неизвестная подстановка — 422',
    body: createMacroBody,
    ok: { status: 201, item: 'Macro' },
    errors: [403],
  },
  {
    method: 'get',
    path: '/macros/{id}',
    tag: 'macros',
    summary: 'Шаблон ответа (чужой личный — 404)',
    ok: { status: 200, item: 'Macro' },
    errors: [403, 404],
  },
  {
    method: 'patch',
    path: '/macros/{id}',
    tag: 'macros',
    summary: 'Изменить шаблон ответа: свой личный, или общий (куратор, администратор)',
    body: updateMacroBody,
    ok: { status: 200, item: 'Macro' },
    errors: [403, 404],
  },
  {
    method: 'delete',
    path: '/macros/{id}',
    tag: 'macros',
    summary: 'Удалить шаблон ответа (в архив: журнал ссылается на него по номеру)',
    ok: { status: 204 },
    errors: [403, 404],
  },
  {
    method: 'post',
    path: '/macros/{id}/preview',
    tag: 'macros',
    summary: 'Текст шаблона с подстановками для заявки ticket_id (чтение ПДн заявителя журналируется)',
    query: macroPreviewQuery,
    ok: {
      status: 200,
      description: '{ macro_id, ticket_id, text, internal, set_status, set_priority }',
    },
    errors: [403, 404],
  },
  {
    method: 'post',
    path: '/macros/{id}/apply',
    tag: 'macros',
    summary:
      'Применить шаблон к заявке одной транзакцией: ответ (или заметка) с подстановками либо отредактированный body, затем приоритет и статус шаблона',
    body: applyMacroBody,
    ok: { status: 201, description: '{ message: Message, ticket: Ticket }' },
    errors: [403, 404, 409],
  },
  {
    method: 'get',
    path: '/equipment',
    tag: 'equipment',
    summary:
      'Реестр оборудования (сотрудники ИТ): по инвентарному номеру; q — часть инвентарного номера, типа, модели или серийного номера; списанное — только со status=written_off. Чтение журналируется',
    query: equipmentListQuery,
    ok: { status: 200, page: 'Equipment' },
    errors: [403],
  },
  {
    method: 'post',
    path: '/equipment',
    tag: 'equipment',
    summary: 'Добавить оборудование (сотрудники ИТ); инвентарный номер уже есть — 409',
    body: createEquipmentBody,
    ok: { status: 201, item: 'Equipment' },
    errors: [403, 409],
  },
  {
    method: 'get',
    path: '/equipment/failures',
    tag: 'equipment',
    summary:
      '«Оборудование: отказы»: заявки по оборудованию за период (дни больницы, не больше года) — по моделям и по устройствам, больше всего первыми',
    query: failuresQuery,
    ok: {
      status: 200,
      description:
        '{ from, to, by_model: [{ kind, model, tickets, devices }], by_device: [{ id, inventory_number, …, tickets }] }',
    },
    errors: [403],
  },
  {
    method: 'get',
    path: '/equipment/{id}',
    tag: 'equipment',
    summary: 'Оборудование и его заявки (tickets: id, title, status, priority, created_at, resolved_at), новые первыми',
    ok: { status: 200, item: 'Equipment' },
    errors: [403, 404],
  },
  {
    method: 'patch',
    path: '/equipment/{id}',
    tag: 'equipment',
    summary: 'Изменить оборудование (сотрудники ИТ); списанное не меняется — 409',
    body: updateEquipmentBody,
    ok: { status: 200, item: 'Equipment' },
    errors: [403, 404, 409],
  },
  {
    method: 'post',
    path: '/equipment/{id}/write-off',
    tag: 'equipment',
    summary: 'Списать оборудование (куратор, администратор): уходит из реестра, заявки остаются',
    ok: { status: 200, item: 'Equipment' },
    errors: [403, 404, 409],
  },
  {
    method: 'put',
    path: '/tickets/{id}/equipment',
    tag: 'equipment',
    summary:
      'О каком оборудовании заявка (сотрудники ИТ): equipment_id или inventory_number; equipment_id: null — ни о каком',
    body: ticketEquipmentBody,
    ok: { status: 200, item: 'Ticket' },
    errors: [...onTicket],
  },
  {
    method: 'get',
    path: '/plans',
    tag: 'plans',
    summary: 'Плановые работы: сначала активные по времени следующего запуска (сотрудники ИТ)',
    ok: { status: 200, list: 'Plan' },
    errors: [403],
  },
  {
    method: 'post',
    path: '/plans',
    tag: 'plans',
    summary:
      'Новая плановая работа (куратор, администратор): заявки создаются от имени вызывающего и направляются группе group_id. Произвольный cron — только администратору (403); чаще раза в час — 422',
    body: createPlanBody,
    ok: { status: 201, item: 'Plan' },
    errors: [403],
  },
  {
    method: 'post',
    path: '/plans/preview',
    tag: 'plans',
    summary: 'Пять ближайших запусков расписания до сохранения (UTC)',
    body: previewScheduleBody,
    ok: { status: 200, description: '{ schedule, time_zone, runs: string[] }' },
    errors: [403],
  },
  {
    method: 'get',
    path: '/plans/{id}',
    tag: 'plans',
    summary: 'Плановая работа с последними запусками и их заявками (runs)',
    ok: { status: 200, description: 'Plan и runs' },
    errors: [403, 404],
  },
  {
    method: 'patch',
    path: '/plans/{id}',
    tag: 'plans',
    summary:
      'Изменить плановую работу (куратор, администратор); active: false — приостановить, true — возобновить с ближайшего запуска после текущего момента',
    body: updatePlanBody,
    ok: { status: 200, item: 'Plan' },
    errors: [403, 404],
  },
  {
    method: 'post',
    path: '/plans/{id}/run',
    tag: 'plans',
    summary: '«Запустить сейчас»: создать заявку плана немедленно; расписание не меняется (куратор, администратор)',
    ok: { status: 201, description: '{ ticket_id, title, group_id, status }' },
    errors: [403, 404],
  },
  {
    method: 'get',
    path: '/approvals',
    tag: 'tickets',
    summary:
      'Заявки на согласовании, ждущие решения вызывающего: заведующему — его отделения, куратору — ещё и отделений без заведующего. Только тема, описание, заявитель, отделение, категория',
    ok: {
      status: 200,
      description:
        '{ items: [{ id, title, description, created_at, requester_id, requester_name, department_name, category_name, decided_by: head | curators }] }',
    },
  },
  {
    method: 'post',
    path: '/tickets/{id}/approve',
    tag: 'tickets',
    summary:
      '«Согласовать» заявку на согласовании (её согласующий): статус new, сроки — от момента согласования, группа получает уведомление. Уже решённая — 409',
    ok: { status: 200, item: 'Ticket' },
    errors: [...onTicket],
  },
  {
    method: 'post',
    path: '/tickets/{id}/reject',
    tag: 'tickets',
    summary: '«Отклонить» заявку на согласовании с причиной (её согласующий): статус cancelled, заявителю — причина',
    body: rejectApprovalBody,
    ok: { status: 200, item: 'Ticket' },
    errors: [...onTicket],
  },
  {
    method: 'get',
    path: '/duty',
    tag: 'duty',
    summary:
      'График дежурств (сотрудники ИТ): смены, пересекающие [from, to); по умолчанию — текущая неделя (TZ_DISPLAY); дата — день больницы',
    query: listShiftsQuery,
    ok: {
      status: 200,
      description:
        '{ from, to, time_zone, items: [{ id, group_id, group_name, user_id, user_name, user_role, starts_at, ends_at, kind, note, … }] }',
    },
    errors: [403],
  },
  {
    method: 'get',
    path: '/duty/now',
    tag: 'duty',
    summary: 'Кто дежурит сейчас, по группам: имя и роль (сотрудники ИТ)',
    ok: {
      status: 200,
      description: '{ at, groups: [{ group_id, group_name, people: [{ user_id, name, role, kind, ends_at }] }] }',
    },
    errors: [403],
  },
  {
    method: 'post',
    path: '/duty',
    tag: 'duty',
    summary:
      'Новая смена (куратор, администратор): дежурит активный исполнитель группы или куратор; не длиннее 48 часов; пересечение со сменой того же человека в группе — 409',
    body: createShiftBody,
    ok: { status: 201, description: 'Смена' },
    errors: [403, 409],
  },
  {
    method: 'patch',
    path: '/duty/{id}',
    tag: 'duty',
    summary: 'Изменить смену; другой user_id — замена дежурного (в журнале прежний и новый) (куратор, администратор)',
    body: updateShiftBody,
    ok: { status: 200, description: 'Смена' },
    errors: [403, 404, 409],
  },
  {
    method: 'delete',
    path: '/duty/{id}',
    tag: 'duty',
    summary: 'Удалить смену (куратор, администратор)',
    ok: { status: 204 },
    errors: [403, 404],
  },
  {
    method: 'get',
    path: '/outages',
    tag: 'outages',
    summary: 'Массовые сбои: сначала идущие, затем устранённые (сотрудники ИТ); open=true — только идущие',
    query: outageListQuery,
    ok: { status: 200, list: 'Outage' },
    errors: [403],
  },
  {
    method: 'post',
    path: '/outages',
    tag: 'outages',
    summary:
      'Объявить массовый сбой по открытой заявке (сотрудники ИТ): объявление ставится в очередь сотрудникам отделений в боте (кроме отказавшихся); заявка уже сбой или решена — 409',
    body: declareOutageBody,
    ok: { status: 201, item: 'Outage' },
    errors: [403, 404, 409],
  },
  {
    method: 'get',
    path: '/outages/{id}',
    tag: 'outages',
    summary: 'Массовый сбой с отделениями и категориями',
    ok: { status: 200, description: 'Outage, departments и categories ([{ id, name }])' },
    errors: [403, 404],
  },
  {
    method: 'post',
    path: '/outages/{id}/resolve',
    tag: 'outages',
    summary:
      '«Сбой устранён»: решить родительскую заявку с результатом; присоединённые заявки решаются с тем же результатом, каждому заявителю одно сообщение',
    body: resolveOutageBody,
    ok: { status: 200, item: 'Outage' },
    errors: [403, 404, 409],
  },
  {
    method: 'get',
    path: '/articles',
    tag: 'articles',
    summary:
      'Статьи базы знаний, которые видит вызывающий (заявителю — только «всем»): по заголовку; с q — все слова, лучшие первыми',
    query: articleListQuery,
    ok: { status: 200, list: 'ArticleSummary' },
    errors: [],
  },
  {
    method: 'post',
    path: '/articles',
    tag: 'articles',
    summary: 'Новая статья (сотрудники ИТ). Картинки загружаются через веб-форму /kb',
    body: createArticleBody,
    ok: { status: 201, item: 'Article' },
    errors: [403],
  },
  {
    method: 'get',
    path: '/articles/{id}',
    tag: 'articles',
    summary: 'Статья: Markdown, безопасный HTML, картинки (внутренняя для заявителя — 404)',
    ok: { status: 200, item: 'Article' },
    errors: [404],
  },
  {
    method: 'patch',
    path: '/articles/{id}',
    tag: 'articles',
    summary: 'Изменить статью (сотрудники ИТ)',
    body: updateArticleBody,
    ok: { status: 200, item: 'Article' },
    errors: [403, 404],
  },
  {
    method: 'delete',
    path: '/articles/{id}',
    tag: 'articles',
    summary: 'Удалить статью (в архив: журнал ссылается на неё по номеру; бот её больше не предлагает)',
    ok: { status: 204 },
    errors: [403, 404],
  },
  {
    method: 'post',
    path: '/articles/{id}/feedback',
    tag: 'articles',
    summary: 'Ответ на статью: helpful true — «Помогло», false — «Не помогло» (счётчики статьи)',
    body: articleFeedbackBody,
    ok: { status: 204 },
    errors: [404],
  },
  {
    method: 'get',
    path: '/views',
    tag: 'views',
    summary: 'Сохранённые виды списка заявок, которые видит вызывающий: сначала общие, затем свои (сотрудники ИТ)',
    ok: { status: 200, list: 'SavedView' },
    errors: [403],
  },
  {
    method: 'post',
    path: '/views',
    tag: 'views',
    summary:
      'Сохранить вид: название (до 60 символов, своё у каждого владельца) и query — фильтр веб-списка (/tickets?… или строка запроса), который разбирается и хранится так, как его понимает список; shared — общий вид (куратор, администратор)',
    body: createViewBody,
    ok: { status: 201, item: 'SavedView' },
    errors: [403, 409],
  },
  {
    method: 'patch',
    path: '/views/{id}',
    tag: 'views',
    summary:
      'Переименовать вид, сменить его фильтр или поделиться им: свой; общий — куратор, администратор (чужой личный — 404)',
    body: updateViewBody,
    ok: { status: 200, item: 'SavedView' },
    errors: [403, 404, 409],
  },
  {
    method: 'delete',
    path: '/views/{id}',
    tag: 'views',
    summary: 'Удалить вид: свой; общий — куратор, администратор',
    ok: { status: 204 },
    errors: [403, 404],
  },
  {
    method: 'get',
    path: '/views/{id}/tickets',
    tag: 'views',
    summary:
      'Заявки вида — то же, что GET /tickets с его фильтром (и с его сортировкой); страницы по next_cursor, page всегда null. Чтение журналируется',
    query: viewTicketsQuery,
    ok: { status: 200, page: 'TicketListItem', keyset: true },
    errors: [400, 403, 404],
  },
]

const errorDescriptions: Record<number, string> = {
  400: 'Неверный запрос: тело не JSON или не application/json; у списка заявок — неверный cursor, cursor вместе с page или page глубже 10 000 заявок',
  401: 'Нужен вход (cookie сессии или Authorization: Bearer <токен>); у /auth/login — вход не удался',
  403: 'Нет прав; у /auth/login — ldap_no_access: пароль верен, но в каталоге LDAP нет группы с доступом',
  404: 'Не найдено (чужая заявка для заявителя — тоже 404)',
  409: 'Конфликт или недопустимый переход статуса',
  413: 'Тело запроса больше 1 МБ',
  422: 'Данные не прошли проверку: неизвестные поля, неверные типы или значения',
  503: 'Временно недоступно: база данных или каталог LDAP при входе (code unavailable) или место на диске (code disk_full); повторите позже',
}

type JsonSchema = Record<string, unknown>

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' })
  return rest
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

function successContent(ok: Operation['ok']): JsonSchema | undefined {
  if (ok.item) return ref(ok.item)
  if (ok.list)
    return { type: 'object', properties: { items: { type: 'array', items: ref(ok.list) } }, required: ['items'] }
  if (ok.page && ok.keyset) {
    return {
      type: 'object',
      properties: {
        items: { type: 'array', items: ref(ok.page) },
        total: { type: 'integer', description: 'Сколько подходит, но не больше 1000' },
        total_capped: { type: 'boolean', description: 'Подходит больше, чем total' },
        page: { type: ['integer', 'null'], description: 'null, когда страница выбрана курсором' },
        per_page: { type: 'integer' },
        next_cursor: { type: ['string', 'null'] },
        prev_cursor: { type: ['string', 'null'] },
      },
      required: ['items', 'total', 'total_capped', 'page', 'per_page', 'next_cursor', 'prev_cursor'],
    }
  }
  if (ok.page) {
    return {
      type: 'object',
      properties: {
        items: { type: 'array', items: ref(ok.page) },
        total: { type: 'integer' },
        page: { type: 'integer' },
        per_page: { type: 'integer' },
      },
      required: ['items', 'total', 'page', 'per_page'],
    }
  }
  return undefined
}

function queryParameters(query: z.ZodObject): JsonSchema[] {
  const schema = jsonSchema(query, 'input')
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
  const required = new Set((schema.required ?? []) as string[])
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
    ...(property.type === 'array' ? { style: 'form', explode: true } : {}),
  }))
}

function operationObject(op: Operation): JsonSchema {
  const parameters: JsonSchema[] = []
  for (const [, name] of op.path.matchAll(/\{(\w+)\}/g)) {
    parameters.push({ name, in: 'path', required: true, schema: { type: 'integer', minimum: 1 } })
  }
  if (op.query) parameters.push(...queryParameters(op.query))
  for (const header of op.headers ?? []) {
    parameters.push({
      name: header.name,
      in: 'header',
      required: false,
      description: header.description,
      schema: { type: 'string' },
    })
  }
  const responses: Record<string, JsonSchema> = {}
  const content = successContent(op.ok)
  responses[String(op.ok.status)] = {
    description: op.ok.description ?? 'Успешно',
    ...(content ? { content: { 'application/json': { schema: content } } } : {}),
  }
  const errors = new Set<number>(op.errors ?? [])
  if (!op.public) errors.add(401)
  if (op.body || op.query) errors.add(422)
  if (op.body) errors.add(400).add(413)
  // Any operation meets the database or the disk away (src/db/unavailable.ts).
  errors.add(503)
  for (const status of [...errors].sort()) {
    responses[String(status)] = {
      description: errorDescriptions[status] ?? 'Ошибка',
      content: { 'application/json': { schema: ref('Error') } },
    }
  }
  return {
    tags: [op.tag],
    summary: op.summary,
    ...(op.public ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } }
      : {}),
    responses,
  }
}

/** The whole document; `baseUrl` names the server. */
export function openApiDocument(baseUrl: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {}
  for (const op of operations) {
    paths[op.path] ??= {}
    const item = paths[op.path]
    if (item) item[op.method] = operationObject(op)
  }
  paths['/openapi.json'] = {
    get: {
      tags: ['meta'],
      summary: 'Этот документ',
      security: [],
      responses: { '200': { description: 'OpenAPI 3.1' } },
    },
  }
  const schemas: Record<string, JsonSchema> = {}
  for (const [name, schema] of Object.entries({ ...responseSchemas, ...pageSchemas })) {
    schemas[name] = jsonSchema(schema, 'output')
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Helpdesk ИТ-отдела ОБУЗ КГКБСМП — API',
      version: '1',
      description:
        'JSON API. Ошибки: {"error": {"code", "message"}} с сообщением по-русски. Время — UTC ISO-8601; ' +
        'дата в фильтре (created_from, date_to, …) — сутки больницы (TZ_DISPLAY, по умолчанию Москва). ' +
        'Вход: cookie helpdesk_session (POST /auth/login) или личный API-токен в заголовке Authorization: Bearer.',
    },
    servers: [{ url: `${baseUrl}/api/v1` }],
    security: [{ bearer: [] }, { session: [] }],
    tags: [
      'auth',
      'me',
      'tickets',
      'notifications',
      'catalogues',
      'users',
      'audit',
      'macros',
      'equipment',
      'articles',
      'plans',
      'outages',
      'duty',
      'views',
      'meta',
    ].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Личный API-токен (hd_…)' },
        session: { type: 'apiKey', in: 'cookie', name: 'helpdesk_session' },
      },
    },
  }
}

/** Every documented operation as `METHOD /path`, for the test that keeps the document and the routes together. */
export const documentedOperations: readonly string[] = operations.map((op) => `${op.method.toUpperCase()} ${op.path}`)
