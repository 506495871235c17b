import { callback } from '#src/notify/callback-data.ts'
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
  registrationSent: `Спасибо! Ваша заявка на регистрацию отправлена. ${WHO_CONFIRMS} Мы сообщим Вам о решении здесь.`,
  registrationCancelled: 'Регистрация отменена. Чтобы начать заново, отправьте /start.',
  awaitingConfirmation: `Ваша заявка на регистрацию ещё ждёт подтверждения. ${WHO_CONFIRMS} Мы сообщим Вам о решении здесь.`,
  rejected: (reason: string | null) =>
    [
      'Ваша заявка на регистрацию была отклонена.',
      reason ? `Причина: ${reason}` : 'Причину можно узнать в ИТ-отделе.',
      'Если хотите подать заявку снова, отправьте /start.',
    ].join('\n'),
  deactivated:
    'Ваша учётная запись отключена, поэтому бот не может принимать от Вас заявки. Обратитесь, пожалуйста, в ИТ-отдел больницы.',
  mainMenu: 'Выберите действие в меню внизу.',
  nothingToCancel: 'Сейчас нечего отменять.',
  cancelled: 'Отменено.',
  askRejectionReason: 'Напишите причину отклонения одним сообщением — её увидит заявитель.',
  rejectionCancelled: 'Хорошо, регистрация не отклонена.',
  registrationConfirmedByYou: (userId: number) => `Регистрация пользователя № ${userId} подтверждена.`,
  registrationRejectedByYou: (userId: number) =>
    `Регистрация пользователя № ${userId} отклонена. Заявитель получит причину.`,
  decidedMark: (confirmed: boolean) => (confirmed ? '✅ Вы подтвердили регистрацию.' : 'Вы отклонили регистрацию.'),
  alreadyDecided: 'Этот запрос уже рассмотрен.',
  notAllowed: 'Это действие Вам недоступно.',
  userNotFound: 'Такой пользователь не найден.',
  staleButton: 'Эта кнопка больше не действует.',
  failed: 'Не удалось обработать Ваше сообщение. Попробуйте, пожалуйста, ещё раз чуть позже.',
  help: [
    'Это бот службы технической поддержки ИТ-отдела больницы.',
    '',
    'Что умеет бот:',
    '• «Новая заявка» (/new) — сообщить о проблеме: выберите категорию, опишите, что случилось, можно приложить фото или файл.',
    '• «Мои заявки» (/my) — посмотреть Ваши заявки и их состояние.',
    '• Когда исполнитель напишет Вам, ответьте на его сообщение — ответ попадёт в заявку.',
    '• /cancel или «Отмена» — прервать начатое действие.',
    '• /login — ссылка для входа на сайт службы поддержки.',
    '• /revoke — отозвать согласие на обработку персональных данных.',
    '',
    'Если Вы здесь впервые, отправьте /start: бот попросит согласие, номер телефона, ФИО, отделение и должность. Регистрацию подтверждает куратор ИТ-отдела.',
  ].join('\n'),
} as const

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

/** Texts a person may type instead of pressing a reply-keyboard button: compared without case and spaces. */
export function isButton(text: string | undefined, label: string): boolean {
  return text !== undefined && text.trim().toLocaleLowerCase('ru') === label.toLocaleLowerCase('ru')
}
