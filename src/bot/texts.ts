import type { Messenger } from '#src/db/schema.ts'
import { plural } from '#src/format/plural.ts'
import { callback } from '#src/notify/callback-data.ts'
import { messengerNames } from '#src/notify/notice-texts.ts'
import type { BotButton, BotMessage } from '#src/notify/outbox.ts'

/**
 * Everything the bot itself says, in one Russian catalogue (UI.md, Telegram bot): formal «Вы», short
 * sentences, one question per message, «Отмена» always there during a dialogue. Notices (registration
 * decided, ticket taken, …) are rendered by src/notify/notice-texts.ts.
 */

export const buttons = {
  agree: 'Согласен',
  disagree: 'Не согласен',
  sharePhone: 'Поделиться номером',
  cancel: 'Отмена',
  skip: 'Пропустить',
  back: '‹ Назад',
  next: 'Далее ›',
  newTicket: 'Новая заявка',
  myTickets: 'Мои заявки',
  help: 'Помощь',
} as const

/** Who confirms a registration and roughly how long it takes (UI.md: a person is told plainly). */
const WHO_CONFIRMS = 'Её подтвердит куратор или администратор ИТ-отдела, обычно в течение рабочего дня.'

export const texts = {
  greeting:
    'Здравствуйте! Это бот службы технической поддержки ИТ-отдела больницы. Через него можно подать заявку и следить за её выполнением.',
  consentQuestion: 'Чтобы зарегистрироваться, прочитайте согласие на обработку персональных данных. Вы согласны?',
  consentGiven: '✅ Вы дали согласие.',
  consentRefusedMark: 'Вы не дали согласие.',
  consentRefused:
    'Без согласия на обработку персональных данных бот не может принимать Ваши заявки. Если передумаете, отправьте /start. Вы также можете позвонить в ИТ-отдел.',
  consentStale: 'Текст согласия мог измениться. Отправьте /start, чтобы прочитать его ещё раз.',
  consentPressButton: 'Пожалуйста, нажмите «Согласен» или «Не согласен» под текстом согласия.',
  askPhone: 'Поделитесь, пожалуйста, своим номером телефона: нажмите кнопку «Поделиться номером» внизу.',
  phoneNotOwn: 'Отправьте, пожалуйста, свой номер — кнопкой «Поделиться номером» внизу. Чужой контакт не подходит.',
  phoneInvalid: 'Не удалось распознать номер. Нажмите, пожалуйста, кнопку «Поделиться номером» внизу.',
  askName: 'Напишите, пожалуйста, Ваши фамилию, имя и отчество полностью.',
  nameInvalid: 'Напишите, пожалуйста, фамилию и имя (и отчество, если есть) — хотя бы два слова, до 200 символов.',
  askDepartment: 'Выберите Ваше отделение.',
  noDepartments: 'Список отделений пока пуст. Пожалуйста, позвоните в ИТ-отдел — Вас зарегистрируют вручную.',
  departmentPressButton: 'Пожалуйста, выберите отделение кнопкой в сообщении выше.',
  departmentGone: 'Это отделение больше недоступно. Выберите, пожалуйста, другое.',
  departmentChosen: (name: string) => `Отделение: ${name}`,
  askPosition: 'Напишите, пожалуйста, Вашу должность.',
  positionInvalid: 'Напишите, пожалуйста, должность — от 2 до 200 символов.',
  askRoom: 'Укажите кабинет и корпус, где Вы работаете. Если не хотите указывать, нажмите «Пропустить».',
  roomInvalid: 'Слишком длинно: не больше 200 символов. Или нажмите «Пропустить».',
  textExpected: 'Пожалуйста, ответьте текстом.',
  finishRegistrationFirst: 'Сначала, пожалуйста, закончите регистрацию — или нажмите «Отмена».',
  reasonExpected: 'Напишите, пожалуйста, причину отклонения текстом — или нажмите «Отмена».',
  registrationSent: `Спасибо! Ваша регистрация отправлена. ${WHO_CONFIRMS} Мы сообщим Вам о решении здесь.`,
  registrationCancelled: 'Регистрация отменена. Чтобы начать заново, отправьте /start.',
  awaitingConfirmation: `Ваша регистрация ещё ждёт подтверждения. ${WHO_CONFIRMS} Мы сообщим Вам о решении здесь.`,
  rejected: (reason: string | null) =>
    [
      'Ваша регистрация была отклонена.',
      reason ? `Причина: ${reason}` : 'Причину можно узнать в ИТ-отделе.',
      'Если хотите зарегистрироваться снова, отправьте /start.',
    ].join('\n'),
  deactivated:
    'Ваша учётная запись отключена, поэтому бот не может принимать от Вас заявки. Обратитесь, пожалуйста, в ИТ-отдел больницы.',
  mainMenu: 'Выберите действие в меню внизу.',
  nothingToCancel: 'Сейчас нечего отменять.',
  cancelled: 'Отменено.',
  newTicketCancelled: 'Создание заявки отменено.',
  replyCancelled: 'Ответ не отправлен.',
  choiceCancelled: 'Сообщение не отправлено ни в одну заявку.',
  ratingCommentCancelled: 'Хорошо, оценка сохранена без комментария.',
  askRejectionReason: 'Напишите причину отклонения одним сообщением — её увидит заявитель.',
  rejectionCancelled: 'Хорошо, регистрация не отклонена.',
  approvalRejectionCancelled: 'Хорошо, заявка не отклонена: она ждёт Вашего решения.',
  registrationConfirmedByYou: (userId: number) => `Регистрация пользователя № ${userId} подтверждена.`,
  registrationRejectedByYou: (userId: number) =>
    `Регистрация пользователя № ${userId} отклонена. Заявитель получит причину.`,
  decidedMark: (confirmed: boolean) => (confirmed ? '✅ Вы подтвердили регистрацию.' : 'Вы отклонили регистрацию.'),
  alreadyDecided: 'Этот запрос уже рассмотрен.',
  notAllowed: 'Это действие Вам недоступно.',
  userNotFound: 'Такой пользователь не найден.',
  staleButton: 'Эта кнопка больше не действует.',
  failed: 'Не удалось обработать Ваше сообщение. Попробуйте, пожалуйста, ещё раз чуть позже.',
  help: helpText('telegram'),
} as const

