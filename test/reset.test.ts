import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { formatDate, nextResetAfter } from '../src/time'
import { call, createTestAccount, executionCountOf } from './helpers'

/** Moves an account's period so that it began at `anchor` and ended at `resetDate`. */
async function backdate(accountId: number, anchor: string, resetDate: string) {
  await env.DB.prepare(
    'UPDATE execution_counts SET date_created = ?, next_reset_date = ? WHERE account_id = ?',
  )
    .bind(anchor, resetDate, accountId)
    .run()
}

async function historyTypes(accountId: number) {
  const { results } = await env.DB.prepare(
    'SELECT type, delta, execution_count FROM execution_history WHERE account_id = ? ORDER BY id',
  )
    .bind(accountId)
    .all<{ type: string; delta: number; execution_count: number }>()
  return results
}

describe('lazy monthly reset', () => {
  it('a read after the period ended shows the new period, not the old balance', async () => {
    const account = await createTestAccount()
    await call('PUT', `/accounts/${account.id}/execution-count`, { body: { count: 5000 } })
    await backdate(account.id, '2024-01-31T10:00:00Z', '2024-02-29T10:00:00Z')

    const count = await executionCountOf(account.id)

    expect(count.executionCount).toBe(1000)
    expect(count.nextResetDate).toBe(
      formatDate(nextResetAfter(Date.parse('2024-01-31T10:00:00Z'), Date.now())),
    )
    expect(Date.parse(count.nextResetDate)).toBeGreaterThan(Date.now())
  })

  it('an account idle for many months is reset once, with one reset entry', async () => {
    const account = await createTestAccount()
    await backdate(account.id, '2023-03-15T08:00:00Z', '2023-04-15T08:00:00Z')

    await executionCountOf(account.id)
    await executionCountOf(account.id)

    const resets = (await historyTypes(account.id)).filter((entry) => entry.type === 'reset')
    expect(resets).toHaveLength(1)
  })

  it('a change applies the due reset first, then itself', async () => {
    const account = await createTestAccount()
    await call('PUT', `/accounts/${account.id}/execution-count`, { body: { count: 777 } })
    await backdate(account.id, '2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z')

    const response = await call('PUT', `/accounts/${account.id}/execution-count`, {
      body: { count: 10 },
    })

    expect(response.json).toEqual({ success: true, data: { newExecutionCount: 1010 } })
    expect((await historyTypes(account.id)).map((entry) => entry.type)).toEqual([
      'created',
      'increased',
      'reset',
      'increased',
    ])
  })

  it('a consume after the period ended draws on the new allowance', async () => {
    const account = await createTestAccount()
    await call('POST', `/accounts/${account.id}/execution-count/consume`, { body: { count: 1000 } })
    await backdate(account.id, '2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z')

    const response = await call('POST', `/accounts/${account.id}/execution-count/consume`, {
      body: { count: 400 },
    })

    expect(response.json).toEqual({ success: true, data: { executionCount: 600, consumed: 400 } })
  })

  it('the reset sets the balance to the allowance, features included, no rollover', async () => {
    const account = await createTestAccount()
    await call('PUT', `/accounts/${account.id}/feature`, { body: { featureId: 1 } })
    await call('PUT', `/accounts/${account.id}/execution-count`, { body: { count: 123 } })
    await backdate(account.id, '2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z')

    const count = await executionCountOf(account.id)

    expect(count.executionCount).toBe(101000)
    expect(count.monthlyAllowance).toBe(101000)
    const last = (await historyTypes(account.id)).at(-1)
    expect(last).toEqual({ type: 'reset', delta: 101000 - 101123, execution_count: 101000 })
  })

  it('a removed feature no longer counts in the next period', async () => {
    const account = await createTestAccount()
    await call('PUT', `/accounts/${account.id}/feature`, { body: { featureId: 1 } })
    await call('DELETE', `/accounts/${account.id}/feature`, { body: { featureId: 1 } })
    expect((await executionCountOf(account.id)).executionCount).toBe(101000)
    await backdate(account.id, '2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z')

    expect((await executionCountOf(account.id)).executionCount).toBe(1000)
  })

  it('reading the history of an ended period closes it first', async () => {
    const account = await createTestAccount()
    await call('PUT', `/accounts/${account.id}/execution-count`, { body: { count: 5 } })
    await backdate(account.id, '2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z')

    const response = await call('GET', `/accounts/${account.id}/execution-count/history`)

    const { entries } = (
      response.json as { data: { entries: { type: string; executionCount: number }[] } }
    ).data
    expect(entries[0]).toMatchObject({ type: 'reset', executionCount: 1000 })
  })

  it('a period that has not ended is left alone', async () => {
    const account = await createTestAccount()
    await call('PUT', `/accounts/${account.id}/execution-count`, { body: { count: 5 } })

    expect((await executionCountOf(account.id)).executionCount).toBe(1005)
    expect((await historyTypes(account.id)).map((entry) => entry.type)).toEqual([
      'created',
      'increased',
    ])
  })
})
