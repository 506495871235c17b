import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * «База знаний» (issue 14): articles in Markdown by category (or none), public to requesters or internal to IT
 * staff, with the counts of «помогло» and «не помогло» the bot's offers gather; pictures uploaded with an article
 * (content-addressed files in `DATA_DIR/files`, as attachments). Searched like tickets: an FTS5 table on SQLite, a
 * GIN-indexed `russian` tsvector on PostgreSQL. A removed article is archived, not deleted: the journal names it.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema
    .createTable('articles')
    .addColumn('id', 'integer', id)
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('category_id', 'integer', (c) => c.references('categories.id'))
    .addColumn('visibility', 'text', (c) => c.notNull().defaultTo('public'))
    .addColumn('author_id', 'integer', (c) => c.references('users.id'))
    .addColumn('updated_by', 'integer', (c) => c.references('users.id'))
    .addColumn('helpful_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('not_helpful_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('archived_at', 'text')
    .addCheckConstraint('articles_visibility', sql`visibility in ('public', 'internal')`)
    .execute()
  await db.schema.createIndex('articles_category_idx').on('articles').column('category_id').execute()
  await db.schema
    .createTable('article_images')
    .addColumn('id', 'integer', id)
    .addColumn('article_id', 'integer', (c) => c.notNull().references('articles.id'))
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('mime_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('article_images_article_idx').on('article_images').column('article_id').execute()
  await db.schema.createIndex('article_images_sha256_idx').on('article_images').column('sha256').execute()
  if (!pg) {
    await sql`create virtual table article_fts using fts5(
      title, body, tokenize = 'unicode61 remove_diacritics 2'
    )`.execute(db)
    return
  }
  await sql`create table article_search (
    article_id integer primary key references articles(id),
    title text not null default '',
    body text not null default '',
    tsv tsvector generated always as (
      setweight(to_tsvector('russian', title), 'A') || setweight(to_tsvector('russian', body), 'B')
    ) stored
  )`.execute(db)
  await sql`create index article_search_tsv_idx on article_search using gin (tsv)`.execute(db)
}

export async function down(db: AnyDb): Promise<void> {
  if (dialectOf(db) === 'postgres') await sql`drop table article_search`.execute(db)
  else await sql`drop table article_fts`.execute(db)
  await db.schema.dropTable('article_images').execute()
  await db.schema.dropTable('articles').execute()
}
