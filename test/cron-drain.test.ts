import { env } from 'cloudflare:workers'
import { expect, it } from 'vitest'
import { runResetSweep, SWEEP_BATCH_SIZE } from '../src/cron'

// In a file of its own: it counts every due account in D1, so no other test may add one.
// Each reset wakes one object, and the test runtime makes every new object a little slower
// to create than the last, so this drains 200 accounts; `npm run test:scale` drains 1,000
// among 1,000 on `wrangler dev`.
const DUE = 200

const PAST = '2024-01-01T00:00:00Z'
const ENDED = '2024-02-01T00:00:00Z'
const FUTURE = '2099-01-01T00:00:00Z'

/** Inserts `count` accounts straight into D1, with the period ending at `resetDate`. */
async function seedAccounts(count: number, name: string, resetDate: string, balance: number) {
  const insertAccounts = env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO accounts (name, date_created) SELECT ? || i, ? FROM n`,
  ).bind(count, name, PAST)
  const insertCounts = env.DB.prepare(
    `INSERT INTO execution_counts (id, account_id, execution_count, next_reset_date, date_created)
     SELECT id, id, ?, ?, ? FROM accounts WHERE name LIKE ? || '%'`,
  ).bind(balance, resetDate, PAST, name)
  await env.DB.batch([insertAccounts, insertCounts])
}

async function countsOf(prefix: string) {
  const { results } = await env.DB.prepare(
    `SELECT ec.execution_count AS balance, ec.next_reset_date AS nextReset,
       (SELECT count(*) FROM execution_history h WHERE h.account_id = ec.account_id) AS entries
     FROM execution_counts ec JOIN accounts a ON a.id = ec.account_id WHERE a.name LIKE ? || '%'`,
  )
    .bind(prefix)
    .all<{ balance: number; nextReset: string; entries: number }>()
  return results
}

it(`drains ${DUE} due accounts over the expected runs, ${DUE} others untouched`, async () => {
  await seedAccounts(DUE, 'due-', ENDED, 42)
  await seedAccounts(DUE, 'idle-', FUTURE, 42)
  const runs = Math.ceil(DUE / SWEEP_BATCH_SIZE)

  for (let run = 1; run <= runs; run += 1) {
    const summary = await runResetSweep(env, Date.now())
    expect(summary).toEqual({
      due: SWEEP_BATCH_SIZE,
      reset: SWEEP_BATCH_SIZE,
      failed: 0,
      left: DUE - run * SWEEP_BATCH_SIZE,
    })
  }

  expect(await runResetSweep(env, Date.now())).toEqual({ due: 0, reset: 0, failed: 0, left: 0 })
  const due = await countsOf('due-')
  expect(due.every((row) => row.balance === 1000 && row.entries === 1)).toBe(true)
  expect(due.every((row) => Date.parse(row.nextReset) > Date.now())).toBe(true)
  const idle = await countsOf('idle-')
  expect(idle).toHaveLength(DUE)
  expect(idle.every((row) => row.balance === 42 && row.entries === 0)).toBe(true)
}, 60_000)
