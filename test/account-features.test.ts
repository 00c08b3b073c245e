import { describe, expect, it } from 'vitest'
import {
  type AccountJson,
  call,
  createTestAccount,
  dataOf,
  db,
  executionCountOf,
  expectError,
  WIRE_DATE,
} from './helpers'

const featureNames: Record<number, string> = {
  1: 'IncreasedNumberOfJobExecutions100KPerMonth',
  2: 'IncreasedRetryMaxByFive',
  3: 'IncreasedJobPayloadSizeTo1MB',
  4: 'IncreasedExecutionLogs90DaysRetention',
  5: 'TeamMembers',
  6: 'IncreasedNumberOfClassifyRequests100KPerMonth',
  7: 'IncreasedNumberOfPromptRequests100KPerMonth',
}

const addFeature = (id: number, featureId: number) =>
  call('PUT', `/accounts/${id}/feature`, { body: { featureId } })
const removeFeature = (id: number, featureId: number) =>
  call('DELETE', `/accounts/${id}/feature`, { body: { featureId } })
const addAll = (id: number) => call('PUT', `/accounts/${id}/features/all`)
const removeAll = (id: number) => call('DELETE', `/accounts/${id}/features/all`)

async function accountOf(id: number): Promise<AccountJson> {
  const response = await call('GET', `/accounts/${id}`)
  expect(response.status).toBe(200)
  return dataOf<AccountJson>(response)
}

const featureIdsOf = async (id: number) =>
  (await accountOf(id)).features.map((link) => link.featureId)

// Feature changes stamp dateModified with second precision; clearing it first lets a test see
// whether one particular change set it.
const clearDateModified = (id: number) =>
  db().prepare('UPDATE accounts SET date_modified = NULL WHERE id = ?').bind(id).run()

describe('PUT /api/v1/accounts/{id}/feature', () => {
  it('answers 201 with the feature id when the feature is newly attached', async () => {
    const account = await createTestAccount()
    const response = await addFeature(account.id, 2)
    expect(response.status).toBe(201)
    expect(response.json).toEqual({ success: true, data: { featureId: 2 } })
  })

  it('answers 200 with the same body when the feature was already attached', async () => {
    const account = await createTestAccount()
    await addFeature(account.id, 2)
    const response = await addFeature(account.id, 2)
    expect(response.status).toBe(200)
    expect(response.json).toEqual({ success: true, data: { featureId: 2 } })
  })

  it('shows the attached feature on the account with its name', async () => {
    const account = await createTestAccount()
    await addFeature(account.id, 5)
    expect((await accountOf(account.id)).features).toEqual([
      { accountId: account.id, featureId: 5, feature: 'TeamMembers' },
    ])
  })

  it('grants the 100000 credits of feature 1 to executionCount at once', async () => {
    const account = await createTestAccount()
    await addFeature(account.id, 1)
    const count = await executionCountOf(account.id)
    expect(count.executionCount).toBe(101000)
    expect(count.monthlyAllowance).toBe(101000)
  })

  it('leaves executionCount unchanged for a feature without credits', async () => {
    const account = await createTestAccount()
    await addFeature(account.id, 2)
    const count = await executionCountOf(account.id)
    expect(count.executionCount).toBe(1000)
    expect(count.monthlyAllowance).toBe(1000)
  })

  it('grants the credits once when two attaches of one feature run concurrently', async () => {
    const account = await createTestAccount()
    const responses = await Promise.all([addFeature(account.id, 1), addFeature(account.id, 1)])
    expect(responses.map((response) => response.status).sort()).toEqual([200, 201])
    expect((await executionCountOf(account.id)).executionCount).toBe(101000)
  })

  it('grants the credits again when a detached feature is attached anew', async () => {
    const account = await createTestAccount()
    await addFeature(account.id, 1)
    await removeFeature(account.id, 1)
    await addFeature(account.id, 1)
    expect((await executionCountOf(account.id)).executionCount).toBe(201000)
  })

  it.each([8, 999, Number.MAX_SAFE_INTEGER])(
    'answers 404 "feature not found with id: %i" for an unknown feature',
    async (featureId) => {
      const account = await createTestAccount()
      const response = await addFeature(account.id, featureId)
      await expectError(response, 404, 'NOT_FOUND', `feature not found with id: ${featureId}`)
    },
  )

  it('attaches nothing when the feature is unknown', async () => {
    const account = await createTestAccount()
    await addFeature(account.id, 999)
    expect(await featureIdsOf(account.id)).toEqual([])
    expect((await executionCountOf(account.id)).executionCount).toBe(1000)
  })

  it('answers 404 for an unknown account', async () => {
    const response = await addFeature(987654321, 1)
    await expectError(response, 404, 'NOT_FOUND', "account doesn't exist")
  })

  it('accepts the request as the Go client sends it', async () => {
    const account = await createTestAccount()
    const response = await call('PUT', `/accounts/${account.id}/feature`, {
      rawBody: '{"featureId":3}\n',
      headers: {
        'Content-Type': 'application/json',
        'X-Peer': 'cmd',
        'X-Account-ID': String(account.id),
      },
    })
    expect(response.status).toBe(201)
    expect(await featureIdsOf(account.id)).toEqual([3])
  })

  it('parses the body as JSON whatever the Content-Type says', async () => {
    const account = await createTestAccount()
    const response = await call('PUT', `/accounts/${account.id}/feature`, {
      rawBody: '{"featureId":3}',
      headers: { 'Content-Type': 'text/plain' },
    })
    expect(response.status).toBe(201)
  })
})

