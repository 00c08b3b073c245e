import { sql } from 'drizzle-orm'
import { addMonthsClamped, formatDate } from '../time'
import type { Database } from './client'
import { accounts, executionCounts, executionHistory } from './schema'
import type { AccountView } from './queries'

/**
 * Creates an account with its execution count and the `created` history entry in one D1
 * batch (one transaction). The count and history rows take the new account's id from
 * last_insert_rowid(): the count row's id is the account id, so it stays the last rowid.
 */
export async function createAccount(
  db: Database,
  name: string,
  nowMs: number,
  baseAllowance: number,
): Promise<AccountView> {
  const now = formatDate(nowMs)
  const nextResetDate = formatDate(addMonthsClamped(Date.parse(now), 1))
  const newId = sql`last_insert_rowid()`
  const [inserted] = await db.batch([
    db.insert(accounts).values({ name, dateCreated: now }).returning({ id: accounts.id }),
    db.insert(executionCounts).values({
      id: newId,
      accountId: newId,
      executionCount: baseAllowance,
      nextResetDate,
      dateCreated: now,
    }),
    db.insert(executionHistory).values({
      accountId: newId,
      type: 'created',
      delta: baseAllowance,
      executionCount: baseAllowance,
      dateCreated: now,
    }),
  ])
  const id = inserted[0]?.id
  if (id === undefined) throw new Error('account insert returned no id')
  return { id, name, features: [], dateCreated: now, dateModified: null }
}
