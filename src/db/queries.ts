import { and, asc, desc, eq, gt, inArray, lt, sql } from 'drizzle-orm'
import type { Database } from './client'
import { accountFeatures, accounts, executionCounts, executionHistory, features } from './schema'

// Read queries behind the API. Each route's read is one D1 round trip: several selects go out
// together in one `batch`.

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

type AccountRow = typeof accounts.$inferSelect
type FeatureLink = AccountView['features'][number]

const featureLinks = (db: Database) =>
  db
    .select({
      accountId: accountFeatures.accountId,
      featureId: accountFeatures.featureId,
      feature: features.name,
    })
    .from(accountFeatures)
    .innerJoin(features, eq(features.id, accountFeatures.featureId))

function toAccountView(row: AccountRow, links: FeatureLink[]): AccountView {
  return {
    id: row.id,
    name: row.name,
    features: links.filter((link) => link.accountId === row.id),
    dateCreated: row.dateCreated,
    dateModified: row.dateModified,
  }
}

export async function findAccount(db: Database, id: number): Promise<AccountView | undefined> {
  const [rows, links] = await db.batch([
    db.select().from(accounts).where(eq(accounts.id, id)),
    featureLinks(db)
      .where(eq(accountFeatures.accountId, id))
      .orderBy(asc(accountFeatures.featureId)),
  ])
  const row = rows[0]
  return row && toAccountView(row, links)
}

export async function listAccounts(
  db: Database,
  afterId: number,
  limit: number,
): Promise<{ accounts: AccountView[]; hasMore: boolean }> {
  const page = db
    .select({ id: accounts.id })
    .from(accounts)
    .where(gt(accounts.id, afterId))
    .orderBy(asc(accounts.id))
    .limit(limit + 1)
  const [rows, links] = await db.batch([
    db
      .select()
      .from(accounts)
      .where(gt(accounts.id, afterId))
      .orderBy(asc(accounts.id))
      .limit(limit + 1),
    featureLinks(db)
      .where(inArray(accountFeatures.accountId, page))
      .orderBy(asc(accountFeatures.accountId), asc(accountFeatures.featureId)),
  ])
  return {
    accounts: rows.slice(0, limit).map((row) => toAccountView(row, links)),
    hasMore: rows.length > limit,
  }
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
    monthlyAllowance: baseAllowance + row.featureCredits,
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
  const [account, entries] = await db.batch([
    db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId)),
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
  if (account.length === 0) return undefined
  return { entries: entries.slice(0, limit), hasMore: entries.length > limit }
}
