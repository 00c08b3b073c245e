import { describe, expect, it } from 'vitest'
import {
  call,
  createTestAccount,
  dataOf,
  type ExecutionCountJson,
  executionCountOf,
  expectError,
  WIRE_DATE,
} from './helpers'

const MAX = Number.MAX_SAFE_INTEGER

const increase = (id: number, count: unknown) =>
  call('PUT', `/accounts/${id}/execution-count`, { body: { count } })

const newCountOf = (response: Awaited<ReturnType<typeof call>>) =>
  dataOf<{ newExecutionCount: number }>(response).newExecutionCount

describe('GET /api/v1/accounts/{id}/execution-count', () => {
  it('answers 200 with exactly the fields of the contract, in its order', async () => {
    const account = await createTestAccount()
    const response = await call('GET', `/accounts/${account.id}/execution-count`)
    expect(response.status).toBe(200)
    const data = dataOf<ExecutionCountJson>(response)
    expect(Object.keys(data)).toEqual([
      'id',
      'accountId',
      'executionCount',
      'monthlyAllowance',
      'dateCreated',
      'dateModified',
      'nextResetDate',
    ])
  })

  it('describes a new account: base allowance, created with it, never modified', async () => {
    const account = await createTestAccount()
    const response = await call('GET', `/accounts/${account.id}/execution-count`)
    expect(response.json).toEqual({
      success: true,
      data: {
        id: expect.any(Number),
        accountId: account.id,
        executionCount: 1000,
        monthlyAllowance: 1000,
        dateCreated: account.dateCreated,
        dateModified: null,
        nextResetDate: expect.stringMatching(WIRE_DATE),
      },
    })
  })

  it('answers 404 for an unknown account', async () => {
    const response = await call('GET', '/accounts/987654321/execution-count')
    await expectError(response, 404, 'NOT_FOUND', "account doesn't exist")
  })
})

