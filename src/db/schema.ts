import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

// Dates are stored as RFC 3339 UTC strings with second precision, the exact wire format,
// so they sort lexically and need no conversion on the way out.

export const accounts = sqliteTable('accounts', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  dateCreated: text('date_created').notNull(),
  dateModified: text('date_modified'),
})

export const features = sqliteTable('features', {
  id: integer('id').primaryKey(),
  name: text('name').notNull().unique(),
  executionCredits: integer('execution_credits').notNull().default(0),
  dateCreated: text('date_created').notNull(),
  dateModified: text('date_modified'),
})

export const accountFeatures = sqliteTable(
  'account_features',
  {
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id),
    featureId: integer('feature_id')
      .notNull()
      .references(() => features.id),
    dateCreated: text('date_created').notNull(),
  },
  (table) => [primaryKey({ columns: [table.accountId, table.featureId] })],
)

// One row per account; its id is the account id, so a new account and its count can be
// written in one batch without reading the generated id back.
export const executionCounts = sqliteTable(
  'execution_counts',
  {
    id: integer('id').primaryKey(),
    accountId: integer('account_id')
      .notNull()
      .unique()
      .references(() => accounts.id),
    executionCount: integer('execution_count').notNull(),
    nextResetDate: text('next_reset_date').notNull(),
    dateCreated: text('date_created').notNull(),
    dateModified: text('date_modified'),
    /** Bumped by every save of the account's object; a save from a stale read is refused. */
    version: integer('version').notNull().default(0),
  },
  // The cron sweep asks for rows whose reset date has passed; this index makes that
  // O(due accounts) instead of a scan of every account.
  (table) => [index('execution_counts_next_reset_date_idx').on(table.nextResetDate)],
)

export const historyTypes = [
  'created',
  'increased',
  'consumed',
  'feature_granted',
  'reset',
] as const
export type HistoryType = (typeof historyTypes)[number]

export const executionHistory = sqliteTable(
  'execution_history',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id),
    type: text('type', { enum: historyTypes }).notNull(),
    delta: integer('delta').notNull(),
    executionCount: integer('execution_count').notNull(),
    idempotencyKey: text('idempotency_key'),
    dateCreated: text('date_created').notNull(),
  },
  (table) => [
    // The durable record of idempotency keys: a retry after a restart is still recognised,
    // and a duplicate can never be written twice. NULL keys do not collide in SQLite.
    uniqueIndex('execution_history_account_key_idx').on(table.accountId, table.idempotencyKey),
    // History pages walk one account's entries newest first.
    index('execution_history_account_id_idx').on(table.accountId, table.id),
  ],
)
