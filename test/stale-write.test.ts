import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { database } from '../src/db/client'
import { applyCommands } from '../src/durable/ledger'
import { type LoadedLedger, loadLedger, saveLedger } from '../src/durable/ledger-store'
import { formatDate } from '../src/time'
import { call, createTestAccount, executionCountOf, historyOf } from './helpers'

// Guards the case of an object instance that is being replaced: its D1 write may land after
// its successor has read D1. The save must then fail whole rather than overwrite the balance.

async function load(accountId: number): Promise<LoadedLedger> {
  const loaded = await loadLedger(database(env.DB), accountId, [])
  if (!loaded) throw new Error(`account ${accountId} not found`)
  return loaded
}

function increaseBy(loaded: LoadedLedger, count: number) {
  return applyCommands(loaded.state, [{ kind: 'increase', count }], {
    nowMs: Date.now(),
    baseAllowance: 1000,
    catalog: loaded.catalog,
    recordedKeys: loaded.recordedKeys,
  }).changes
}

describe('saving a ledger batch', () => {
  it('refuses a save computed from a read that another save has overtaken', async () => {
    const account = await createTestAccount()
    const outdated = await load(account.id)
    await call('PUT', `/accounts/${account.id}/execution-count`, { body: { count: 7 } })

    const save = saveLedger(
      database(env.DB),
      account.id,
      increaseBy(outdated, 100),
      formatDate(Date.now()),
      outdated.version,
    )

    await expect(save).rejects.toThrow()
    expect((await executionCountOf(account.id)).executionCount).toBe(1007)
    expect((await historyOf(account.id)).map((entry) => entry.delta)).toEqual([7, 1000])
  })

  it('accepts a save computed from the current read and moves the version on', async () => {
    const account = await createTestAccount()
    const current = await load(account.id)

    await saveLedger(
      database(env.DB),
      account.id,
      increaseBy(current, 100),
      formatDate(Date.now()),
      current.version,
    )

    expect((await executionCountOf(account.id)).executionCount).toBe(1100)
    expect((await load(account.id)).version).toBe(current.version + 1)
  })
})
