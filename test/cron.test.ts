import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { dueAccountsQuery, runResetSweep } from '../src/cron'
import { database } from '../src/db/client'
import worker from '../src/index'
import { formatDate } from '../src/time'
import { call, createTestAccount, executionCountOf } from './helpers'

const PAST = '2024-01-01T00:00:00Z'
const ENDED = '2024-02-01T00:00:00Z'

/** Fires the Worker's scheduled handler as the Cron Trigger would, and waits for it. */
async function fireCron(scheduledTime = Date.now()) {
  const controller = createScheduledController({ scheduledTime, cron: '*/5 * * * *' })
  const ctx = createExecutionContext()
  await worker.scheduled(controller, env, ctx)
  await waitOnExecutionContext(ctx)
}

async function backdate(accountId: number) {
  await env.DB.prepare(
    'UPDATE execution_counts SET date_created = ?, next_reset_date = ? WHERE account_id = ?',
  )
    .bind(PAST, ENDED, accountId)
    .run()
}

describe('reset sweep', () => {
  it('the scheduled handler resets a due account through its object', async () => {
    const account = await createTestAccount()
    await call('PUT', `/accounts/${account.id}/execution-count`, { body: { count: 9 } })
    await backdate(account.id)

    await fireCron()

    const { results } = await env.DB.prepare(
      'SELECT execution_count FROM execution_counts WHERE account_id = ?',
    )
      .bind(account.id)
      .all<{ execution_count: number }>()
    expect(results).toEqual([{ execution_count: 1000 }])
  })

  it('a run repeated for the same time resets nothing twice', async () => {
    const account = await createTestAccount()
    await backdate(account.id)
    const scheduledTime = Date.now()

    await fireCron(scheduledTime)
    await fireCron(scheduledTime)
    const again = await runResetSweep(env, scheduledTime)

    expect(again.reset).toBe(0)
    const { results } = await env.DB.prepare(
      "SELECT count(*) AS resets FROM execution_history WHERE account_id = ? AND type = 'reset'",
    )
      .bind(account.id)
      .all<{ resets: number }>()
    expect(results).toEqual([{ resets: 1 }])
  })

  it('a reset racing increases on the same account keeps every invariant', async () => {
    const account = await createTestAccount()
    await backdate(account.id)
    const increases = Array.from({ length: 50 }, (_, i) => i + 1)

    const [responses] = await Promise.all([
      Promise.all(
        increases.map((count) =>
          call('PUT', `/accounts/${account.id}/execution-count`, { body: { count } }),
        ),
      ),
      runResetSweep(env, Date.now()),
      runResetSweep(env, Date.now()),
    ])

    expect(responses.every((response) => response.status === 200)).toBe(true)
    const { results: entries } = await env.DB.prepare(
      'SELECT type, delta, execution_count FROM execution_history WHERE account_id = ? ORDER BY id',
    )
      .bind(account.id)
      .all<{ type: string; delta: number; execution_count: number }>()
    expect(entries.filter((entry) => entry.type === 'reset')).toHaveLength(1)
    // The reset comes before every increase: none of them was wiped out by it.
    expect(entries.findIndex((entry) => entry.type === 'reset')).toBe(1)
    const count = await executionCountOf(account.id)
    expect(count.executionCount).toBe(1000 + increases.reduce((sum, n) => sum + n, 0))
    expect(entries.at(-1)?.execution_count).toBe(count.executionCount)
    expect(entries.reduce((sum, entry) => sum + entry.delta, 0)).toBe(count.executionCount)
  })

  it('a failure on one account does not stop the others', async () => {
    const healthy = await createTestAccount()
    const broken = await createTestAccount()
    await backdate(healthy.id)
    await backdate(broken.id)
    await env.DB.prepare(
      `CREATE TRIGGER fail_reset BEFORE INSERT ON execution_history
       WHEN NEW.account_id = ${broken.id} BEGIN SELECT RAISE(ABORT, 'injected'); END`,
    ).run()

    const summary = await runResetSweep(env, Date.now())
    await env.DB.exec('DROP TRIGGER fail_reset')

    expect(summary).toMatchObject({ failed: 1, left: 1 })
    expect(summary.reset).toBe(summary.due - 1)
    const { results } = await env.DB.prepare(
      `SELECT account_id AS id, execution_count AS balance FROM execution_counts
       WHERE account_id IN (?, ?) ORDER BY id`,
    )
      .bind(healthy.id, broken.id)
      .all()
    expect(results).toEqual([
      { id: healthy.id, balance: 1000 },
      { id: broken.id, balance: 1000 },
    ])
    // The next run picks up what failed.
    expect(await runResetSweep(env, Date.now())).toMatchObject({ reset: 1, failed: 0, left: 0 })
  })

  it('finds due accounts through the reset date index, not a table scan', async () => {
    const query = dueAccountsQuery(database(env.DB), formatDate(Date.now())).toSQL()
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
      .bind(...query.params)
      .all<{ detail: string }>()
    const plan = results.map((row) => row.detail).join('\n')
    expect(plan).toContain('execution_counts_next_reset_date_idx')
    expect(plan).not.toMatch(/SCAN execution_counts(?! USING)/)
  })
})
