import { abortAllDurableObjects } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
  call,
  consumeCount,
  createTestAccount,
  executionCountOf,
  expectError,
  expectHistoryMatchesCount,
  historyOf,
  type HistoryPageJson,
  increaseCount,
} from './helpers'

// The base allowance of the test configuration (wrangler.toml, BASE_MONTHLY_EXECUTIONS).
const BASE = 1000
const MAX_COUNT = Number.MAX_SAFE_INTEGER
// Never created: account ids come from an autoincrement starting at 1.
const UNKNOWN_ACCOUNT = MAX_COUNT

const rfc3339Seconds = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/

const consumePath = (id: number) => `/accounts/${id}/execution-count/consume`
const historyPath = (id: number, query = '') => `/accounts/${id}/execution-count/history${query}`

async function historyPage(id: number, query: string) {
  const response = await call('GET', historyPath(id, query))
  expect(response.status).toBe(200)
  return (response.json as { data: HistoryPageJson }).data
}

describe('POST /api/v1/accounts/{id}/execution-count/consume', () => {
  it('takes the credits and answers the remainder and the amount consumed', async () => {
    const account = await createTestAccount()

    const response = await consumeCount(account.id, 300)

    expect(response.status).toBe(200)
    expect(response.json).toEqual({ success: true, data: { executionCount: 700, consumed: 300 } })
    expect(response.headers.get('Idempotent-Replayed')).toBeNull()
    expect((await executionCountOf(account.id)).executionCount).toBe(700)
  })

  it('may take the whole balance down to zero', async () => {
    const account = await createTestAccount()

    const response = await consumeCount(account.id, BASE)

    expect(response.json).toEqual({ success: true, data: { executionCount: 0, consumed: BASE } })
    expect((await executionCountOf(account.id)).executionCount).toBe(0)
  })

  it('answers 409 naming remaining and requested credits, changing nothing', async () => {
    const account = await createTestAccount()
    await consumeCount(account.id, 400)

    const response = await consumeCount(account.id, 601)

    await expectError(
      response,
      409,
      'CONFLICT',
      'insufficient execution credits: 600 remaining, 601 requested',
    )
    expect((await executionCountOf(account.id)).executionCount).toBe(600)
    expect(await historyOf(account.id)).toHaveLength(2)
  })

  it.each([
    ['missing', '{}'],
    ['null', '{"count":null}'],
    ['0', '{"count":0}'],
    ['-1', '{"count":-1}'],
    ['1.5', '{"count":1.5}'],
    ['the string "3"', '{"count":"3"}'],
    ['true', '{"count":true}'],
    ['2^53', '{"count":9007199254740992}'],
    ['malformed JSON', '{"count":'],
  ])('rejects count %s with 400 naming the field and changes nothing', async (_, rawBody) => {
    const account = await createTestAccount()

    const response = await call('POST', consumePath(account.id), { rawBody })

    await expectError(response, 400, 'BAD_REQUEST', /\bcount\b/)
    expect((await executionCountOf(account.id)).executionCount).toBe(BASE)
  })

  it('answers 404 for an unknown account', async () => {
    const response = await consumeCount(UNKNOWN_ACCOUNT, 1)

    await expectError(response, 404, 'NOT_FOUND', "account doesn't exist")
  })
})

describe('PUT /api/v1/accounts/{id}/execution-count', () => {
  it('adds the credits and answers the new count', async () => {
    const account = await createTestAccount()

    const response = await increaseCount(account.id, 250)

    expect(response.status).toBe(200)
    expect(response.json).toEqual({ success: true, data: { newExecutionCount: 1250 } })
    expect((await executionCountOf(account.id)).executionCount).toBe(1250)
  })

  it('treats a count of 0 as a no-op that answers the current count', async () => {
    const account = await createTestAccount()

    const response = await increaseCount(account.id, 0)

    expect(response.json).toEqual({ success: true, data: { newExecutionCount: BASE } })
    expect(await historyOf(account.id)).toHaveLength(1)
  })

  it('refuses an increase past 2^53 - 1 with 400 and changes nothing', async () => {
    const account = await createTestAccount()

    const response = await increaseCount(account.id, MAX_COUNT - BASE + 1)

    await expectError(response, 400, 'BAD_REQUEST')
    expect((await executionCountOf(account.id)).executionCount).toBe(BASE)
  })

  it('answers 404 for an unknown account', async () => {
    await expectError(await increaseCount(UNKNOWN_ACCOUNT, 1), 404, 'NOT_FOUND')
  })
})

const keyedRoutes = [
  ['PUT .../execution-count', increaseCount, 'increased'],
  ['POST .../consume', consumeCount, 'consumed'],
] as const