describe('DELETE /api/v1/accounts/{id}/feature', () => {
  it('answers 204 with an empty body', async () => {
    const account = await createTestAccount()
    await addFeature(account.id, 2)
    const response = await removeFeature(account.id, 2)
    expect(response.status).toBe(204)
    expect(response.text).toBe('')
  })

  it('detaches the feature from the account', async () => {
    const account = await createTestAccount()
    await addFeature(account.id, 2)
    await addFeature(account.id, 3)
    await removeFeature(account.id, 2)
    expect(await featureIdsOf(account.id)).toEqual([3])
  })

  it('keeps the current executionCount but drops the credits from monthlyAllowance', async () => {
    const account = await createTestAccount()
    await addFeature(account.id, 1)
    await removeFeature(account.id, 1)
    const count = await executionCountOf(account.id)
    expect(count.executionCount).toBe(101000)
    expect(count.monthlyAllowance).toBe(1000)
  })

  it('answers 204 when the feature was not attached', async () => {
    const account = await createTestAccount()
    const response = await removeFeature(account.id, 4)
    expect(response.status).toBe(204)
    expect(response.text).toBe('')
  })

  it('accepts a JSON body with the Go client headers', async () => {
    const account = await createTestAccount()
    await addFeature(account.id, 2)
    const response = await call('DELETE', `/accounts/${account.id}/feature`, {
      rawBody: '{"featureId":2}\n',
      headers: {
        'Content-Type': 'application/json',
        'X-Peer': 'cmd',
        'X-Account-ID': String(account.id),
      },
    })
    expect(response.status).toBe(204)
    expect(await featureIdsOf(account.id)).toEqual([])
  })

  it('accepts a JSON body as the Node client sends it, with a string id in the path', async () => {
    const account = await createTestAccount()
    await addFeature(account.id, 2)
    const response = await call('DELETE', `/accounts/${String(account.id)}/feature`, {
      body: { featureId: 2 },
    })
    expect(response.status).toBe(204)
    expect(await featureIdsOf(account.id)).toEqual([])
  })

  it('answers 404 for an unknown account', async () => {
    const response = await removeFeature(987654321, 1)
    await expectError(response, 404, 'NOT_FOUND', "account doesn't exist")
  })
})

