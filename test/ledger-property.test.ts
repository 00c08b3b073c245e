import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyCommands, type Command, type LedgerState, type Outcome } from '../src/durable/ledger'
import {
  call,
  consumeCount,
  createTestAccount,
  executionCountOf,
  historyOf,
  increaseCount,
} from './helpers'

// Property tests of the ledger against a reference model: random sequences of increases,
// consumes and feature changes, with and without idempotency keys (drawn from a small pool so
// that keys repeat). The model is the contract of SPEC 4 in a few lines.
//
// Pinned choices where the contract is silent: a consume refused with 409 records nothing, so
// its key stays unused. Keyed increases of 0 are not generated here (see credits.test.ts).

const BASE = 1000
const GRANT = 100000 // executionCredits of feature 1; features 2 to 7 add none
const PURE_RUNS = 300
const HTTP_RUNS = 25

type Op =
  | { kind: 'increase'; count: number; key?: string }
  | { kind: 'consume'; count: number; key?: string }
  | { kind: 'addFeature'; featureId: number }
  | { kind: 'removeFeature'; featureId: number }

interface Entry {
  type: 'created' | 'increased' | 'consumed' | 'feature_granted' | 'reset'
  delta: number
  executionCount: number
  idempotencyKey: string | null
}

/** What a request ended in, in the model's terms. */
type Result =
  | { status: 200; balance: number; replayed: boolean }
  | { status: 201 | 204 }
  | { status: 409; remaining: number; requested: number }
  | { status: 422 }

interface Model {
  balance: number
  features: Set<number>
  keys: Map<string, { kind: 'increase' | 'consume'; count: number; balance: number }>
  history: Entry[]
}

const newModel = (balance = BASE): Model => ({
  balance,
  features: new Set(),
  keys: new Map(),
  history: [{ type: 'created', delta: balance, executionCount: balance, idempotencyKey: null }],
})

function applyToModel(model: Model, op: Op): Result {
  const record = (type: Entry['type'], delta: number, key: string | null) => {
    model.balance += delta
    model.history.push({ type, delta, executionCount: model.balance, idempotencyKey: key })
  }
  switch (op.kind) {
    case 'increase':
    case 'consume': {
      const seen = op.key === undefined ? undefined : model.keys.get(op.key)
      if (seen) {
        if (seen.kind !== op.kind || seen.count !== op.count) return { status: 422 }
        return { status: 200, balance: seen.balance, replayed: true }
      }
      if (op.kind === 'consume' && model.balance < op.count) {
        return { status: 409, remaining: model.balance, requested: op.count }
      }
      if (op.count === 0) return { status: 200, balance: model.balance, replayed: false }
      const delta = op.kind === 'increase' ? op.count : -op.count
      record(op.kind === 'increase' ? 'increased' : 'consumed', delta, op.key ?? null)
      if (op.key !== undefined) {
        model.keys.set(op.key, { kind: op.kind, count: op.count, balance: model.balance })
      }
      return { status: 200, balance: model.balance, replayed: false }
    }
    case 'addFeature': {
      if (model.features.has(op.featureId)) return { status: 200, balance: 0, replayed: false }
      model.features.add(op.featureId)
      if (op.featureId === 1) record('feature_granted', GRANT, null)
      return { status: 201 }
    }
    case 'removeFeature':
      model.features.delete(op.featureId)
      return { status: 204 }
  }
}

/** Consumes the balance at the time it runs, give or take one: the boundary random counts miss. */
type Drain = { kind: 'drain'; offset: number; key?: string }
type GeneratedOp = Op | Drain

const concrete = (op: GeneratedOp, balance: number): Op =>
  op.kind === 'drain'
    ? { kind: 'consume', count: Math.max(1, balance + op.offset), key: op.key }
    : op

