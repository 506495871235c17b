import { Composer } from 'grammy'
import { equipmentLabel } from '#src/equipment/equipment-rules.ts'
import { reportedEquipment } from '#src/equipment/reported-equipment.ts'
import { parseId } from '#src/format/ids.ts'
import type { BotContext } from '../context.ts'
import { equipmentStartTexts, keyboards } from '../texts.ts'
import { beginNewTicketAbout } from './new-ticket.ts'

/**
 * `/start eq_<id>` (issue 14): the QR sticker on a device opens the bot with this payload, and «Новая заявка»
 * begins about that device — the ticket takes its department and room, and the confirmation names it by its
 * inventory number. Runs before the registration that owns /start; someone not yet active is told to scan again
 * once admitted, and left to it.
 */
export const equipmentStart = new Composer<BotContext>()

const EQUIPMENT_PAYLOAD = /^eq[_-]?(\d{1,10})$/i

equipmentStart.command('start', async (ctx, next) => {
  const raw = EQUIPMENT_PAYLOAD.exec(ctx.match.trim())?.[1]
  if (raw === undefined) {
    await next()
    return
  }
  if (ctx.person?.status !== 'active') {
    // A registration waits for a curator, often for hours: the device is not carried through it, the person is
    // told to scan again once admitted (the registration, or where it stands, follows).
    await ctx.say({ text: equipmentStartTexts.afterRegistration })
    await next()
    return
  }
  const id = parseId(raw)
  const device = id === undefined ? undefined : await reportedEquipment(ctx.tx, id)
  if (!device) {
    await ctx.conversation.clear()
    await ctx.say({ text: equipmentStartTexts.notFound, keyboard: keyboards.mainMenu })
    return
  }
  const label = equipmentLabel({ inventory_number: device.inventoryNumber, kind: device.kind, model: device.model })
  const where = [device.departmentName, device.room ? `каб. ${device.room}` : null].filter((p) => p !== null)
  await ctx.say({ text: equipmentStartTexts.about(label, where.length > 0 ? where.join(', ') : null) })
  await beginNewTicketAbout(ctx, { id: device.id, label })
})
