import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { Outcome } from '../src/durable/ledger'
import {
  consumeCount,
  createTestAccount,
  executionCountOf,
  expectHistoryMatchesCount,
  increaseCount,
  keyCounts,
} from './helpers'

// The proofs of DESIGN.md's invariants 1, 2, 3 and 5 under concurrency. Every request of a burst
// is started before any is awaited, so the account's object receives them while a D1 write is in
// flight and has to queue and coalesce them. Bursts of hundreds go straight to the object's RPC
// methods, the interface the routes call: the test pool's loopback fetch slows down sharply past
// a few dozen concurrent requests. Smaller bursts go through the HTTP API end to end.

const BASE = 1000

const objectOf = (id: number) => env.ACCOUNT_OBJECT.getByName(String(id))

/** A copy of the object's counters; the object is addressed by the account id as a string. */
const statsOf = (id: number) =>
  runInDurableObject(objectOf(id), (instance) => ({ ...instance.stats }))

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0)

const balanceOf = (outcome: Outcome) => (outcome.ok ? outcome.executionCount : undefined)

const dataOf = <T>(reply: { json: unknown }) => (reply.json as { data: T }).data

describe('invariant 1: concurrent increases are exact', () => {
  it('500 concurrent increases add up exactly in far fewer D1 round trips', async () => {
    const account = await createTestAccount()
    const object = objectOf(account.id)
    await object.increase(account.id, 0)
    const before = await statsOf(account.id)
    const counts = Array.from({ length: 500 }, (_, i) => (i % 9) + 1)

    const outcomes = await Promise.all(counts.map((count) => object.increase(account.id, count)))

    const after = await statsOf(account.id)
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true)
    expect((await executionCountOf(account.id)).executionCount).toBe(BASE + sum(counts))
    // Same instance throughout, and the burst cost a fraction of one round trip per request.
    expect(after.commands - before.commands).toBe(500)
    expect(after.roundTrips - before.roundTrips).toBeLessThan(500 / 5)
    // Every caller got its own exact result: the balances answered are those the history shows.
    const history = await expectHistoryMatchesCount(account.id)
    expect(history).toHaveLength(501)
    const recorded = history.filter((e) => e.type === 'increased').map((e) => e.executionCount)
    const answered = outcomes.map(balanceOf)
    expect(answered.sort((a = 0, b = 0) => a - b)).toEqual(recorded.sort((a, b) => a - b))
  })

  it('50 concurrent increases through the API each answer their own balance', async () => {
    const account = await createTestAccount()
    const counts = Array.from({ length: 50 }, (_, i) => i + 1)

    const replies = await Promise.all(counts.map((count) => increaseCount(account.id, count)))

    expect(replies.map((reply) => reply.status)).toEqual(counts.map(() => 200))
    expect((await executionCountOf(account.id)).executionCount).toBe(BASE + sum(counts))
    const history = await expectHistoryMatchesCount(account.id)
    const answered = replies.map((reply) => dataOf<{ newExecutionCount: number }>(reply))
    for (const [i, { newExecutionCount }] of answered.entries()) {
      expect(history).toContainEqual(
        expect.objectContaining({ delta: counts[i], executionCount: newExecutionCount }),
      )
    }
  })
})

