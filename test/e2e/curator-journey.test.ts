import { describe, expect, test } from 'vitest'
import { listCategories } from '#src/categories/category-store.ts'
import type { Db } from '#src/db/schema.ts'
import { systemActor } from '#src/users/actor.ts'
import { currentConsentText } from '#src/users/consent.ts'
import { registerUser } from '#src/users/register-user.ts'
import { openPage, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildDepartment, buildGroup, buildUser } from '../support/factories.ts'
import { buildSignInUser, useJourneyServer } from '../support/journey.ts'
import { buildTicket } from '../support/ticket-factory.ts'

const JOURNEY = 'curator'

/**
 * A curator's morning (PRODUCT.md §2, §5): two people registered through the bot overnight — one is
 * confirmed, the other rejected with a reason; a new category is routed to a group; an unassigned
 * заявка is given to an executor.
 */
describe('the curator in chromium', () => {
  const journeyServer = useJourneyServer()

  test.runIf(runJourneys)(
    'confirms and rejects registrations, adds a category with its group, assigns a ticket',
    async () => {
      const server = journeyServer()
      const { base } = server
      const seeded = await seed(server.running.db)
      const { page, expectClean } = await openPage(server.browser)

      await signInAs(page, base, 'curator')
      await screenshot(page, JOURNEY, '00-signed-in')

      // Registrations: both people wait, with their department and consent.
      await page.getByRole('link', { name: 'Регистрации' }).click()
      await page.getByRole('heading', { name: 'Подтверждение регистраций' }).waitFor()
      const confirmRow = page.locator('tr', { hasText: 'Петрова Анна Сергеевна' })
      const rejectRow = page.locator('tr', { hasText: 'Случайный Посетитель' })
      await confirmRow.getByText('версия 1').waitFor()
      await confirmRow.getByText('Неврология').waitFor()
      await screenshot(page, JOURNEY, '01-registrations')

      await confirmRow.getByRole('button', { name: 'Подтвердить' }).click()
      await page.getByText('Регистрация подтверждена: Петрова Анна Сергеевна').waitFor()
      expect(await page.locator('tr', { hasText: 'Петрова Анна Сергеевна' }).count()).toBe(0)
      await screenshot(page, JOURNEY, '02-confirmed')

      // An empty reason is stopped by the browser; with a reason the rejection goes through.
      await rejectRow.getByRole('button', { name: 'Отклонить' }).click()
      expect(await page.getByText('Регистрация отклонена').count()).toBe(0)
      await rejectRow.getByLabel('Причина отклонения').fill('Не работает в больнице')
      await rejectRow.getByRole('button', { name: 'Отклонить' }).click()
      await page.getByText('Регистрация отклонена: Случайный Посетитель').waitFor()
      await page.getByText('Нет регистраций, ждущих решения').waitFor()
      await screenshot(page, JOURNEY, '03-rejected')
      expect(await statuses(server.running.db, seeded.pendingIds)).toEqual(['active', 'rejected'])

      // A new subcategory routed to the network group.
      await page.getByRole('link', { name: 'Категории' }).click()
      await page.getByRole('heading', { name: 'Категории' }).waitFor()
      await page.getByRole('link', { name: 'Новая категория' }).click()
      await page.locator('input[name=name]').fill('Wi-Fi в отделении')
      await page.locator('select[name=parent]').selectOption({ label: 'Сеть' })
      await page.locator('select[name=group]').selectOption({ label: 'Сети' })
      await page.locator('select[name=priority]').selectOption('high')
      await page.locator('input[name=response]').fill('30')
      await screenshot(page, JOURNEY, '04-category-form')
      await page.getByRole('button', { name: 'Создать категорию' }).click()
      await page.getByText('Создано').waitFor()
      const categoryRow = page.locator('tr', { hasText: 'Wi-Fi в отделении' })
      await categoryRow.getByText('Сети').waitFor()
      await categoryRow.getByText('30 мин / —').waitFor()
      await screenshot(page, JOURNEY, '05-categories')
      const created = (await listCategories(server.running.db)).find((c) => c.name === 'Wi-Fi в отделении')
      expect(created).toMatchObject({
        default_group_id: seeded.groupId,
        default_priority: 'high',
        response_minutes: 30,
      })

      // The other catalogues, as the curator sees them.
      await page.getByRole('link', { name: 'Отделения' }).click()
      // The name is the value of the row's rename field.
      const neurologyRow = page.locator('tr', { has: page.locator('input[value="Неврология"]') })
      await neurologyRow.getByText('Активно').waitFor()
      await screenshot(page, JOURNEY, '06-departments')
      await page.getByRole('link', { name: 'Группы исполнителей' }).click()
      await page.locator('tr', { hasText: 'Сети' }).getByText('Сидоров Алексей').waitFor()
      await screenshot(page, JOURNEY, '07-groups')

      // The unassigned ticket goes to the executor.
      await page.goto(`${base}/tickets?status=new&assignee=none`)
      await page.getByRole('link', { name: 'Не работает Wi-Fi в ординаторской' }).click()
      await page.getByRole('heading', { name: 'Не работает Wi-Fi в ординаторской' }).waitFor()
      await screenshot(page, JOURNEY, '08-ticket-unassigned')
      await page.locator('select[name=assignee]').selectOption({ label: 'Сидоров Алексей' })
      await page.getByRole('button', { name: 'Назначить' }).click()
      await page.locator('.facts').getByText('Сидоров Алексей').waitFor()
      await screenshot(page, JOURNEY, '09-ticket-assigned')
      const ticket = await server.running.db
        .selectFrom('tickets')
        .select('assignee_id')
        .where('id', '=', seeded.ticketId)
        .executeTakeFirstOrThrow()
      expect(ticket.assignee_id).toBe(seeded.executorId)

      expectClean()
    },
    120_000,
  )
})

async function seed(db: Db) {
  await buildSignInUser(db, 'curator', { role: 'curator', fullName: 'Кураторова Елена' })
  const executor = await buildUser(db, { role: 'executor', fullName: 'Сидоров Алексей', login: 'sidorov' })
  const group = await buildGroup(db, 'Сети', [executor.id])
  const network = await buildCategory(db, { name: 'Сеть', defaultGroupId: group.id })
  const ticket = await buildTicket(db, { title: 'Не работает Wi-Fi в ординаторской', categoryId: network.id })
  const neurology = await buildDepartment(db, 'Неврология')
  const consent = await currentConsentText(db)
  const pendingIds: number[] = []
  for (const [i, fullName] of ['Петрова Анна Сергеевна', 'Случайный Посетитель'].entries()) {
    const person = await registerUser(db, systemActor('bot'), {
      fullName,
      phone: `+7 910 555-00-0${i}`,
      departmentId: neurology.id,
      position: 'Медицинская сестра',
      room: 'Корпус 2, каб. 14',
      telegramChatId: String(800_000_000 + i),
      consentTextId: consent.id,
      evidence: { update_id: i },
    })
    pendingIds.push(person.id)
  }
  return { pendingIds, groupId: group.id, ticketId: ticket.id, executorId: executor.id }
}

async function statuses(db: Db, ids: number[]) {
  const rows = await db.selectFrom('users').select(['id', 'status']).where('id', 'in', ids).orderBy('id').execute()
  return rows.map((r) => r.status)
}