describe('Idempotency-Key', () => {
  it.each(keyedRoutes)(
    '%s: a repeat with the same key and body replays the first response and applies nothing',
    async (_, send, type) => {
      const account = await createTestAccount()
      const first = await send(account.id, 100, 'order-1')
      // A change in between shows that the replay is the first response, not a fresh one.
      await increaseCount(account.id, 7)

      const repeat = await send(account.id, 100, 'order-1')

      expect(first.status).toBe(200)
      expect(first.headers.get('Idempotent-Replayed')).toBeNull()
      expect(repeat.status).toBe(200)
      expect(repeat.json).toEqual(first.json)
      expect(repeat.headers.get('Idempotent-Replayed')).toBe('true')
      const expected = type === 'increased' ? BASE + 100 + 7 : BASE - 100 + 7
      expect((await executionCountOf(account.id)).executionCount).toBe(expected)
      const keyed = (await historyOf(account.id)).filter((e) => e.idempotencyKey === 'order-1')
      expect(keyed).toHaveLength(1)
      expect(keyed[0]?.type).toBe(type)
    },
  )

  it.each(keyedRoutes)(
    '%s: the same key with a different count answers 422 and applies nothing',
    async (_, send) => {
      const account = await createTestAccount()
      await send(account.id, 100, 'order-2')
      const before = await executionCountOf(account.id)

      const response = await send(account.id, 101, 'order-2')

      await expectError(response, 422, 'IDEMPOTENCY_KEY_REUSED')
      expect(await executionCountOf(account.id)).toEqual(before)
    },
  )

  it.each([
    ['an increase', 'a consume', increaseCount, consumeCount],
    ['a consume', 'an increase', consumeCount, increaseCount],
  ])('a key used for %s answers 422 when used for %s', async (_, __, first, second) => {
    const account = await createTestAccount()
    await first(account.id, 10, 'shared-key')
    const before = await executionCountOf(account.id)

    const response = await second(account.id, 10, 'shared-key')

    await expectError(response, 422, 'IDEMPOTENCY_KEY_REUSED')
    expect(await executionCountOf(account.id)).toEqual(before)
  })

  it('the same key with another count answers 422 also after a first increase of 0', async () => {
    // SPEC 4: "The same key with a different body gives 422", whatever the first count was.
    const account = await createTestAccount()
    await increaseCount(account.id, 0, 'zero-first')

    const response = await increaseCount(account.id, 5, 'zero-first')

    await expectError(response, 422, 'IDEMPOTENCY_KEY_REUSED')
    expect((await executionCountOf(account.id)).executionCount).toBe(BASE)
  })

  const malformedKeys = [
    ['empty', ''],
    ['256 characters long', 'k'.repeat(256)],
    ['non-ASCII', 'clé'],
    ['with a control character', 'a\u0001b'],
    ['with DEL', 'a\u007fb'],
    ['with a tab', 'a\tb'],
  ]
  it.each(
    keyedRoutes.flatMap(([route, send]) =>
      malformedKeys.map(([label, key]) => [route, label, send, key] as const),
    ),
  )('%s: rejects an Idempotency-Key %s with 400 and applies nothing', async (_, __, send, key) => {
    const account = await createTestAccount()

    const response = await send(account.id, 10, key)

    await expectError(response, 400, 'BAD_REQUEST', /Idempotency-Key/)
    expect((await executionCountOf(account.id)).executionCount).toBe(BASE)
  })

  it('accepts a key of 255 printable ASCII characters', async () => {
    const account = await createTestAccount()
    const key = `~ !${'x'.repeat(252)}`

    const response = await increaseCount(account.id, 10, key)

    expect(response.status).toBe(200)
    expect((await historyOf(account.id))[0]?.idempotencyKey).toBe(key)
  })

  it('keeps keys per account: the same key applies once on each of two accounts', async () => {
    const first = await createTestAccount()
    const second = await createTestAccount()

    const a = await increaseCount(first.id, 30, 'per-account')
    const b = await increaseCount(second.id, 30, 'per-account')

    expect(a.headers.get('Idempotent-Replayed')).toBeNull()
    expect(b.headers.get('Idempotent-Replayed')).toBeNull()
    expect((await executionCountOf(first.id)).executionCount).toBe(BASE + 30)
    expect((await executionCountOf(second.id)).executionCount).toBe(BASE + 30)
  })

  it.each(keyedRoutes)(
    '%s: a retry after the account object restarts is still recognised',
    async (_, send) => {
      const account = await createTestAccount()
      const first = await send(account.id, 40, 'survives-restart')
      await abortAllDurableObjects()

      const retry = await send(account.id, 40, 'survives-restart')

      expect(retry.status).toBe(200)
      expect(retry.json).toEqual(first.json)
      expect(retry.headers.get('Idempotent-Replayed')).toBe('true')
      await expectHistoryMatchesCount(account.id)
      expect(await historyOf(account.id)).toHaveLength(2)
    },
  )
})