/** What /help says; the messenger is named where the person is told how to link an existing account. */
export function helpText(messenger: Messenger): string {
  return [
    'Это бот службы технической поддержки ИТ-отдела больницы.',
    '',
    'Что умеет бот:',
    '• «Новая заявка» (/new) — сообщить о проблеме: выберите категорию, опишите, что случилось, можно приложить фото или файл.',
    '• «Мои заявки» (/my) — посмотреть Ваши заявки и их состояние.',
    '• /duty — кто из ИТ-отдела дежурит сейчас.',
    '• Когда исполнитель напишет Вам, ответьте на его сообщение — ответ попадёт в заявку.',
    '• /cancel или «Отмена» — прервать начатое действие.',
    '• /login — ссылка для входа на сайт службы поддержки.',
    '• /revoke — отозвать согласие на обработку персональных данных.',
    '',
    'Если Вы здесь впервые, отправьте /start: бот попросит согласие, номер телефона, ФИО, отделение и должность. Регистрацию подтверждает куратор ИТ-отдела.',
    `Если у Вас уже есть учётная запись на сайте службы поддержки, не регистрируйтесь заново: нажмите «Привязать ${messengerNames[messenger]}» в профиле на сайте.`,
  ].join('\n')
}

export const keyboards = {
  mainMenu: {
    rows: [[{ text: buttons.newTicket }, { text: buttons.myTickets }], [{ text: buttons.help }]],
  },
  phone: {
    rows: [[{ text: buttons.sharePhone, requestContact: true }], [{ text: buttons.cancel }]],
  },
  cancelOnly: { rows: [[{ text: buttons.cancel }]] },
  skipOrCancel: { rows: [[{ text: buttons.skip }], [{ text: buttons.cancel }]] },
} as const satisfies Record<string, Exclude<BotMessage['keyboard'], 'remove' | undefined>>

/** Telegram's limit for one message. */
export const MESSAGE_MAX = 4096

/**
 * The first messages to someone new: greeting, the consent text, and the two answers under the last
 * message. A consent text too long for one message (a curator may publish a longer one) is sent in
 * parts, cut between paragraphs — never clipped: the person must see all of what they agree to.
 */
export function consentPrompt(consentText: string): BotMessage[] {
  const answers: BotButton[][] = [
    [
      { text: buttons.agree, callbackData: callback.consent('yes') },
      { text: buttons.disagree, callbackData: callback.consent('no') },
    ],
  ]
  const whole = `${texts.greeting}\n\n${texts.consentQuestion}\n\n${consentText}`
  if (fitsOneMessage(consentText)) return [{ text: whole, buttons: answers }]
  return [
    { text: texts.greeting },
    ...splitText(consentText, MESSAGE_MAX).map((part) => ({ text: part })),
    { text: texts.consentQuestion, buttons: answers },
  ]
}