describe.each(['PUT', 'DELETE'])('%s /api/v1/accounts/{id}/feature validation', (method) => {
  it.each([
    ['a missing featureId', {}],
    ['a null featureId', { featureId: null }],
    ['featureId 0', { featureId: 0 }],
  ])('rejects %s with "feature id is required"', async (_, body) => {
    const account = await createTestAccount()
    const response = await call(method, `/accounts/${account.id}/feature`, { body })
    await expectError(response, 400, 'BAD_REQUEST', 'feature id is required')
  })

  it('rejects an empty body with "feature id is required"', async () => {
    const account = await createTestAccount()
    const response = await call(method, `/accounts/${account.id}/feature`, { rawBody: '' })
    await expectError(response, 400, 'BAD_REQUEST', 'feature id is required')
  })

  it.each([
    ['a string', '"1"'],
    ['a boolean', 'true'],
    ['a fraction', '1.5'],
    ['negative', '-1'],
    ['2^53', '9007199254740992'],
    ['beyond a double', '1e400'],
    ['an array', '[]'],
    ['an object', '{}'],
  ])('rejects a featureId that is %s with a message naming featureId', async (_, value) => {
    const account = await createTestAccount()
    const response = await call(method, `/accounts/${account.id}/feature`, {
      rawBody: `{"featureId":${value}}`,
    })
    await expectError(response, 400, 'BAD_REQUEST', /featureId/)
  })

  it.each([
    ['malformed JSON', '{"featureId": 1'],
    ['a JSON array', '[{"featureId": 1}]'],
    ['a bare number', '1'],
  ])('rejects a body that is %s', async (_, rawBody) => {
    const account = await createTestAccount()
    const response = await call(method, `/accounts/${account.id}/feature`, { rawBody })
    await expectError(response, 400, 'BAD_REQUEST')
  })
})