const keyArb = fc.option(fc.constantFrom('k1', 'k2', 'k3', 'k4'), { nil: undefined })
const opArb: fc.Arbitrary<GeneratedOp> = fc.oneof(
  fc.record({
    kind: fc.constant('drain' as const),
    offset: fc.integer({ min: -1, max: 1 }),
    key: keyArb,
  }),
  fc.record({
    kind: fc.constant('increase' as const),
    count: fc.integer({ min: 1, max: 3000 }),
    key: keyArb,
  }),
  fc.record({ kind: fc.constant('increase' as const), count: fc.constant(0) }),
  fc.record({
    kind: fc.constant('consume' as const),
    count: fc.integer({ min: 1, max: 3000 }),
    key: keyArb,
  }),
  fc.record({
    kind: fc.constant('addFeature' as const),
    featureId: fc.integer({ min: 1, max: 7 }),
  }),
  fc.record({
    kind: fc.constant('removeFeature' as const),
    featureId: fc.integer({ min: 1, max: 7 }),
  }),
)

// ---------------------------------------------------------------------------------------------
// Pure: applyCommands against the model, one batch or split into several batches.

const catalog = new Map([1, 2, 3, 4, 5, 6, 7].map((id) => [id, id === 1 ? GRANT : 0]))
const NOW = Date.parse('2024-03-10T12:00:00Z')
const initialState = (executionCount: number): LedgerState => ({
  accountId: 1,
  name: 'Property',
  executionCount,
  anchor: '2024-03-01T00:00:00Z',
  nextResetDate: '2024-04-01T00:00:00Z',
  featureIds: new Set(),
})

function resultOf(op: Op, outcome: Outcome): Result {
  if (!outcome.ok) {
    if (outcome.reason === 'insufficient') {
      return { status: 409, remaining: outcome.remaining, requested: outcome.requested }
    }
    if (outcome.reason === 'key_reused') return { status: 422 }
    throw new Error(`unexpected outcome ${outcome.reason}`)
  }
  if (op.kind === 'addFeature' && outcome.changed) return { status: 201 }
  if (op.kind === 'addFeature') return { status: 200, balance: 0, replayed: false }
  if (op.kind === 'removeFeature') return { status: 204 }
  return { status: 200, balance: outcome.executionCount, replayed: outcome.replayed }
}

/** Runs commands batch by batch, carrying state between batches as D1 would. */
function runBatches(ops: readonly Op[], cuts: readonly number[], start: number) {
  let state = initialState(start)
  const recordedKeys = new Map<
    string,
    { type: Entry['type']; delta: number; executionCount: number }
  >()
  const history: Entry[] = []
  const results: Result[] = []
  const bounds = [...new Set([0, ...cuts.map((cut) => cut % (ops.length + 1)), ops.length])]
  bounds.sort((a, b) => a - b)
  for (let b = 0; b + 1 < bounds.length; b += 1) {
    const batch = ops.slice(bounds[b], bounds[b + 1])
    const { outcomes, changes } = applyCommands(state, batch as Command[], {
      nowMs: NOW,
      baseAllowance: BASE,
      catalog,
      recordedKeys,
    })
    outcomes.forEach((outcome, i) => {
      const op = batch[i]
      if (op) results.push(resultOf(op, outcome))
    })
    for (const entry of changes.history) {
      history.push(entry)
      if (entry.idempotencyKey !== null) recordedKeys.set(entry.idempotencyKey, entry)
    }
    const featureIds = new Set(state.featureIds)
    for (const id of changes.featuresAdded) featureIds.add(id)
    for (const id of changes.featuresRemoved) featureIds.delete(id)
    state = { ...state, executionCount: changes.executionCount, featureIds }
  }
  return { results, history, state }
}