describe('GET /api/v1/accounts/{id}/execution-count/history', () => {
  it('starts with one created entry holding the base allowance', async () => {
    const account = await createTestAccount()

    const page = await historyPage(account.id, '')

    expect(page.nextCursor).toBeNull()
    expect(page.entries).toEqual([
      {
        id: expect.any(Number),
        type: 'created',
        delta: BASE,
        executionCount: BASE,
        idempotencyKey: null,
        dateCreated: expect.stringMatching(rfc3339Seconds),
      },
    ])
  })

  it('lists one entry per balance change, newest first, with type, delta, balance', async () => {
    const account = await createTestAccount()
    await increaseCount(account.id, 50, 'top-up')
    await consumeCount(account.id, 20)
    await call('PUT', `/accounts/${account.id}/feature`, { body: { featureId: 1 } })

    const entries = await historyOf(account.id)

    expect(
      entries.map(({ type, delta, executionCount, idempotencyKey }) => ({
        type,
        delta,
        executionCount,
        idempotencyKey,
      })),
    ).toEqual([
      { type: 'feature_granted', delta: 100000, executionCount: 101030, idempotencyKey: null },
      { type: 'consumed', delta: -20, executionCount: 1030, idempotencyKey: null },
      { type: 'increased', delta: 50, executionCount: 1050, idempotencyKey: 'top-up' },
      { type: 'created', delta: BASE, executionCount: BASE, idempotencyKey: null },
    ])
    const ids = entries.map((entry) => entry.id)
    expect(ids).toEqual([...ids].sort((a, b) => b - a))
    for (const entry of entries) expect(entry.dateCreated).toMatch(rfc3339Seconds)
  })

  it('does not list the entries of other accounts', async () => {
    const account = await createTestAccount()
    const other = await createTestAccount()
    await increaseCount(other.id, 5)

    expect((await historyOf(account.id)).map((entry) => entry.type)).toEqual(['created'])
  })

  const addFeature = (id: number, featureId: number) =>
    call('PUT', `/accounts/${id}/feature`, { body: { featureId } })
  it.each([
    ['a consume refused with 409', (id: number) => consumeCount(id, 10 ** 9)],
    ['an increase of 0', (id: number) => increaseCount(id, 0)],
    ['a replayed increase', (id: number) => increaseCount(id, 5, 'setup-key')],
    ['a rejected key reuse', (id: number) => increaseCount(id, 6, 'setup-key')],
    ['re-adding an attached feature', (id: number) => addFeature(id, 1)],
    ['adding a feature without credits', (id: number) => addFeature(id, 2)],
    [
      'removing a feature',
      (id: number) => call('DELETE', `/accounts/${id}/feature`, { body: { featureId: 1 } }),
    ],
    ['an invalid body', (id: number) => consumeCount(id, -3)],
  ])('adds no entry for %s', async (_, act) => {
    const account = await createTestAccount()
    await increaseCount(account.id, 5, 'setup-key')
    await addFeature(account.id, 1)
    const before = await historyOf(account.id)

    await act(account.id)

    expect(await historyOf(account.id)).toEqual(before)
    await expectHistoryMatchesCount(account.id)
  })

  it('pages with limit and cursor, newest first, without gaps or repeats', async () => {
    const account = await createTestAccount()
    for (let i = 1; i <= 6; i += 1) await increaseCount(account.id, i)
    const all = await historyPage(account.id, '?limit=100')

    const first = await historyPage(account.id, '?limit=3')
    const second = await historyPage(account.id, `?limit=3&cursor=${first.nextCursor}`)
    const third = await historyPage(account.id, `?limit=3&cursor=${second.nextCursor}`)

    expect(all.entries).toHaveLength(7)
    expect(all.nextCursor).toBeNull()
    expect([first, second, third].map((page) => page.entries.length)).toEqual([3, 3, 1])
    expect(first.nextCursor).toEqual(expect.any(String))
    expect(second.nextCursor).toEqual(expect.any(String))
    expect(third.nextCursor).toBeNull()
    expect([...first.entries, ...second.entries, ...third.entries]).toEqual(all.entries)
  })

  it('answers nextCursor null when the last page is exactly full', async () => {
    const account = await createTestAccount()
    await increaseCount(account.id, 1)

    const first = await historyPage(account.id, '?limit=1')
    const second = await historyPage(account.id, `?limit=1&cursor=${first.nextCursor}`)

    expect(second.entries.map((entry) => entry.type)).toEqual(['created'])
    expect(second.nextCursor).toBeNull()
  })

  it.each(['0', '101', '-1', 'abc', '1.5', '', '1e2'])(
    'rejects limit %j with 400',
    async (limit) => {
      const account = await createTestAccount()

      const response = await call('GET', historyPath(account.id, `?limit=${limit}`))

      await expectError(response, 400, 'BAD_REQUEST', /limit/)
    },
  )

  it.each([
    ['not base64', '!!!'],
    ['a zero id', btoa('id:0')],
    ['not an id', btoa('id:abc')],
    ['without the prefix', btoa('17')],
    ['beyond 2^53 - 1', btoa('id:9007199254740992')],
  ])('rejects a cursor %s with 400', async (_, cursor) => {
    const account = await createTestAccount()

    const response = await call(
      'GET',
      historyPath(account.id, `?cursor=${encodeURIComponent(cursor)}`),
    )

    await expectError(response, 400, 'BAD_REQUEST', 'invalid cursor')
  })

  it('answers 404 for an unknown account', async () => {
    await expectError(
      await call('GET', historyPath(UNKNOWN_ACCOUNT)),
      404,
      'NOT_FOUND',
      "account doesn't exist",
    )
  })
})
