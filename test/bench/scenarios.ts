import { type Api, inParallel } from './api'
import {
  type AccountExpectation,
  ChangeTally,
  type Check,
  checkBalances,
  checkCreated,
  startingPoint,
} from './exactness'
import type { LoadRequest, LoadResult } from './load'

export interface Seed {
  /** Account read by the GET scenarios; it has a feature, so reads include the join. */
  readId: number
  hotId: number
  consumeId: number
  spreadIds: number[]
  baseAllowance: number
}

export type Group = 'ceiling' | 'read' | 'write' | 'probe'

export interface Scenario {
  id: string
  title: string
  group: Group
  /** Which Worker answers: the real one or the bench-only ceiling Worker. */
  target: 'app' | 'ceiling'
  next: (n: number) => LoadRequest
  /** Statuses that are the scenario working as intended; anything else is an error. */
  expected: ReadonlySet<number>
  /** Expected refusals reported in their own column (a consume with no credit left). */
  refused?: ReadonlySet<number>
  onResponse?: (request: LoadRequest, status: number, body: string) => void
  prepare?: () => Promise<void>
  verify?: (result: LoadResult) => Promise<Check[]>
}

const ok = new Set([200])
/** The consume scenario's starting balance: it runs out after this many grants. */
export const CONSUME_CREDITS = 500
const get = (path: string): LoadRequest => ({ method: 'GET', path })

/** A number field of a JSON object, or of the object under its `data` key (the envelope). */
function numberField(body: string, field: string, enveloped = true): number | undefined {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown> | null
    const object = enveloped ? (parsed?.data as Record<string, unknown> | undefined) : parsed
    const value = object?.[field]
    return typeof value === 'number' ? value : undefined
  } catch {
    return undefined
  }
}

export function ceilingScenarios(): Scenario[] {
  return [
    {
      id: 'ceiling-a',
      title: 'ceiling A: healthcheck',
      group: 'ceiling',
      target: 'app',
      next: () => get('/api/v1/healthcheck'),
      expected: ok,
    },
    {
      id: 'ceiling-b',
      title: 'ceiling B: one D1 query (bench Worker)',
      group: 'ceiling',
      target: 'ceiling',
      next: () => get('/d1'),
      expected: ok,
    },
  ]
}

export function readScenarios(seed: Seed): Scenario[] {
  return [
    {
      id: 'get-account',
      title: 'GET account',
      group: 'read',
      target: 'app',
      next: () => get(`/api/v1/accounts/${seed.readId}`),
      expected: ok,
    },
    {
      id: 'get-execution-count',
      title: 'GET execution-count',
      group: 'read',
      target: 'app',
      next: () => get(`/api/v1/accounts/${seed.readId}/execution-count`),
      expected: ok,
    },
    {
      id: 'list-accounts',
      title: 'list accounts (50 per page)',
      group: 'read',
      target: 'app',
      next: () => get('/api/v1/accounts?limit=50'),
      expected: ok,
    },
  ]
}

// Counts 1..7 in turn, so the balance check tests a sum, not only a number of requests.
const countFor = (n: number) => 1 + (n % 7)

function increaseScenario(
  api: Api,
  seed: Seed,
  id: string,
  title: string,
  accounts: readonly number[],
): Scenario {
  const tallies = new Map(accounts.map((account) => [account, new ChangeTally()]))
  let expectations: AccountExpectation[] = []
  const pathOf = (account: number) => `/api/v1/accounts/${account}/execution-count`
  const accountOf = new Map(accounts.map((account) => [pathOf(account), account]))
  return {
    id,
    title,
    group: 'write',
    target: 'app',
    // Round robin over all requests, whichever connection sends them.
    next: (n) => ({
      method: 'PUT',
      path: pathOf(accounts[n % accounts.length] ?? 0),
      body: JSON.stringify({ count: countFor(n) }),
    }),
    expected: ok,
    prepare: async () => {
      expectations = await inParallel(accounts, 8, async (account) => ({
        id: account,
        ...(await startingPoint(api, account)),
        tally: tallies.get(account) ?? new ChangeTally(),
      }))
    },
    onResponse: (request, status, body) => {
      if (status < 200 || status > 299) return
      const account = accountOf.get(request.path)
      const balance = numberField(body, 'newExecutionCount')
      const count = numberField(request.body ?? '', 'count', false)
      const tally = account === undefined ? undefined : tallies.get(account)
      if (tally && balance !== undefined && count !== undefined) tally.record(count, balance)
    },
    verify: (result) => checkBalances(api, expectations, 'increased', result.unanswered),
  }
}

export function writeScenarios(api: Api, seed: Seed): Scenario[] {
  const consumed = new ChangeTally()
  let consumeStart: AccountExpectation | undefined
  const created: number[] = []
  let accountsBefore = 0
  return [
    increaseScenario(api, seed, 'increase-hot', 'increase, one hot account', [seed.hotId]),
    increaseScenario(api, seed, 'increase-spread', 'increase, 100 accounts', seed.spreadIds),
    {
      id: 'consume-hot',
      title: 'consume 1 until exhausted, one account',
      group: 'write',
      target: 'app',
      next: () => ({
        method: 'POST',
        path: `/api/v1/accounts/${seed.consumeId}/execution-count/consume`,
        body: '{"count":1}',
      }),
      expected: ok,
      refused: new Set([409]),
      // Spend down to a known balance small enough to run out well inside the window.
      prepare: async () => {
        const { initial } = await startingPoint(api, seed.consumeId)
        const spend = initial - CONSUME_CREDITS
        await api.expect(200, 'POST', `/accounts/${seed.consumeId}/execution-count/consume`, {
          count: spend,
        })
        consumeStart = {
          id: seed.consumeId,
          ...(await startingPoint(api, seed.consumeId)),
          tally: consumed,
        }
      },
      onResponse: (_request, status, body) => {
        const balance = numberField(body, 'executionCount')
        if (status === 200 && balance !== undefined) consumed.record(-1, balance)
      },
      verify: async (result) => {
        const start = consumeStart
        if (!start) throw new Error('consume scenario was not prepared')
        const checks = await checkBalances(api, [start], 'consumed', result.unanswered)
        const refused = result.statuses['409'] ?? 0
        const granted = consumed.acknowledged
        const expectedGrants = Math.min(start.initial, result.sent)
        checks.push({
          name: 'exactly the credits were granted, the rest refused',
          pass: granted === expectedGrants && granted + refused === result.answered,
          detail:
            `${granted} granted of ${start.initial}, ${refused} refused (409), ` +
            `${result.sent} sent`,
        })
        return checks
      },
    },
    {
      id: 'create-account',
      title: 'create account',
      group: 'write',
      target: 'app',
      next: (n) => ({ method: 'POST', path: '/api/v1/accounts', body: `{"name":"bench ${n}"}` }),
      expected: new Set([201]),
      prepare: async () => {
        accountsBefore = (await api.allPages<unknown>('/accounts', 'accounts')).length
      },
      onResponse: (_request, status, body) => {
        const id = numberField(body, 'id')
        if (status === 201 && id !== undefined) created.push(id)
      },
      verify: (result) =>
        checkCreated(api, accountsBefore, created, result.unanswered, seed.baseAllowance),
    },
  ]
}
