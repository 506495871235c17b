import { audit } from '#src/audit/journal.ts'
import type { Db, Messenger } from '#src/db/schema.ts'
import { renderInThread } from '#src/documents/pdf-thread.ts'
import { DomainError } from '#src/errors.ts'
import { startLink } from '#src/max/max-api.ts'
import type { Actor } from '#src/users/actor.ts'
import { requireEquipmentUse } from './equipment-access.ts'
import { type EquipmentFilter, type EquipmentRow, findEquipmentByIds, listEquipmentPage } from './equipment-store.ts'
import { labelsPerSheet, type StickerLayout, type StickersInput } from './stickers.ts'

/** Ten sheets of the small labels: more at once is a mistake of the filter, not a print job. */
export const MAX_STICKERS = 650

/** The prefix of a sticker's `/start` payload in the bot: `eq_<id>`. */
export const EQUIPMENT_START_PREFIX = 'eq_'

export interface PrintStickersInput {
  layout: StickerLayout
  /** The first label to print on the first sheet (1 by default): a sheet some labels were peeled off is used up. */
  firstLabel?: number | undefined
  /** These devices, in this order; absent: every device the filter finds (written-off ones never). */
  ids?: readonly number[] | undefined
  filter?: EquipmentFilter | undefined
  /** The bot's username (config or getMe): the QR opens the bot; without it, the web form. */
  botUsername: string | undefined
  /** The messenger of that bot: Telegram's t.me link, or MAX's max.ru link (issue 15). Telegram unless said. */
  messenger?: Messenger
  baseUrl: string
  /** The operator's name, for the PDF's metadata. */
  author: string
}

/** What a device's QR opens: the bot's «Новая заявка» about it, or the web form for people without a messenger. */
export function stickerUrl(
  deviceId: number,
  botUsername: string | undefined,
  baseUrl: string,
  messenger: Messenger = 'telegram',
): string {
  if (!botUsername) return `${baseUrl.replace(/\/+$/, '')}/tickets/new?equipment=${deviceId}`
  const payload = `${EQUIPMENT_START_PREFIX}${deviceId}`
  return messenger === 'max' ? startLink(botUsername, payload) : `https://t.me/${botUsername}?start=${payload}`
}

/** A PDF of QR stickers for devices of the registry (IT staff); journaled with the devices' ids. */
export async function printStickers(db: Db, actor: Actor, input: PrintStickersInput): Promise<Buffer> {
  await requireEquipmentUse(db, actor, 'equipment.stickers')
  const firstLabel = input.firstLabel ?? 1
  const perSheet = labelsPerSheet[input.layout]
  if (!Number.isInteger(firstLabel) || firstLabel < 1 || firstLabel > perSheet) {
    throw new DomainError('validation', `Номер первой наклейки на листе — от 1 до ${perSheet}`)
  }
  const devices = await chosen(db, input)
  if (devices.length === 0) throw new DomainError('validation', 'Нет оборудования для наклеек: измените отбор')
  if (devices.length > MAX_STICKERS) {
    throw new DomainError('validation', `Слишком много наклеек за раз (${devices.length}): не больше ${MAX_STICKERS}`)
  }
  await audit(db, actor, {
    action: 'equipment.stickers',
    objectType: 'equipment',
    description: `Наклейки для оборудования: ${devices.length}`,
    details: { layout: input.layout, firstLabel, ids: devices.map((d) => d.id) },
  })
  const stickers: StickersInput = {
    layout: input.layout,
    skip: firstLabel - 1,
    author: input.author,
    createdAt: new Date().toISOString(),
    devices: devices.map((device) => ({
      inventoryNumber: device.inventory_number,
      what: [device.kind, device.model].filter((part) => part !== null && part !== '').join(' '),
      url: stickerUrl(device.id, input.botUsername, input.baseUrl, input.messenger),
    })),
  }
  return renderInThread(new URL('./stickers.ts', import.meta.url), 'stickersPdf', [stickers])
}

async function chosen(db: Db, input: PrintStickersInput): Promise<EquipmentRow[]> {
  if (input.ids !== undefined) {
    const ids = input.ids.slice(0, MAX_STICKERS + 1)
    const byId = new Map((await findEquipmentByIds(db, ids)).map((device) => [device.id, device]))
    return ids.map((id) => {
      const device = byId.get(id)
      if (!device) throw new DomainError('not_found', 'Оборудование не найдено')
      if (device.status === 'written_off') {
        throw new DomainError('validation', `Оборудование инв. № ${device.inventory_number} списано: наклейка не нужна`)
      }
      return device
    })
  }
  const filter = { ...input.filter, withWrittenOff: false }
  if (filter.status === 'written_off') filter.status = undefined
  const { rows } = await listEquipmentPage(db, filter, { offset: 0, limit: MAX_STICKERS + 1 })
  return rows
}