describe('PUT /api/v1/accounts/{id}/execution-count', () => {
  it('answers 200 with the new execution count', async () => {
    const account = await createTestAccount()
    const response = await increase(account.id, 500)
    expect(response.status).toBe(200)
    expect(response.json).toEqual({ success: true, data: { newExecutionCount: 1500 } })
  })

  it('stores the increased count', async () => {
    const account = await createTestAccount()
    await increase(account.id, 250)
    expect((await executionCountOf(account.id)).executionCount).toBe(1250)
  })

  it('adds successive increases up', async () => {
    const account = await createTestAccount()
    await increase(account.id, 1)
    await increase(account.id, 20)
    const response = await increase(account.id, 300)
    expect(newCountOf(response)).toBe(1321)
  })

  it('leaves nextResetDate and monthlyAllowance unchanged', async () => {
    const account = await createTestAccount()
    const before = await executionCountOf(account.id)
    await increase(account.id, 10)
    const after = await executionCountOf(account.id)
    expect(after.nextResetDate).toBe(before.nextResetDate)
    expect(after.monthlyAllowance).toBe(before.monthlyAllowance)
  })

  it('sets dateModified to the time of the increase', async () => {
    const account = await createTestAccount()
    const before = Math.floor(Date.now() / 1000) * 1000
    await increase(account.id, 10)
    const response = await call('GET', `/accounts/${account.id}/execution-count`)
    const modified = dataOf<ExecutionCountJson>(response).dateModified
    expect(modified).toMatch(WIRE_DATE)
    expect(Date.parse(modified ?? '')).toBeGreaterThanOrEqual(before)
    expect(Date.parse(modified ?? '')).toBeLessThanOrEqual(Date.now())
  })

  it('treats count 0 as a no-op that answers the current value', async () => {
    const account = await createTestAccount()
    await increase(account.id, 7)
    const response = await increase(account.id, 0)
    expect(response.status).toBe(200)
    expect(newCountOf(response)).toBe(1007)
    expect((await executionCountOf(account.id)).executionCount).toBe(1007)
  })

  it('accepts a count that brings the stored value exactly to 2^53 - 1', async () => {
    const account = await createTestAccount()
    const response = await increase(account.id, MAX - 1000)
    expect(response.status).toBe(200)
    expect(newCountOf(response)).toBe(MAX)
  })

  it.each([
    ['count 2^53 - 1 on a fresh account', [], MAX],
    ['count 1 on an account at 2^53 - 1', [MAX - 1000], 1],
    ['count 2 on an account at 2^53 - 2', [MAX - 1001], 2],
  ])('rejects %s with 400 and changes nothing', async (_, setup, count) => {
    const account = await createTestAccount()
    for (const step of setup) expect((await increase(account.id, step)).status).toBe(200)
    const before = await executionCountOf(account.id)
    const response = await increase(account.id, count)
    await expectError(response, 400, 'BAD_REQUEST', /9007199254740991/)
    expect(await executionCountOf(account.id)).toEqual(before)
  })

  it('accepts the request as the Go client sends it', async () => {
    const account = await createTestAccount()
    const response = await call('PUT', `/accounts/${account.id}/execution-count`, {
      rawBody: '{"count":5}\n',
      headers: {
        'Content-Type': 'application/json',
        'X-Peer': 'cmd',
        'X-Account-ID': String(account.id),
      },
    })
    expect(response.status).toBe(200)
    expect(newCountOf(response)).toBe(1005)
  })

  it('ignores unknown fields in the body', async () => {
    const account = await createTestAccount()
    const response = await call('PUT', `/accounts/${account.id}/execution-count`, {
      body: { count: 3, accountId: 999, executionCount: 0 },
    })
    expect(newCountOf(response)).toBe(1003)
  })

  it('answers 404 for an unknown account', async () => {
    const response = await increase(987654321, 1)
    await expectError(response, 404, 'NOT_FOUND', "account doesn't exist")
  })

  it.each([
    ['a missing count', '{}'],
    ['an empty body', ''],
    ['a null count', '{"count":null}'],
    ['a string count', '{"count":"5"}'],
    ['a fractional count', '{"count":1.5}'],
    ['a negative count', '{"count":-1}'],
    ['a count of 2^53', '{"count":9007199254740992}'],
    ['a count beyond a double', '{"count":1e400}'],
    ['a boolean count', '{"count":true}'],
    ['an array count', '{"count":[5]}'],
    ['an object count', '{"count":{"value":5}}'],
    ['malformed JSON', '{"count":5'],
  ])('rejects %s with 400 and a message naming count', async (_, rawBody) => {
    const account = await createTestAccount()
    const response = await call('PUT', `/accounts/${account.id}/execution-count`, { rawBody })
    await expectError(response, 400, 'BAD_REQUEST', /count/)
  })

  it('rejects a missing count with "count is required"', async () => {
    const account = await createTestAccount()
    const response = await increase(account.id, undefined)
    await expectError(response, 400, 'BAD_REQUEST', 'count is required')
  })

  it('rejects a body that is a JSON array', async () => {
    const account = await createTestAccount()
    const response = await call('PUT', `/accounts/${account.id}/execution-count`, {
      rawBody: '[{"count":5}]',
    })
    await expectError(response, 400, 'BAD_REQUEST')
  })

  it('leaves the count unchanged when the request is rejected', async () => {
    const account = await createTestAccount()
    await increase(account.id, -5)
    expect((await executionCountOf(account.id)).executionCount).toBe(1000)
  })

  it('raises the count by exactly the sum of 200 concurrent increases', async () => {
    const account = await createTestAccount()
    const counts = Array.from({ length: 200 }, (_, i) => i + 1)
    const responses = await Promise.all(counts.map((count) => increase(account.id, count)))
    expect(responses.every((response) => response.status === 200)).toBe(true)
    const sum = counts.reduce((total, count) => total + count, 0)
    expect((await executionCountOf(account.id)).executionCount).toBe(1000 + sum)
  })
})
