import { asc, count, lte } from 'drizzle-orm'
import { type Database, database } from './db/client'
import { executionCounts } from './db/schema'
import { describeError, logEvent } from './log'
import { accountObject } from './outcome'
import { formatDate } from './time'

// One run stays far below the per-invocation limits (50 subrequests and 50 D1 queries on the
// Workers Free plan): two D1 queries plus one object call per account swept.
export const SWEEP_BATCH_SIZE = 40
const SWEEP_CONCURRENCY = 10

export interface SweepSummary {
  due: number
  reset: number
  failed: number
  left: number
}

/**
 * Resets accounts whose period has ended, oldest first, through their objects; the objects
 * decide from their own clock and D1, so a repeated or overlapping run resets nothing twice.
 * A backlog larger than one batch drains over the following runs.
 */
export async function runResetSweep(
  env: Cloudflare.Env,
  scheduledTime: number,
): Promise<SweepSummary> {
  try {
    return await sweep(env, scheduledTime)
  } catch (error) {
    // The run itself failed (D1 unreachable): still one line for the run, then fail it.
    logEvent('error', {
      event: 'reset_sweep',
      scheduledAt: formatDate(scheduledTime),
      ...describeError(error),
    })
    throw error
  }
}

/** The oldest accounts whose period ended by `now`, one batch of them. */
export function dueAccountsQuery(db: Database, now: string) {
  return db
    .select({ accountId: executionCounts.accountId })
    .from(executionCounts)
    .where(lte(executionCounts.nextResetDate, now))
    .orderBy(asc(executionCounts.nextResetDate))
    .limit(SWEEP_BATCH_SIZE)
}

async function sweep(env: Cloudflare.Env, scheduledTime: number): Promise<SweepSummary> {
  const db = database(env.DB)
  const now = formatDate(scheduledTime)
  const due = await dueAccountsQuery(db, now)

  let reset = 0
  let failed = 0
  const queue = due.map((row) => row.accountId)
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        const outcome = await accountObject(env, id).sync(id)
        if (!outcome.ok) throw new Error(`sync refused: ${outcome.reason}`)
        if (outcome.changed) reset += 1
      } catch (error) {
        failed += 1
        logEvent('error', { event: 'reset_failed', accountId: id, ...describeError(error) })
      }
    }
  }
  await Promise.all(Array.from({ length: SWEEP_CONCURRENCY }, worker))

  const [remaining] = await db
    .select({ left: count() })
    .from(executionCounts)
    .where(lte(executionCounts.nextResetDate, now))
  const summary = { due: due.length, reset, failed, left: remaining?.left ?? 0 }
  logEvent(failed > 0 ? 'warn' : 'info', { event: 'reset_sweep', scheduledAt: now, ...summary })
  return summary
}