/** The message with the answers after one is pressed: the answer marked, no buttons left to press twice. */
export function consentAnswered(consentText: string, agreed: boolean, messageId: number): BotMessage {
  const mark = agreed ? texts.consentGiven : texts.consentRefusedMark
  const text = fitsOneMessage(consentText)
    ? `${texts.greeting}\n\n${consentText}\n\n${mark}`
    : `${texts.consentQuestion}\n\n${mark}`
  return { text, editMessageId: messageId }
}

function fitsOneMessage(consentText: string): boolean {
  const longest = Math.max(texts.consentQuestion.length, texts.consentGiven.length, texts.consentRefusedMark.length)
  return [...`${texts.greeting}\n\n${consentText}\n\n`].length + longest <= MESSAGE_MAX
}

/** Cuts text into parts of at most `max` characters, between paragraphs or lines where it can. */
export function splitText(text: string, max: number): string[] {
  const parts: string[] = []
  let rest = text.trim()
  while ([...rest].length > max) {
    const head = [...rest].slice(0, max).join('')
    const cut = Math.max(head.lastIndexOf('\n\n'), head.lastIndexOf('\n'), head.lastIndexOf(' '))
    const at = cut > max / 2 ? cut : head.length
    parts.push(rest.slice(0, at).trimEnd())
    rest = rest.slice(at).trimStart()
  }
  if (rest !== '') parts.push(rest)
  return parts
}

export const DEPARTMENTS_PER_PAGE = 8

/** One page of the department picker, with paging and «Отмена». */
export function departmentPicker(
  departments: ReadonlyArray<{ id: number; name: string }>,
  page: number,
  editMessageId?: number,
): BotMessage {
  const pages = Math.max(1, Math.ceil(departments.length / DEPARTMENTS_PER_PAGE))
  const current = Math.min(Math.max(0, page), pages - 1)
  const shown = departments.slice(current * DEPARTMENTS_PER_PAGE, (current + 1) * DEPARTMENTS_PER_PAGE)
  const rows: BotButton[][] = shown.map((d) => [{ text: d.name, callbackData: callback.departmentPick(d.id) }])
  const paging: BotButton[] = []
  if (current > 0) paging.push({ text: buttons.back, callbackData: callback.departmentPage(current - 1) })
  if (current < pages - 1) paging.push({ text: buttons.next, callbackData: callback.departmentPage(current + 1) })
  if (paging.length > 0) rows.push(paging)
  rows.push([{ text: buttons.cancel, callbackData: callback.cancel() }])
  const text = pages > 1 ? `${texts.askDepartment} (страница ${current + 1} из ${pages})` : texts.askDepartment
  return { text, buttons: rows, ...(editMessageId !== undefined ? { editMessageId } : {}) }
}

/**
 * Texts a person may type instead of pressing a reply-keyboard button: compared without case and spaces. A
 * `text` that is not a string (a malformed update: grammY's `message:text` filter only checks it is there) is
 * no button.
 */
export function isButton(text: unknown, label: string): boolean {
  return typeof text === 'string' && text.trim().toLocaleLowerCase('ru') === label.toLocaleLowerCase('ru')
}

// ---------------------------------------------------------------- new ticket (PRODUCT.md §4)

/** What a downloaded message's file is called when it cannot be fetched: «<subject> больше 20 МБ». */
export const fileSubjects = {
  photo: 'Фото',
  video: 'Видео',
  voice: 'Голосовое сообщение',
  file: 'Файл',
  named: (fileName: string) => `Файл «${fileName}»`,
} as const

/** The urgency a person picks, as the buttons say it (mapped to a priority by the new-ticket feature). */
export const urgencyLabels = {
  normal: 'Обычная',
  high: 'Срочная',
  critical: '❗ Критическая — блокирует работу с пациентами',
} as const