describe('applyCommands against the reference model', () => {
  it(`agrees with the model on every outcome, entry and balance (${PURE_RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 0, max: 5000 }),
        (generated, cuts, start) => {
          const model = newModel(start)
          const expected: Result[] = []
          const ops = generated.map((op) => {
            const resolved = concrete(op, model.balance)
            expected.push(applyToModel(model, resolved))
            return resolved
          })

          const actual = runBatches(ops, cuts, start)

          expect(actual.results).toEqual(expected)
          expect(actual.history).toEqual(model.history.slice(1))
          expect(actual.state.executionCount).toBe(model.balance)
          expect(actual.state.featureIds).toEqual(model.features)
        },
      ),
      { numRuns: PURE_RUNS },
    )
  })

  it(`closes an ended period first with one reset entry (${PURE_RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 20 }),
        fc.integer({ min: 0, max: 5000 }),
        (generated, start) => {
          const state = { ...initialState(start), nextResetDate: '2024-03-01T00:00:00Z' }
          const model = newModel(BASE)
          const expected: Result[] = []
          const ops = generated.map((op) => {
            const resolved = concrete(op, model.balance)
            expected.push(applyToModel(model, resolved))
            return resolved
          })

          const { outcomes, changes } = applyCommands(state, ops as Command[], {
            nowMs: NOW,
            baseAllowance: BASE,
            catalog,
            recordedKeys: new Map(),
          })

          expect(changes.history[0]).toEqual({
            type: 'reset',
            delta: BASE - start,
            executionCount: BASE,
            idempotencyKey: null,
          })
          expect(changes.history.slice(1)).toEqual(model.history.slice(1))
          expect(
            outcomes.map((outcome, i) =>
              resultOf(ops[i] ?? { kind: 'removeFeature', featureId: 1 }, outcome),
            ),
          ).toEqual(expected)
          expect(changes.nextResetDate).toBe('2024-04-01T00:00:00Z')
          expect(changes.executionCount).toBe(model.balance)
        },
      ),
      { numRuns: PURE_RUNS },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Through the HTTP API: sequential steps are compared exactly with the model; a concurrent group
// may run in any serial order, so it is checked against what holds for every order.

type Step = { kind: 'one'; op: GeneratedOp } | { kind: 'group'; ops: GeneratedOp[] }

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: opArb.map((op): Step => ({ kind: 'one', op })) },
  {
    weight: 1,
    arbitrary: fc
      .array(opArb, { minLength: 2, maxLength: 6 })
      .map((ops): Step => ({ kind: 'group', ops })),
  },
)

interface Reply {
  status: number
  json: unknown
  headers: Headers
}

function send(id: number, op: Op): Promise<Reply> {
  switch (op.kind) {
    case 'increase':
      return increaseCount(id, op.count, op.key)
    case 'consume':
      return consumeCount(id, op.count, op.key)
    case 'addFeature':
      return call('PUT', `/accounts/${id}/feature`, { body: { featureId: op.featureId } })
    case 'removeFeature':
      return call('DELETE', `/accounts/${id}/feature`, { body: { featureId: op.featureId } })
  }
}

/** The reply in the model's terms; anything unexpected fails the run. */
function readReply(op: Op, reply: Reply): Result {
  const data = (reply.json as { data?: unknown } | undefined)?.data
  const replayed = reply.headers.get('Idempotent-Replayed') === 'true'
  if (reply.status === 409) {
    const match = /^insufficient execution credits: (\d+) remaining, (\d+) requested$/.exec(
      String(data),
    )
    return { status: 409, remaining: Number(match?.[1]), requested: Number(match?.[2]) }
  }
  if (reply.status === 422 || reply.status === 201 || reply.status === 204) {
    return { status: reply.status }
  }
  expect(reply.status).toBe(200)
  if (op.kind === 'increase') {
    return {
      status: 200,
      balance: (data as { newExecutionCount: number }).newExecutionCount,
      replayed,
    }
  }
  if (op.kind === 'consume') {
    expect(data).toMatchObject({ consumed: op.count })
    return { status: 200, balance: (data as { executionCount: number }).executionCount, replayed }
  }
  return { status: 200, balance: 0, replayed: false }
}

const deltaOf = (op: Op, result: Result) => {
  if (result.status === 201 && op.kind === 'addFeature') return op.featureId === 1 ? GRANT : 0
  if (result.status !== 200 || result.replayed) return 0
  if (op.kind === 'increase') return op.count
  if (op.kind === 'consume') return -op.count
  return 0
}

const withoutId = ({ type, delta, executionCount, idempotencyKey }: Entry) => ({
  type,
  delta,
  executionCount,
  idempotencyKey,
})

