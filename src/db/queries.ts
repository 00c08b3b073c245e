import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm'
import { MAX_SAFE_COUNT } from '../schema'
import type { Database } from './client'
import { accounts, executionCounts, executionHistory, features } from './schema'

// Read queries behind the API. Each route's read is one D1 round trip, and where it can be, one
// statement: locally every statement of a batch costs about as much as a query of its own.

export interface AccountView {
  id: number
  name: string
  features: { accountId: number; featureId: number; feature: string }[]
  dateCreated: string
  dateModified: string | null
}

export interface ExecutionCountView {
  id: number
  accountId: number
  executionCount: number
  monthlyAllowance: number
  dateCreated: string
  dateModified: string | null
  nextResetDate: string
}

type FeatureLink = AccountView['features'][number]

// An account's features as one JSON array column, so an account and its features come back
// in a single statement (one D1 round trip, no batch).
const featureLinksJson = sql<string>`(
  select json_group_array(json_object('accountId', af.account_id, 'featureId', af.feature_id,
    'feature', f.name))
  from account_features af join features f on f.id = af.feature_id
  where af.account_id = accounts.id)`

const accountColumns = {
  id: accounts.id,
  name: accounts.name,
  features: featureLinksJson,
  dateCreated: accounts.dateCreated,
  dateModified: accounts.dateModified,
}

interface AccountRow {
  id: number
  name: string
  features: string
  dateCreated: string
  dateModified: string | null
}

function toAccountView(row: AccountRow): AccountView {
  const links = JSON.parse(row.features) as FeatureLink[]
  return {
    id: row.id,
    name: row.name,
    features: links.sort((a, b) => a.featureId - b.featureId),
    dateCreated: row.dateCreated,
    dateModified: row.dateModified,
  }
}

export async function findAccount(db: Database, id: number): Promise<AccountView | undefined> {
  const [row] = await db.select(accountColumns).from(accounts).where(eq(accounts.id, id))
  return row && toAccountView(row)
}

export async function listAccounts(
  db: Database,
  afterId: number,
  limit: number,
): Promise<{ accounts: AccountView[]; hasMore: boolean }> {
  const rows = await db
    .select(accountColumns)
    .from(accounts)
    .where(gt(accounts.id, afterId))
    .orderBy(asc(accounts.id))
    .limit(limit + 1)
  return { accounts: rows.slice(0, limit).map(toAccountView), hasMore: rows.length > limit }
}

export function listFeatures(db: Database) {
  return db.select().from(features).orderBy(asc(features.id))
}

/**
 * Credits the attached features add to every period's allowance. Written out with table
 * aliases: drizzle leaves columns unqualified in single-table selects, and an unqualified
 * `account_id` inside the subquery would bind to the subquery's own table.
 */
const featureCredits = sql<number>`(
  select coalesce(sum(f.execution_credits), 0)
  from account_features af join features f on f.id = af.feature_id
  where af.account_id = execution_counts.account_id)`.mapWith(Number)

export async function findExecutionCount(
  db: Database,
  accountId: number,
  baseAllowance: number,
): Promise<ExecutionCountView | undefined> {
  const [row] = await db
    .select({
      id: executionCounts.id,
      accountId: executionCounts.accountId,
      executionCount: executionCounts.executionCount,
      featureCredits,
      dateCreated: executionCounts.dateCreated,
      dateModified: executionCounts.dateModified,
      nextResetDate: executionCounts.nextResetDate,
    })
    .from(executionCounts)
    .where(eq(executionCounts.accountId, accountId))
  if (!row) return undefined
  return {
    id: row.id,
    accountId: row.accountId,
    executionCount: row.executionCount,
    monthlyAllowance: Math.min(baseAllowance + row.featureCredits, MAX_SAFE_COUNT),
    dateCreated: row.dateCreated,
    dateModified: row.dateModified,
    nextResetDate: row.nextResetDate,
  }
}

export async function listHistory(
  db: Database,
  accountId: number,
  beforeId: number | undefined,
  limit: number,
) {
  const [count, entries] = await db.batch([
    db
      .select({ nextResetDate: executionCounts.nextResetDate })
      .from(executionCounts)
      .where(eq(executionCounts.accountId, accountId)),
    db
      .select({
        id: executionHistory.id,
        type: executionHistory.type,
        delta: executionHistory.delta,
        executionCount: executionHistory.executionCount,
        idempotencyKey: executionHistory.idempotencyKey,
        dateCreated: executionHistory.dateCreated,
      })
      .from(executionHistory)
      .where(
        and(
          eq(executionHistory.accountId, accountId),
          beforeId === undefined ? undefined : lt(executionHistory.id, beforeId),
        ),
      )
      .orderBy(desc(executionHistory.id))
      .limit(limit + 1),
  ])
  const period = count[0]
  if (!period) return undefined
  return {
    nextResetDate: period.nextResetDate,
    entries: entries.slice(0, limit),
    hasMore: entries.length > limit,
  }
}