export const newTicketTexts = {
  askCategory: 'Выберите, пожалуйста, категорию проблемы.',
  askSubcategory: (parent: string) => `Раздел «${parent}». Выберите, пожалуйста, подходящий пункт.`,
  page: (page: number, pages: number) => `(страница ${page} из ${pages})`,
  toTopLevel: '‹ Все категории',
  noCategories: 'Категории заявок пока не настроены. Пожалуйста, позвоните в ИТ-отдел.',
  categoryGone: 'Эта категория больше недоступна. Выберите, пожалуйста, другую.',
  categoryChosen: (name: string) => `Категория: ${name}`,
  categoryPressButton: 'Пожалуйста, выберите категорию кнопкой в сообщении выше — или нажмите «Отмена».',
  askDescription:
    'Опишите проблему одним сообщением: что случилось и где. Можно приложить фото, несколько фото или файл.',
  describeInWords: 'Файл получен. Опишите, пожалуйста, проблему словами — одним сообщением.',
  descriptionExpected: 'Пожалуйста, опишите проблему текстом. Можно приложить фото или файл.',
  tooLarge: (subject: string, messenger: Messenger = 'telegram') =>
    messenger === 'telegram'
      ? `${subject} больше 20 МБ — Telegram не позволяет боту его получить. Пришлите фото или файл поменьше.`
      : `${subject} больше 20 МБ — бот не принимает такие файлы. Пришлите фото или файл поменьше.`,
  filesFailed: (count: number, messenger: Messenger = 'telegram') =>
    count === 1
      ? `Один файл не удалось получить от ${messengerNames[messenger]}. Пришлите его, пожалуйста, ещё раз.`
      : `Не удалось получить от ${messengerNames[messenger]} ${count} ${plural(count, ['файл', 'файла', 'файлов'])}. Пришлите их, пожалуйста, ещё раз.`,
  emptyFile: (subject: string) => `${subject}: файл пустой (0 байт), приложить нечего. Пришлите его ещё раз.`,
  tooManyFiles: (max: number) => `К заявке можно приложить не больше ${max} файлов — лишние не добавлены.`,
  added: 'Добавлено к заявке.',
  descriptionTooLong: (max: number) =>
    `Описание заявки не может быть длиннее ${max.toLocaleString('ru-RU')} знаков, поэтому это сообщение не добавлено. Пришлите, пожалуйста, покороче.`,
  askUrgency: 'Насколько срочно?',
  urgencyChosen: (label: string) => `Срочность: ${label}`,
  urgencyPressButton: 'Пожалуйста, выберите срочность кнопкой в сообщении выше — или нажмите «Отмена».',
  created: (header: string, files: number, equipment?: string) =>
    [
      header,
      '✅ Заявка создана.',
      equipment ? `Оборудование: ${equipment}.` : null,
      files > 0 ? `Вложений: ${files}.` : null,
      'Мы сообщим здесь, когда её возьмут в работу. Чтобы дополнить заявку, ответьте на это сообщение.',
    ]
      .filter((line) => line !== null)
      .join('\n'),
} as const

// ---------------------------------------------------------------- «База знаний» before a ticket (issue 14)

export const articleOfferButtons = {
  helped: 'Помогло',
  helpedNumber: (n: number) => `Помогло: № ${n}`,
  notHelped: 'Нет, создать заявку',
} as const

export const articleOfferTexts = {
  intro: 'Возможно, это решается само. Попробуйте:',
  after: 'Если помогло — нажмите «Помогло», заявку создавать не будем. Если нет — «Нет, создать заявку».',
  helped: 'Рады, что получилось! Заявку создавать не стали. Если проблема вернётся — нажмите «Новая заявка».',
  pressButton:
    'Пожалуйста, ответьте кнопкой в сообщении выше: «Помогло» или «Нет, создать заявку» — или нажмите «Отмена».',
  answered: 'Ответ учтён.',
} as const

/** `/start eq_<id>`: a device's QR sticker (issue 14). */
export const equipmentStartTexts = {
  about: (device: string, where: string | null) =>
    [`Заявка об оборудовании: ${device}.`, where ? `Где: ${where}.` : null].filter((line) => line !== null).join('\n'),
  notFound:
    'Это оборудование не найдено в реестре или списано. Оформите, пожалуйста, заявку обычным образом — кнопкой «Новая заявка».',
  /** Someone not (yet) active scanned a sticker: the device cannot wait through a registration's approval. */
  afterRegistration:
    'Это наклейка оборудования для заявок в ИТ-отдел. Сообщить о проблеме можно после регистрации: когда её подтвердят, отсканируйте QR-код на устройстве ещё раз.',
} as const

// ---------------------------------------------------------------- /login and /revoke (COMPLIANCE.md §1, §5)

export const accountButtons = {
  openSite: 'Войти на сайт',
  withdrawYes: 'Да, отозвать',
  withdrawNo: 'Нет',
} as const

