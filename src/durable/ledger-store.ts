import { and, eq, inArray } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
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
const HISTORY_ROWS_PER_INSERT = 15

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = []
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
  return chunks
}

export interface LoadedLedger {
  state: LedgerState
  catalog: Map<number, number>
  recordedKeys: Map<string, RecordedKey>
}

/** Everything one batch needs, read in a single D1 round trip. */
export async function loadLedger(
  db: Database,
  accountId: number,
  keys: readonly string[],
): Promise<LoadedLedger | undefined> {
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
  const [accountRows, countRows, linkRows, catalogRows, ...keyRows] = await db.batch([
    db.select({ name: accounts.name }).from(accounts).where(eq(accounts.id, accountId)),
    db.select().from(executionCounts).where(eq(executionCounts.accountId, accountId)),
    db
      .select({ featureId: accountFeatures.featureId })
      .from(accountFeatures)
      .where(eq(accountFeatures.accountId, accountId)),
    db.select({ id: features.id, credits: features.executionCredits }).from(features),
    ...keyQueries,
  ])
  const account = accountRows[0]
  const count = countRows[0]
  if (!account || !count) return undefined

  const recordedKeys = new Map<string, RecordedKey>()
  for (const row of keyRows.flat()) {
    if (row.key !== null) recordedKeys.set(row.key, row)
  }
  return {
    state: {
      accountId,
      name: account.name,
      executionCount: count.executionCount,
      anchor: count.dateCreated,
      nextResetDate: count.nextResetDate,
      featureIds: new Set(linkRows.map((row) => row.featureId)),
    },
    catalog: new Map(catalogRows.map((row) => [row.id, row.credits])),
    recordedKeys,
  }
}

/** Writes a batch's changes in one D1 batch, which D1 runs as a single transaction. */
export async function saveLedger(
  db: Database,
  accountId: number,
  changes: LedgerChanges,
  now: string,
): Promise<void> {
  const statements: BatchItem<'sqlite'>[] = []
  if (changes.countChanged) {
    statements.push(
      db
        .update(executionCounts)
        .set({
          executionCount: changes.executionCount,
          nextResetDate: changes.nextResetDate,
          dateModified: now,
        })
        .where(eq(executionCounts.accountId, accountId)),
    )
  }
  for (const rows of chunk(changes.history, HISTORY_ROWS_PER_INSERT)) {
    statements.push(
      db
        .insert(executionHistory)
        .values(rows.map((entry) => ({ ...entry, accountId, dateCreated: now }))),
    )
  }
  if (changes.featuresAdded.length > 0) {
    statements.push(
      db
        .insert(accountFeatures)
        .values(
          changes.featuresAdded.map((featureId) => ({ accountId, featureId, dateCreated: now })),
        )
        .onConflictDoNothing(),
    )
  }
  if (changes.featuresRemoved.length > 0) {
    statements.push(
      db
        .delete(accountFeatures)
        .where(
          and(
            eq(accountFeatures.accountId, accountId),
            inArray(accountFeatures.featureId, changes.featuresRemoved),
          ),
        ),
    )
  }
  if (changes.accountModified) {
    statements.push(
      db
        .update(accounts)
        .set({ name: changes.name, dateModified: now })
        .where(eq(accounts.id, accountId)),
    )
  }
  const [first, ...rest] = statements
  if (first) await db.batch([first, ...rest])
}
