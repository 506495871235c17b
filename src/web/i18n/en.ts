import { enAdmin } from './en-admin.ts'
import { enApprovals } from './en-approvals.ts'
import { enBackup } from './en-backup.ts'
import { enCommon } from './en-common.ts'
import { enConsent } from './en-consent.ts'
import { enCurator } from './en-curator.ts'
import { enDestruction } from './en-destruction.ts'
import { enDuty } from './en-duty.ts'
import { enEquipment } from './en-equipment.ts'
import { enExport } from './en-export.ts'
import { enImport } from './en-import.ts'
import { enKnowledge } from './en-knowledge.ts'
import { enLdap } from './en-ldap.ts'
import { enMacros } from './en-macros.ts'
import { enMaxLink } from './en-max-link.ts'
import { enNotifications } from './en-notifications.ts'
import { enOutages } from './en-outages.ts'
import { enApiTokens, enPasswordSet, enUserNew } from './en-password-set.ts'
import { enPlans } from './en-plans.ts'
import { enPolish } from './en-polish.ts'
import { enSettings } from './en-settings.ts'
import { enStats } from './en-stats.ts'
import { enSubjectRequests } from './en-subject-requests.ts'
import { enTelegramLink } from './en-telegram-link.ts'
import { enTelegramLogin } from './en-telegram-login.ts'
import { enTheme } from './en-theme.ts'
import { enTicket } from './en-ticket.ts'
import { enTicketLinks } from './en-ticket-links.ts'
import { enViews } from './en-views.ts'
import { enWorkspace } from './en-workspace.ts'

/**
 * The English catalogue: Russian text (as written in the views) → English. A missing entry shows the
 * Russian text; `src/web/i18n.test.ts` lists the texts of the views that still lack a translation.
 */
export const en: Readonly<Record<string, string>> = {
  ...enAdmin,
  ...enCommon,
  ...enCurator,
  ...enDuty,
  ...enTelegramLogin,
  ...enTelegramLink,
  ...enMaxLink,
  ...enPasswordSet,
  ...enUserNew,
  ...enApiTokens,
  ...enTicket,
  ...enStats,
  ...enPolish,
  ...enLdap,
  ...enSettings,
  ...enConsent,
  ...enSubjectRequests,
  ...enDestruction,
  ...enImport,
  ...enBackup,
  ...enExport,
  ...enWorkspace,
  ...enTheme,
  ...enMacros,
  ...enEquipment,
  ...enTicketLinks,
  ...enNotifications,
  ...enKnowledge,
  ...enViews,
  ...enPlans,
  ...enApprovals,
  ...enOutages,
  'К содержимому': 'Skip to content',
  'Поддержка КГКБСМП': 'KGKBSMP IT support',
  'Поиск по заявкам': 'Search tickets',
  'Поиск: номер, текст…  ( / )': 'Search: number, text…  ( / )',
  Выйти: 'Sign out',
  Разделы: 'Sections',
  Главная: 'Home',
  Заявки: 'Tickets',
  'Новая заявка': 'New ticket',
  Регистрации: 'Registrations',
  Категории: 'Categories',
  Отделения: 'Departments',
  'Группы исполнителей': 'Executor groups',
  Пользователи: 'Users',
  Статистика: 'Statistics',
  'Журнал аудита': 'Audit journal',
  Профиль: 'Profile',
  Исполнитель: 'Executor',
  Куратор: 'Curator',
  Администратор: 'Administrator',
  'ИТ-поддержка КГКБСМП': 'KGKBSMP IT support',
}