describe('PUT /api/v1/accounts/{id}/features/all', () => {
  it('answers 200 with the success message', async () => {
    const account = await createTestAccount()
    const response = await addAll(account.id)
    expect(response.status).toBe(200)
    expect(response.json).toEqual({
      success: true,
      data: { message: 'All features added successfully' },
    })
  })

  it('attaches all seven features, ordered by featureId', async () => {
    const account = await createTestAccount()
    await addAll(account.id)
    expect((await accountOf(account.id)).features).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((featureId) => ({
        accountId: account.id,
        featureId,
        feature: featureNames[featureId],
      })),
    )
  })

  it('grants the credits of feature 1 and raises monthlyAllowance', async () => {
    const account = await createTestAccount()
    await addAll(account.id)
    const count = await executionCountOf(account.id)
    expect(count.executionCount).toBe(101000)
    expect(count.monthlyAllowance).toBe(101000)
  })

  it.each([
    ['an empty body', { rawBody: '' }],
    ['no body at all, with Content-Length: 0', { headers: { 'Content-Length': '0' } }],
    ['a JSON body', { body: { featureId: 999 } }],
    ['a body that is not JSON', { rawBody: 'garbage {{{' }],
    ['the Go client headers', { headers: { 'Content-Type': 'application/json', 'X-Peer': 'cmd' } }],
  ])('attaches every feature whatever the body: %s', async (_, options) => {
    const account = await createTestAccount()
    const response = await call('PUT', `/accounts/${account.id}/features/all`, options)
    expect(response.status).toBe(200)
    expect(await featureIdsOf(account.id)).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  it('answers 404 for an unknown account', async () => {
    const response = await addAll(987654321)
    await expectError(response, 404, 'NOT_FOUND', "account doesn't exist")
  })
})

describe('DELETE /api/v1/accounts/{id}/features/all', () => {
  it('answers 200 with the success message', async () => {
    const account = await createTestAccount()
    await addAll(account.id)
    const response = await removeAll(account.id)
    expect(response.status).toBe(200)
    expect(response.json).toEqual({
      success: true,
      data: { message: 'All features removed successfully' },
    })
  })

  it('detaches every feature', async () => {
    const account = await createTestAccount()
    await addAll(account.id)
    await removeAll(account.id)
    expect((await accountOf(account.id)).features).toEqual([])
  })

  it('keeps the current executionCount but drops the credits from monthlyAllowance', async () => {
    const account = await createTestAccount()
    await addAll(account.id)
    await removeAll(account.id)
    const count = await executionCountOf(account.id)
    expect(count.executionCount).toBe(101000)
    expect(count.monthlyAllowance).toBe(1000)
  })

  it('answers 200 when no feature is attached', async () => {
    const account = await createTestAccount()
    const response = await removeAll(account.id)
    expect(response.status).toBe(200)
  })

  it('accepts a body that is not JSON and ignores it', async () => {
    const account = await createTestAccount()
    await addAll(account.id)
    const response = await call('DELETE', `/accounts/${account.id}/features/all`, {
      rawBody: 'garbage {{{',
    })
    expect(response.status).toBe(200)
    expect(await featureIdsOf(account.id)).toEqual([])
  })

  it('answers 404 for an unknown account', async () => {
    const response = await removeAll(987654321)
    await expectError(response, 404, 'NOT_FOUND', "account doesn't exist")
  })
})

describe('feature credits', () => {
  const add1 = (id: number) => addFeature(id, 1)
  it.each([
    ['feature 1 twice', [add1, add1]],
    ['add-all after feature 1', [add1, addAll]],
    ['feature 1 after add-all', [addAll, add1]],
    ['add-all twice', [addAll, addAll]],
  ])('are granted once when adding %s', async (_, steps) => {
    const account = await createTestAccount()
    for (const step of steps) expect((await step(account.id)).status).toBeLessThan(300)
    const count = await executionCountOf(account.id)
    expect(count.executionCount).toBe(101000)
    expect(count.monthlyAllowance).toBe(101000)
  })
})

describe('account features', () => {
  it('are ordered by featureId on GET by id whatever the order they were added in', async () => {
    const account = await createTestAccount()
    for (const featureId of [7, 2, 5]) await addFeature(account.id, featureId)
    expect(await featureIdsOf(account.id)).toEqual([2, 5, 7])
  })

  it('are ordered by featureId in the account listing', async () => {
    const account = await createTestAccount()
    for (const featureId of [6, 1, 4]) await addFeature(account.id, featureId)
    let cursor: string | null = null
    let listed: AccountJson | undefined
    do {
      const after: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`
      const page = dataOf<{ accounts: AccountJson[]; nextCursor: string | null }>(
        await call('GET', `/accounts?limit=100${after}`),
      )
      listed ??= page.accounts.find((candidate) => candidate.id === account.id)
      cursor = page.nextCursor
    } while (cursor !== null)
    expect(listed?.features.map((link) => link.featureId)).toEqual([1, 4, 6])
  })
})

describe('dateModified', () => {
  it.each([
    ['attaching one feature', (id: number) => addFeature(id, 2)],
    ['attaching all features', addAll],
  ])('is set by %s', async (_, change) => {
    const account = await createTestAccount()
    await change(account.id)
    expect((await accountOf(account.id)).dateModified).toMatch(WIRE_DATE)
  })

  it.each([
    ['detaching one feature', (id: number) => removeFeature(id, 2)],
    ['detaching all features', removeAll],
  ])('is set by %s', async (_, change) => {
    const account = await createTestAccount()
    await addFeature(account.id, 2)
    await clearDateModified(account.id)
    await change(account.id)
    expect((await accountOf(account.id)).dateModified).toMatch(WIRE_DATE)
  })

  it('stays null when an attach changes nothing', async () => {
    const account = await createTestAccount()
    await addFeature(account.id, 2)
    await clearDateModified(account.id)
    await addFeature(account.id, 2)
    expect((await accountOf(account.id)).dateModified).toBeNull()
  })
})