describe('invariant 3: concurrent consumes never overdraw', () => {
  it('with equal requests exactly the affordable ones succeed, the rest are refused', async () => {
    const account = await createTestAccount()
    const object = objectOf(account.id)
    const affordable = Math.floor(BASE / 7)

    const outcomes = await Promise.all(
      Array.from({ length: affordable + 100 }, () => object.consume(account.id, 7)),
    )

    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(affordable)
    const refused = outcomes.filter((outcome) => !outcome.ok)
    expect(refused).toHaveLength(100)
    for (const outcome of refused) expect(outcome).toMatchObject({ reason: 'insufficient' })
    expect((await executionCountOf(account.id)).executionCount).toBe(BASE - 7 * affordable)
    await expectHistoryMatchesCount(account.id)
  })

  it('with mixed sizes through the API the successes never exceed the balance', async () => {
    const account = await createTestAccount()
    const sizes = Array.from({ length: 50 }, (_, i) => ((i * 37) % 41) + 10)

    const replies = await Promise.all(sizes.map((size) => consumeCount(account.id, size)))

    const succeeded = sizes.filter((_, i) => replies[i]?.status === 200)
    const final = (await executionCountOf(account.id)).executionCount
    expect(sum(sizes)).toBeGreaterThan(BASE)
    expect(final).toBeGreaterThanOrEqual(0)
    expect(final).toBe(BASE - sum(succeeded))
    for (const [i, reply] of replies.entries()) {
      const size = sizes[i] ?? 0
      if (reply.status === 200) {
        expect(dataOf<{ consumed: number }>(reply).consumed).toBe(size)
        continue
      }
      expect(reply.status).toBe(409)
      // Only consumes ran, so the balance only fell: a refused size is still unaffordable.
      const match = /^insufficient execution credits: (\d+) remaining, (\d+) requested$/.exec(
        dataOf<string>(reply),
      )
      expect(Number(match?.[1])).toBeLessThan(size)
      expect(Number(match?.[2])).toBe(size)
      expect(final).toBeLessThan(size)
    }
    const history = await expectHistoryMatchesCount(account.id)
    expect(history.filter((entry) => entry.type === 'consumed')).toHaveLength(succeeded.length)
  })

  it('interleaved with increases the balance is what succeeded and is never negative', async () => {
    const account = await createTestAccount()
    const object = objectOf(account.id)
    const operations = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0 ? { kind: 'increase', count: 20 } : { kind: 'consume', count: 15 },
    )

    const outcomes = await Promise.all(
      operations.map(({ kind, count }) =>
        kind === 'increase'
          ? object.increase(account.id, count)
          : object.consume(account.id, count),
      ),
    )

    let expected = BASE
    for (const [i, { kind, count }] of operations.entries()) {
      const outcome = outcomes[i]
      if (kind === 'increase') expect(outcome?.ok).toBe(true)
      else if (outcome?.ok === false) expect(outcome).toMatchObject({ reason: 'insufficient' })
      if (outcome?.ok) {
        expected += kind === 'increase' ? count : -count
        expect(outcome.executionCount).toBeGreaterThanOrEqual(0)
      }
    }
    expect((await executionCountOf(account.id)).executionCount).toBe(expected)
    const history = await expectHistoryMatchesCount(account.id)
    expect(history).toHaveLength(1 + outcomes.filter((outcome) => outcome.ok).length)
  })
})

describe('invariant 2: duplicate keys racing each other are applied once', () => {
  it.each([
    ['increase', increaseCount, BASE + 25],
    ['consume', consumeCount, BASE - 25],
  ] as const)(
    'a keyed %s sent 40 times at once is applied once and every reply is the first',
    async (_, send, expected) => {
      const account = await createTestAccount()

      const replies = await Promise.all(
        Array.from({ length: 40 }, () => send(account.id, 25, 'racing')),
      )

      expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 200))
      const first = replies.filter((reply) => reply.headers.get('Idempotent-Replayed') === null)
      expect(first).toHaveLength(1)
      for (const reply of replies) expect(reply.json).toEqual(first[0]?.json)
      expect((await executionCountOf(account.id)).executionCount).toBe(expected)
      expect(await keyCounts(account.id)).toEqual(new Map([['racing', 1]]))
      await expectHistoryMatchesCount(account.id)
    },
  )

  it('200 keys, each sent three times in one shuffled burst, are each applied once', async () => {
    const account = await createTestAccount()
    const object = objectOf(account.id)
    const jobs = Array.from({ length: 200 }, (_, i) => ({ key: `job-${i}`, count: i + 1 }))
    // A fixed shuffle that spreads the copies of one key across the burst.
    const burst = [
      ...jobs,
      ...jobs.slice().reverse(),
      ...jobs.filter((_, i) => i % 2 === 0),
      ...jobs.filter((_, i) => i % 2 === 1),
    ]

    const outcomes = await Promise.all(
      burst.map(({ key, count }) => object.increase(account.id, count, key)),
    )

    for (const { key } of jobs) {
      const ofKey = outcomes.filter((_, i) => burst[i]?.key === key)
      expect(ofKey).toHaveLength(3)
      expect(ofKey.filter((outcome) => outcome.ok && !outcome.replayed)).toHaveLength(1)
      expect(new Set(ofKey.map(balanceOf)).size).toBe(1)
    }
    const expected = BASE + sum(jobs.map(({ count }) => count))
    expect((await executionCountOf(account.id)).executionCount).toBe(expected)
    expect(await keyCounts(account.id)).toEqual(new Map(jobs.map(({ key }) => [key, 1])))
    await expectHistoryMatchesCount(account.id)
  })
})
