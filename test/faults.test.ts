import { abortAllDurableObjects } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  createTestAccount,
  executionCountOf,
  expectError,
  expectHistoryMatchesCount,
  increaseCount,
  keyCounts,
} from './helpers'

// DESIGN.md invariant 6: a failed D1 write leaves no partial change and its callers get an
// error they can retry safely. Failures are injected with SQL only, through a trigger that
// aborts the history insert of one recognisable delta.

const BASE = 1000
const FAILING_DELTA = 777

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0)

async function withFailingDelta<T>(run: () => Promise<T>): Promise<T> {
  await env.DB.prepare(
    `CREATE TRIGGER fail_${FAILING_DELTA} BEFORE INSERT ON execution_history
     WHEN NEW.delta = ${FAILING_DELTA} BEGIN SELECT RAISE(ABORT, 'injected'); END`,
  ).run()
  try {
    return await run()
  } finally {
    await env.DB.prepare(`DROP TRIGGER IF EXISTS fail_${FAILING_DELTA}`).run()
  }
}

interface Job {
  key: string
  count: number
}

describe('a D1 failure inside a batch', () => {
  it('leaves no partial change, answers 503 to its callers, retries apply once', async () => {
    const account = await createTestAccount()
    const jobs: Job[] = Array.from({ length: 30 }, (_, i) => ({
      key: `fault-${i}`,
      count: i === 12 ? FAILING_DELTA : i + 1,
    }))

    const replies = await withFailingDelta(() =>
      Promise.all(jobs.map(({ key, count }) => increaseCount(account.id, count, key))),
    )

    const failed = jobs.filter((_, i) => replies[i]?.status !== 200)
    const succeeded = jobs.filter((_, i) => replies[i]?.status === 200)
    expect(failed.map(({ count }) => count)).toContain(FAILING_DELTA)
    // The failing command was coalesced with others, and they all share its fate.
    expect(failed.length).toBeGreaterThan(1)
    for (const reply of replies) {
      if (reply.status === 200) continue
      await expectError(reply, 503, 'UNAVAILABLE')
      expect(reply.headers.get('Retry-After')).toMatch(/^\d+$/)
    }
    // Nothing of a failed batch was written; everything that succeeded was, once.
    expect((await executionCountOf(account.id)).executionCount).toBe(
      BASE + sum(succeeded.map(({ count }) => count)),
    )
    expect(await keyCounts(account.id)).toEqual(new Map(succeeded.map(({ key }) => [key, 1])))
    await expectHistoryMatchesCount(account.id)

    const retries = await Promise.all(
      failed.map(({ key, count }) => increaseCount(account.id, count, key)),
    )

    expect(retries.map((reply) => reply.status)).toEqual(failed.map(() => 200))
    const again = await Promise.all(
      jobs.map(({ key, count }) => increaseCount(account.id, count, key)),
    )
    expect(again.every((reply) => reply.headers.get('Idempotent-Replayed') === 'true')).toBe(true)
    expect((await executionCountOf(account.id)).executionCount).toBe(
      BASE + sum(jobs.map(({ count }) => count)),
    )
    expect(await keyCounts(account.id)).toEqual(new Map(jobs.map(({ key }) => [key, 1])))
    await expectHistoryMatchesCount(account.id)
  })

  it('fails only the batch it is in: the account keeps serving later requests', async () => {
    const account = await createTestAccount()

    const failing = await withFailingDelta(() =>
      increaseCount(account.id, FAILING_DELTA, 'only-once'),
    )
    const later = await increaseCount(account.id, 5)

    await expectError(failing, 503, 'UNAVAILABLE')
    expect(later.status).toBe(200)
    expect((await executionCountOf(account.id)).executionCount).toBe(BASE + 5)
    await expectHistoryMatchesCount(account.id)
  })
})

describe('the account object restarting mid-burst', () => {
  // The burst goes out in waves so that requests are in flight when the object is aborted;
  // where exactly the abort lands depends on timing, so several abort points are tried. Requests
  // caught by the abort fail (503 or 500); each is retried with its key until it succeeds.
  it.each([1, 2])(
    'after an abort following wave %i, retries with the same keys apply every change once',
    async (abortAfterWave) => {
      const account = await createTestAccount()
      const waves: Job[][] = Array.from({ length: 5 }, (_, w) =>
        Array.from({ length: 8 }, (_, i) => ({ key: `abort-${w}-${i}`, count: w * 10 + i + 1 })),
      )
      const jobs = waves.flat()
      const send = ({ key, count }: Job) => increaseCount(account.id, count, key)
      const failed: Job[] = []
      let wavesDone = 0
      const burst = (async () => {
        for (const wave of waves) {
          const replies = await Promise.all(wave.map(send))
          failed.push(...wave.filter((_, i) => replies[i]?.status !== 200))
          wavesDone += 1
        }
      })()

      while (wavesDone < abortAfterWave) await new Promise((resolve) => setTimeout(resolve, 1))
      await abortAllDurableObjects()
      await burst
      let pending = failed
      for (let attempt = 0; attempt < 10 && pending.length > 0; attempt += 1) {
        const replies = await Promise.all(pending.map(send))
        pending = pending.filter((_, i) => replies[i]?.status !== 200)
      }

      expect(pending).toEqual([])
      const replays = await Promise.all(jobs.map(send))
      expect(replays.map((reply) => reply.headers.get('Idempotent-Replayed'))).toEqual(
        jobs.map(() => 'true'),
      )
      expect((await executionCountOf(account.id)).executionCount).toBe(
        BASE + sum(jobs.map(({ count }) => count)),
      )
      expect(await keyCounts(account.id)).toEqual(new Map(jobs.map(({ key }) => [key, 1])))
      await expectHistoryMatchesCount(account.id)
    },
  )
})