async function runGroup(id: number, model: Model, generated: GeneratedOp[]) {
  const before = model.balance
  const ops = generated.map((op) => concrete(op, before))
  const replies = await Promise.all(ops.map((op) => send(id, op)))
  const results = ops.map((op, i) => {
    const reply = replies[i]
    if (!reply) throw new Error('missing reply')
    return readReply(op, reply)
  })
  const history = await historyOf(id)
  const added = history.slice(0, history.length - model.history.length).reverse()

  // Every change that succeeded has exactly one new entry, with the balance its caller got.
  const changes = ops.flatMap((op, i) => {
    const result = results[i]
    return result && deltaOf(op, result) !== 0 ? [{ op, result }] : []
  })
  expect(added).toHaveLength(changes.length)
  for (const { op, result } of changes) {
    const delta = deltaOf(op, result)
    const key = 'key' in op ? (op.key ?? null) : null
    const entry = added.find((e) => e.delta === delta && e.idempotencyKey === key)
    expect(entry).toBeDefined()
    if (result.status === 200) {
      expect(added).toContainEqual(
        expect.objectContaining({ delta, executionCount: result.balance }),
      )
    }
  }
  const balance = before + changes.reduce((total, { op, result }) => total + deltaOf(op, result), 0)
  expect((await executionCountOf(id)).executionCount).toBe(balance)
  for (const entry of added) expect(entry.executionCount).toBeGreaterThanOrEqual(0)
  for (const result of results) {
    if (result.status === 409) expect(result.remaining).toBeLessThan(result.requested)
  }

  // Keys: a key known before the group answers as recorded; a new key is applied at most once,
  // and every other use of it replays that first result or is refused as reused.
  const keyed = ops.flatMap((op, i) => {
    const result = results[i]
    return (op.kind === 'increase' || op.kind === 'consume') && op.key !== undefined && result
      ? [{ op, key: op.key, result }]
      : []
  })
  for (const key of new Set(keyed.map((use) => use.key))) {
    const uses = keyed.filter((use) => use.key === key)
    const known = model.keys.get(key)
    const first = uses.filter((use) => use.result.status === 200 && !use.result.replayed)
    if (known) expect(first).toEqual([])
    expect(first.length).toBeLessThanOrEqual(1)
    const recorder =
      known ??
      (first[0] && first[0].result.status === 200
        ? { kind: first[0].op.kind, count: first[0].op.count, balance: first[0].result.balance }
        : undefined)
    for (const { op, result } of uses) {
      if (first[0]?.op === op) continue
      if (!recorder) {
        expect(result.status).toBe(409)
      } else if (result.status === 200) {
        expect(result).toEqual({ status: 200, balance: recorder.balance, replayed: true })
        expect([op.kind, op.count]).toEqual([recorder.kind, recorder.count])
      } else if (result.status === 422) {
        expect([op.kind, op.count]).not.toEqual([recorder.kind, recorder.count])
      } else {
        expect(result.status).toBe(409)
      }
    }
    if (recorder) model.keys.set(key, recorder)
  }

  // Features: the account's attached set is whatever some order left; take it from the API.
  const account = await call('GET', `/accounts/${id}`)
  const attached = (account.json as { data: { features: { featureId: number }[] } }).data.features
  model.features = new Set(attached.map((link) => link.featureId))
  model.balance = balance
  model.history.push(...added.map(withoutId))
}

describe('the ledger through the HTTP API against the reference model', () => {
  it(`agrees with the model on sequences and concurrent groups (${HTTP_RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 8 }), async (steps) => {
        const account = await createTestAccount('Property')
        const model = newModel()
        for (const step of steps) {
          if (step.kind === 'one') {
            const op = concrete(step.op, model.balance)
            const expected = applyToModel(model, op)
            expect(readReply(op, await send(account.id, op))).toEqual(expected)
          } else {
            await runGroup(account.id, model, step.ops)
          }
        }
        const history = await historyOf(account.id)
        expect(history.map(withoutId).reverse()).toEqual(model.history)
        expect((await executionCountOf(account.id)).executionCount).toBe(model.balance)
        for (const key of model.keys.keys()) {
          expect(history.filter((entry) => entry.idempotencyKey === key)).toHaveLength(1)
        }
      }),
      { numRuns: HTTP_RUNS },
    )
  })
})