export const accountTexts = {
  loginLink: (url: string, minutes: number) =>
    [
      'Ссылка для входа на сайт службы поддержки:',
      url,
      '',
      `Ссылка одноразовая и действует ${minutes} минут. Никому её не пересылайте: по ней входят под Вашим именем.`,
    ].join('\n'),
  loginUnregistered: 'Вход на сайт — для зарегистрированных пользователей. Чтобы зарегистрироваться, отправьте /start.',
  loginPending:
    'Ваша регистрация ещё не подтверждена, поэтому войти на сайт пока нельзя. Мы сообщим Вам о решении здесь.',
  loginRejected:
    'Ваша регистрация отклонена, поэтому войти на сайт нельзя. Чтобы зарегистрироваться снова, отправьте /start.',
  loginDeactivated:
    'Ваша учётная запись отключена, поэтому войти на сайт нельзя. Обратитесь, пожалуйста, в ИТ-отдел больницы.',
  revokeQuestion: [
    'Отзыв согласия на обработку персональных данных.',
    '',
    'Если Вы отзовёте согласие:',
    '• Ваша учётная запись сразу будет отключена: бот и сайт перестанут принимать Ваши заявки, войти на сайт будет нельзя;',
    '• куратор ИТ-отдела получит уведомление об отзыве;',
    '• Ваши персональные данные будут уничтожены (обезличены) в течение 30 дней — кроме тех, которые закон обязывает хранить дольше; заявки останутся в системе без Ваших данных.',
    '',
    'Вернуть доступ можно будет только с новым согласием — через ИТ-отдел.',
    '',
    'Отозвать согласие?',
  ].join('\n'),
  revokeNothing: 'Вы не давали согласие на обработку персональных данных через этот бот — отзывать нечего.',
  revokeAlready: 'Ваше согласие на обработку персональных данных уже отозвано.',
  withdrawnMark: '✅ Вы отозвали согласие.',
  keptMark: 'Вы не стали отзывать согласие.',
  withdrawn:
    'Ваше согласие на обработку персональных данных отозвано, учётная запись отключена. Персональные данные будут уничтожены в течение 30 дней, кроме тех, которые закон обязывает хранить. Если понадобится помощь, позвоните в ИТ-отдел.',
  kept: 'Хорошо, согласие не отозвано — всё остаётся как было.',
} as const

/**
 * The conversation about tickets (PRODUCT.md §4): replies routed to a ticket, «Мои заявки», and what the
 * notice buttons answer. Every message about one ticket starts with its header «Заявка № N · статус»
 * (notice-texts.ts `ticketHeader`), added where the message is built.
 */
export const conversationTexts = {
  noComment: 'Без комментария',
  whichTicket:
    'К какой заявке это относится? Выберите её кнопкой ниже. Если это новая проблема, нажмите «Отмена», а затем «Новая заявка».',
  noOpenTickets:
    'У Вас нет открытых заявок, поэтому сообщение никуда не отправлено. Чтобы сообщить о проблеме, нажмите «Новая заявка» в меню внизу.',
  ticketClosedOfferNew: 'Чтобы сообщить о новой проблеме, нажмите «Новая заявка» в меню внизу.',
  nothingToFile: 'Пожалуйста, напишите текст или приложите фото или файл.',
  messageTooLong: (max: number) =>
    `Сообщение по заявке не может быть длиннее ${max.toLocaleString('ru-RU')} знаков, поэтому последнее не добавлено. Выберите заявку для уже написанного или пришлите покороче.`,
  messageFiled: (files: number) =>
    files > 0 ? `✅ Сообщение добавлено в заявку (вложений: ${files}).` : '✅ Сообщение добавлено в заявку.',
  filedOn: (ticketId: number) => `Сообщение добавлено в заявку № ${ticketId}.`,
  writeReply: 'Напишите сообщение по заявке — текст, фото или файл. Оно попадёт в заявку. Или нажмите «Отмена».',
  choiceStale: 'Это сообщение уже не ждёт выбора заявки.',
  myTicketsTitle: 'Ваши заявки',
  openTickets: 'Открытые:',
  recentClosed: 'Недавно завершённые:',
  moreOnSite: (count: number, url: string) => `И ещё ${count} — на сайте: ${url}`,
  noTickets: 'У Вас пока нет заявок. Чтобы подать заявку, нажмите «Новая заявка» в меню внизу.',
  pickToOpen: 'Нажмите на заявку, чтобы посмотреть её последние сообщения.',
  assignee: (name: string | null) => (name ? `Исполнитель: ${name}` : 'Исполнитель пока не назначен.'),
  lastMessages: 'Последние сообщения:',
  noMessages: 'Сообщений по заявке пока нет.',
  files: (count: number) => `📎 ${count}`,
  takenByYou: '✅ Вы взяли заявку в работу.',
  takenAnswer: (ticketId: number) => `Заявка № ${ticketId} взята в работу.`,
  confirmedMark: '✅ Вы подтвердили, что проблема решена. Спасибо!',
  confirmedAnswer: 'Спасибо! Заявка закрыта.',
  reopenedMark: 'Вы отметили, что проблема не решена. Заявка снова в работе.',
  askWhatIsWrong: 'Напишите, пожалуйста, что осталось не так — сообщение попадёт в заявку. Или нажмите «Отмена».',
  rated: (score: number) => `Ваша оценка: ${score} из 5. Спасибо!`,
  askRatingComment: 'Если хотите, напишите комментарий к оценке одним сообщением. Или нажмите «Без комментария».',
  ratingCommentSaved: 'Спасибо за комментарий!',
  ratingCommentSkipped: 'Хорошо, без комментария.',
  ratingCommentExpected: 'Напишите, пожалуйста, комментарий текстом — или нажмите «Без комментария».',
  noLongerPossible: 'Это действие уже недоступно.',
  onlyRequester: 'Это действие доступно только автору заявки.',
} as const

