/** English for approvals («Согласование», issue 14): /approvals, the ticket page's panel, the timeline. */
export const enApprovals: Readonly<Record<string, string>> = {
  'На согласовании': 'Awaiting approval',
  Согласование: 'Approval',
  Согласовать: 'Approve',
  'Причина отказа': 'Reason for rejection',
  'Заявитель и отделение': 'Requester and department',
  Подана: 'Filed',
  'отделение не указано': 'no department',
  'Нет заявок, ждущих Вашего согласования': 'No tickets await your approval',
  'Заявки на доступ (МИС, 1С, ЭЦП, VPN) приходят сюда и в Telegram, пока Вы их не согласуете.':
    'Access requests (МИС, 1С, ЭЦП, VPN) come here and to Telegram until you decide on them.',
  'Заявка № {id} согласована и передана в ИТ-отдел': 'Ticket No. {id} approved and passed to IT',
  'Заявка № {id} не согласована: заявитель получит уведомление с причиной':
    'Ticket No. {id} rejected: the requester will be told the reason',
  'Заявка ждёт согласования заведующего отделением: до решения ИТ-отдел её не получает.':
    'The ticket awaits the head of department’s approval: IT does not get it until then.',
  'Заявка ждёт согласования куратора ИТ: до решения ИТ-отдел её не получает.':
    'The ticket awaits an IT curator’s approval: IT does not get it until then.',
  'согласовал(а) заявку': 'approved the ticket',
  'не согласовал(а) заявку': 'rejected the ticket',
  'Требует согласования заведующего отделением': 'Requires the head of department’s approval',
  'Заявка ждёт, пока заведующий отделением заявителя её не согласует (без заведующего — куратор ИТ); до этого ИТ-отдел её не получает. Подкатегории наследуют это от родительской.':
    'A ticket waits until the head of the requester’s department approves it (without a head, an IT curator); IT does not get it until then. Subcategories inherit this from their parent.',
  'Заведующий: {name}': 'Head: {name}',
  'Заведующий отделением': 'Head of department',
  '— не назначен: согласуют кураторы ИТ —': '— none: IT curators approve —',
  'Заведующий согласует заявки своего отделения в категориях, требующих согласования (МИС, 1С, ЭЦП, VPN): в Telegram и на странице «На согласовании». В списке — активные сотрудники отделения.':
    'The head approves the department’s tickets in categories that require approval (МИС, 1С, ЭЦП, VPN): in Telegram and on the «Awaiting approval» page. Listed: the department’s active staff.',
  'Заведующий не назначен': 'No head',
  'Заведующий назначен': 'Head named',
  'Заявка ждёт Вашего согласования': 'A ticket awaits your approval',
}
