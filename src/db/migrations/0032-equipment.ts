import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * «Оборудование» (issue 14): a light registry of the hospital's devices — an inventory number (unique, as the
 * accounting export has it), a type, model, serial, where it stands (department, room), who answers for it (a
 * user, by id: a name here would be personal data out of reach of the destruction), and a status. A written-off
 * device stays, stamped: its tickets and the journal name it by id. `search_text` is the inventory number, type,
 * model and serial in lower case (JavaScript's, which knows Cyrillic), so that one portable LIKE finds them.
 * `tickets.equipment_id` ties a ticket to the device it is about (filed from a sticker, or chosen by staff).
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema
    .createTable('equipment')
    .addColumn('id', 'integer', id)
    .addColumn('inventory_number', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('serial', 'text')
    .addColumn('department_id', 'integer', (c) => c.references('departments.id'))
    .addColumn('room', 'text')
    .addColumn('responsible_id', 'integer', (c) => c.references('users.id'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('in_service'))
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('written_off_at', 'text')
    .addColumn('written_off_by', 'integer', (c) => c.references('users.id'))
    .addCheckConstraint('equipment_status', sql`status in ('in_service', 'in_repair', 'written_off')`)
    .execute()
  await db.schema
    .createIndex('equipment_inventory_number_idx')
    .on('equipment')
    .column('inventory_number')
    .unique()
    .execute()
  await db.schema.createIndex('equipment_department_idx').on('equipment').column('department_id').execute()
  await db.schema.createIndex('equipment_responsible_idx').on('equipment').column('responsible_id').execute()
  await db.schema
    .alterTable('tickets')
    .addColumn('equipment_id', 'integer', (c) => c.references('equipment.id'))
    .execute()
  await db.schema.createIndex('tickets_equipment_idx').on('tickets').column('equipment_id').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('tickets_equipment_idx').execute()
  await db.schema.alterTable('tickets').dropColumn('equipment_id').execute()
  await db.schema.dropTable('equipment').execute()
}