// ---------------------------------------------------------------- /start link_<code> (issue 9)

/** Linking this chat to an account made on the web; the refusals are the use case's (users/telegram-link.ts). */
export const telegramLinkTexts = {
  linked: (account: string, messenger: Messenger = 'telegram') =>
    `✅ ${messengerNames[messenger]} привязан к учётной записи ${account}. Сюда будут приходить уведомления о Ваших заявках; здесь же можно подать новую заявку.`,
  alreadyLinked: (account: string, messenger: Messenger = 'telegram') =>
    `Этот ${messengerNames[messenger]} уже привязан к учётной записи ${account}.`,
} as const

/**
 * A new consent text (issue 10): an active person whose consent is to an older version reads the new one
 * and agrees again before anything else; «Не согласен» is a withdrawal, and the question says so.
 */
export const reconsentTexts = {
  intro: (version: number) =>
    `Текст согласия на обработку персональных данных изменился (версия ${version}). Чтобы продолжить работу с ботом, прочитайте его и подтвердите согласие.`,
  firstIntro: (version: number) =>
    `Прежде чем работать с ботом, прочитайте согласие на обработку персональных данных (версия ${version}) и подтвердите его.`,
  question:
    'Вы согласны с новым текстом согласия на обработку персональных данных? Если Вы не согласны, согласие будет отозвано, а учётная запись отключена.',
  firstQuestion:
    'Вы согласны на обработку Ваших персональных данных на этих условиях? Без согласия бот не сможет принимать Ваши заявки.',
  declinedMark: 'Вы не дали согласие.',
  withoutConsent:
    'Без согласия на обработку персональных данных бот не принимает заявки. Когда будете готовы, напишите любое сообщение — бот снова покажет текст согласия.',
  agreedMark: '✅ Вы дали согласие.',
  refusedMark: 'Вы не дали согласие: оно отозвано.',
  thanks: 'Спасибо! Согласие записано, можно продолжать.',
  answerFirst: 'Сначала, пожалуйста, ответьте на вопрос о согласии на обработку персональных данных.',
  changed: 'Текст согласия снова изменился. Прочитайте, пожалуйста, новую версию.',
} as const

/**
 * The text (in parts if long, never clipped) and the question with «Согласен» / «Не согласен» under it: a new
 * version for someone who consented to an older one, or the first consent of an account made elsewhere.
 */
export function reconsentPrompt(consent: { id: number; version: number; text: string }, first = false): BotMessage[] {
  const answers: BotButton[][] = [
    [
      { text: buttons.agree, callbackData: callback.reconsent(consent.id, 'yes') },
      { text: buttons.disagree, callbackData: callback.reconsent(consent.id, 'no') },
    ],
  ]
  const intro = `${first ? reconsentTexts.firstIntro(consent.version) : reconsentTexts.intro(consent.version)}\n\n`
  const whole = `${intro}${consent.text}`
  const parts = [...whole].length <= MESSAGE_MAX ? [whole] : [intro.trim(), ...splitText(consent.text, MESSAGE_MAX)]
  const question = first ? reconsentTexts.firstQuestion : reconsentTexts.question
  return [...parts.map((text) => ({ text })), { text: question, buttons: answers }]
}
