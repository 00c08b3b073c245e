import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  accountFeatures,
  accounts,
  executionCounts,
  executionHistory,
  features,
} from '../db/schema'
import type { LedgerChanges, LedgerState, RecordedKey } from './ledger'

// D1 has a limit of 100 bound parameters per statement; lists are chunked below it.
const KEYS_PER_QUERY = 90

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = []
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
  return chunks
}

export interface LoadedLedger {
  state: LedgerState
  /** The version the state was read at; the save is refused if D1 has moved on. */
  version: number
  catalog: Map<number, number>
  recordedKeys: Map<string, RecordedKey>
}

// The feature catalog is reference data that only a migration changes, and a migration comes
// with a deploy, which restarts every isolate: reading it once per isolate is enough.
let catalogCache: Map<number, number> | undefined

/** Everything one batch needs, read in a single D1 round trip, usually of one statement. */
export async function loadLedger(
  db: Database,
  accountId: number,
  keys: readonly string[],
): Promise<LoadedLedger | undefined> {
  const stateQuery = db
    .select({
      name: accounts.name,
      executionCount: executionCounts.executionCount,
      nextResetDate: executionCounts.nextResetDate,
      anchor: executionCounts.dateCreated,
      version: executionCounts.version,
      featureIds: sql<string | null>`(select group_concat(af.feature_id)
        from account_features af where af.account_id = accounts.id)`,
    })
    .from(accounts)
    .innerJoin(executionCounts, eq(executionCounts.accountId, accounts.id))
    .where(eq(accounts.id, accountId))
  const catalogQuery = db
    .select({ id: features.id, credits: features.executionCredits })
    .from(features)
  const keyQueries = chunk(keys, KEYS_PER_QUERY).map((part) =>
    db
      .select({
        key: executionHistory.idempotencyKey,
        type: executionHistory.type,
        delta: executionHistory.delta,
        executionCount: executionHistory.executionCount,
      })
      .from(executionHistory)
      .where(
        and(
          eq(executionHistory.accountId, accountId),
          inArray(executionHistory.idempotencyKey, part),
        ),
      ),
  )

  let stateRows: Awaited<typeof stateQuery>
  let keyRows: Awaited<(typeof keyQueries)[number]>[] = []
  if (!catalogCache || keyQueries.length > 0) {
    const [state, catalog, ...keyed] = await db.batch([stateQuery, catalogQuery, ...keyQueries])
    catalogCache = new Map(catalog.map((row) => [row.id, row.credits]))
    stateRows = state
    keyRows = keyed
  } else {
    stateRows = await stateQuery
  }
  const row = stateRows[0]
  if (!row) return undefined

  const recordedKeys = new Map<string, RecordedKey>()
  for (const entry of keyRows.flat()) {
    if (entry.key !== null) recordedKeys.set(entry.key, entry)
  }
  return {
    version: row.version,
    state: {
      accountId,
      name: row.name,
      executionCount: row.executionCount,
      anchor: row.anchor,
      nextResetDate: row.nextResetDate,
      featureIds: new Set((row.featureIds ?? '').split(',').filter(Boolean).map(Number)),
    },
    catalog: catalogCache,
    recordedKeys,
  }
}

/**
 * Writes a batch's changes in one D1 batch, which D1 runs as a single transaction. The first
 * statement bumps the account's version, and fails (json() of a non-JSON string raises an
 * error) when the version is no longer the one the batch was computed from, so a write from an
 * outdated instance of the object rolls back whole instead of overwriting a newer balance.
 * Returns whether there was anything to write.
 */
export async function saveLedger(
  db: Database,
  accountId: number,
  changes: LedgerChanges,
  now: string,
  version: number,
): Promise<boolean> {
  const countChanged = changes.history.length > 0
  const changesSomething =
    countChanged ||
    changes.accountModified ||
    changes.featuresAdded.length > 0 ||
    changes.featuresRemoved.length > 0
  if (!changesSomething) return false

  // Sent as plain D1 statements: drizzle's batch takes only its own query builders, and the
  // history insert below is not one.
  const d1 = db.$client
  const prepared = (query: { toSQL(): { sql: string; params: unknown[] } }) => {
    const { sql: text, params } = query.toSQL()
    return d1.prepare(text).bind(...params)
  }
  const statements: D1PreparedStatement[] = [
    prepared(
      db
        .update(executionCounts)
        .set({
          version: sql`${executionCounts.version} + 1`,
          ...(countChanged
            ? {
                executionCount: changes.executionCount,
                nextResetDate: changes.nextResetDate,
                dateModified: now,
              }
            : {}),
        })
        .where(
          and(
            eq(executionCounts.accountId, accountId),
            sql`json(case when ${executionCounts.version} = ${version}
            then '1' else 'stale ledger' end)`,
          ),
        ),
    ),
  ]
  if (changes.history.length > 0) {
    // All of a batch's entries in one statement with one bound parameter (D1 allows 100 per
    // statement); json_each yields them in array order, so ids follow the order of changes.
    statements.push(
      d1
        .prepare(
          `insert into execution_history
            (account_id, type, delta, execution_count, idempotency_key, date_created)
          select ?, json_extract(value, '$.type'), json_extract(value, '$.delta'),
            json_extract(value, '$.executionCount'), json_extract(value, '$.idempotencyKey'), ?
          from json_each(?) order by key`,
        )
        .bind(accountId, now, JSON.stringify(changes.history)),
    )
  }
  if (changes.featuresAdded.length > 0) {
    statements.push(
      prepared(
        db
          .insert(accountFeatures)
          .values(
            changes.featuresAdded.map((featureId) => ({ accountId, featureId, dateCreated: now })),
          )
          .onConflictDoNothing(),
      ),
    )
  }
  if (changes.featuresRemoved.length > 0) {
    statements.push(
      prepared(
        db
          .delete(accountFeatures)
          .where(
            and(
              eq(accountFeatures.accountId, accountId),
              inArray(accountFeatures.featureId, changes.featuresRemoved),
            ),
          ),
      ),
    )
  }
  if (changes.accountModified) {
    statements.push(
      prepared(
        db
          .update(accounts)
          .set({ name: changes.name, dateModified: now })
          .where(eq(accounts.id, accountId)),
      ),
    )
  }
  await d1.batch(statements)
  return true
}
