import { describe, expect, it } from 'vitest'
import {
  type AccountJson,
  call,
  createTestAccount,
  dataOf,
  executionCountOf,
  expectError,
  WIRE_DATE,
} from './helpers'

const MAX_ID = Number.MAX_SAFE_INTEGER

interface AccountPage {
  accounts: AccountJson[]
  nextCursor: string | null
}

// Written independently of src/time.ts so the test does not share the code it checks.
function oneMonthLater(date: string): string {
  const d = new Date(date)
  const year = d.getUTCFullYear()
  const month = d.getUTCMonth() + 1
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate()
  const day = Math.min(d.getUTCDate(), lastDay)
  const next = Date.UTC(year, month, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds())
  return new Date(next).toISOString().replace('.000Z', 'Z')
}

async function listPage(query: string): Promise<AccountPage> {
  const response = await call('GET', `/accounts${query}`)
  expect(response.status).toBe(200)
  return dataOf<AccountPage>(response)
}

/** Every page of the listing, following nextCursor from the start. */
async function allPages(limit: number): Promise<AccountPage[]> {
  const pages: AccountPage[] = []
  let cursor: string | null = null
  do {
    const after: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`
    const page = await listPage(`?limit=${limit}${after}`)
    pages.push(page)
    cursor = page.nextCursor
  } while (cursor !== null)
  return pages
}

const idsOf = (pages: AccountPage[]) => pages.flatMap((page) => page.accounts.map((a) => a.id))

describe('POST /api/v1/accounts', () => {
  it('creates an account and answers 201 with it', async () => {
    const response = await call('POST', '/accounts', { body: { name: 'Acme' } })
    expect(response.status).toBe(201)
    expect(response.json).toEqual({
      success: true,
      data: {
        id: expect.any(Number),
        name: 'Acme',
        features: [],
        dateCreated: expect.stringMatching(WIRE_DATE),
        dateModified: null,
      },
    })
  })

  it('stamps dateCreated with the time of the request', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000
    const account = await createTestAccount()
    const after = Date.now()
    const created = Date.parse(account.dateCreated)
    expect(created).toBeGreaterThanOrEqual(before)
    expect(created).toBeLessThanOrEqual(after)
  })

  it('makes the new account readable by its id', async () => {
    const account = await createTestAccount('Readable')
    const response = await call('GET', `/accounts/${account.id}`)
    expect(response.status).toBe(200)
    expect(dataOf<AccountJson>(response)).toEqual(account)
  })

  it('trims the name', async () => {
    const account = await createTestAccount('  \t Acme Corp \n ')
    expect(account.name).toBe('Acme Corp')
  })

  it('allows duplicate names', async () => {
    const first = await createTestAccount('Same Name')
    const second = await createTestAccount('Same Name')
    expect(second.id).not.toBe(first.id)
    expect(second.name).toBe(first.name)
  })

  it('ignores an id in the body', async () => {
    const existing = await createTestAccount()
    const response = await call('POST', '/accounts', { body: { id: existing.id, name: 'New' } })
    expect(response.status).toBe(201)
    const created = dataOf<AccountJson>(response)
    expect(created.id).toBeGreaterThan(existing.id)
    const untouched = await call('GET', `/accounts/${existing.id}`)
    expect(dataOf<AccountJson>(untouched).name).toBe('Test Account')
  })

  it('ignores unknown fields', async () => {
    const response = await call('POST', '/accounts', {
      body: { name: 'Extra', plan: 'gold', features: [1, 2] },
    })
    expect(response.status).toBe(201)
    expect(dataOf<AccountJson>(response).features).toEqual([])
  })

  it('parses the body as JSON whatever the Content-Type says', async () => {
    const response = await call('POST', '/accounts', {
      rawBody: '{"name":"Plain text"}',
      headers: { 'Content-Type': 'text/plain' },
    })
    expect(response.status).toBe(201)
    expect(dataOf<AccountJson>(response).name).toBe('Plain text')
  })

  it('accepts a JSON body followed by a newline, as the Go client sends it', async () => {
    const response = await call('POST', '/accounts', {
      rawBody: '{"name":"From Go"}\n',
      headers: { 'Content-Type': 'application/json', 'X-Peer': 'cmd' },
    })
    expect(response.status).toBe(201)
    expect(dataOf<AccountJson>(response).name).toBe('From Go')
  })

  it('creates the execution count with the base allowance', async () => {
    const account = await createTestAccount()
    const count = await executionCountOf(account.id)
    expect(count.executionCount).toBe(1000)
    expect(count.monthlyAllowance).toBe(1000)
  })

  it('sets nextResetDate to one month after the creation time', async () => {
    const account = await createTestAccount()
    const count = await executionCountOf(account.id)
    expect(count.nextResetDate).toBe(oneMonthLater(account.dateCreated))
  })

  it.each([
    ['a missing name', {}],
    ['a null name', { name: null }],
    ['an empty name', { name: '' }],
    ['a name of spaces', { name: '   ' }],
    ['a name of whitespace of every kind', { name: ' \t\n\r ' }],
  ])('rejects %s with "account name is required"', async (_, body) => {
    const response = await call('POST', '/accounts', { body })
    await expectError(response, 400, 'BAD_REQUEST', 'account name is required')
  })

  it.each([
    ['a number', 42],
    ['a boolean', true],
    ['an array', ['Acme']],
    ['an object', { first: 'Acme' }],
  ])('rejects a name that is %s with a message naming the field', async (_, name) => {
    const response = await call('POST', '/accounts', { body: { name } })
    await expectError(response, 400, 'BAD_REQUEST', /name/)
  })

  it('rejects a name longer than 255 characters', async () => {
    const response = await call('POST', '/accounts', { body: { name: 'a'.repeat(256) } })
    await expectError(response, 400, 'BAD_REQUEST', /name/)
  })

  it.each([
    ['255 ASCII characters', 'a'.repeat(255)],
    ['255 characters outside the BMP', '😀'.repeat(255)],
    ['255 characters padded with spaces', `  ${'b'.repeat(255)}  `],
  ])('accepts a name of %s', async (_, name) => {
    const response = await call('POST', '/accounts', { body: { name } })
    expect(response.status).toBe(201)
    expect(dataOf<AccountJson>(response).name).toBe(name.trim())
  })

  it('rejects a name containing a control character', async () => {
    const response = await call('POST', '/accounts', { body: { name: 'Ac\u0000me' } })
    await expectError(response, 400, 'BAD_REQUEST', /name/)
  })

  it.each([
    ['malformed JSON', '{"name": "Acme"'],
    ['a JSON array', '["Acme"]'],
    ['a JSON string', '"Acme"'],
    ['JSON null', 'null'],
  ])('rejects a body that is %s', async (_, rawBody) => {
    const response = await call('POST', '/accounts', { rawBody })
    await expectError(response, 400, 'BAD_REQUEST')
  })
})

describe('GET /api/v1/accounts', () => {
  it('answers with accounts and nextCursor in the envelope', async () => {
    await createTestAccount()
    const response = await call('GET', '/accounts')
    expect(response.status).toBe(200)
    expect(response.json).toEqual({
      success: true,
      data: {
        accounts: expect.any(Array),
        nextCursor: expect.toBeOneOf([null, expect.any(String)]),
      },
    })
  })

  it('lists accounts by id ascending', async () => {
    const created = [
      await createTestAccount(),
      await createTestAccount(),
      await createTestAccount(),
    ]
    const ids = idsOf(await allPages(100))
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    const positions = created.map((account) => ids.indexOf(account.id))
    expect(positions.every((position) => position >= 0)).toBe(true)
    expect(positions).toEqual([...positions].sort((a, b) => a - b))
  })

  it('lists each account as GET by id shows it', async () => {
    const account = await createTestAccount('Listed')
    const listed = (await allPages(100))
      .flatMap((page) => page.accounts)
      .find((candidate) => candidate.id === account.id)
    expect(listed).toEqual(account)
  })

  it('walks every account exactly once when following nextCursor', async () => {
    await Promise.all([createTestAccount(), createTestAccount(), createTestAccount()])
    const small = await allPages(2)
    const whole = await allPages(100)
    expect(idsOf(small)).toEqual(idsOf(whole))
    expect(new Set(idsOf(small)).size).toBe(idsOf(small).length)
  })

  it('fills every page but the last and sets nextCursor null only on the last', async () => {
    await createTestAccount()
    const pages = await allPages(1)
    const last = pages.at(-1)
    expect(last?.nextCursor).toBeNull()
    expect(last?.accounts).toHaveLength(1)
    for (const page of pages.slice(0, -1)) {
      expect(page.accounts).toHaveLength(1)
      expect(page.nextCursor).toEqual(expect.any(String))
    }
  })

  it('answers 50 accounts per page by default', async () => {
    await Promise.all(Array.from({ length: 51 }, () => createTestAccount()))
    const page = await listPage('')
    expect(page.accounts).toHaveLength(50)
    expect(page.nextCursor).toEqual(expect.any(String))
  })

  it('accepts limit=100', async () => {
    await createTestAccount()
    const page = await listPage('?limit=100')
    expect(page.accounts.length).toBeGreaterThan(0)
    expect(page.accounts.length).toBeLessThanOrEqual(100)
  })

  it.each(['0', '101', '-1', 'abc', '1.5', '', '1e2', ' 5', '1000'])(
    'rejects limit=%j',
    async (limit) => {
      const response = await call('GET', `/accounts?limit=${encodeURIComponent(limit)}`)
      await expectError(response, 400, 'BAD_REQUEST', /limit/)
    },
  )

  it.each([
    ['garbage', 'not a cursor!'],
    ['empty', ''],
    ['base64 of text', btoa('hello')],
    ['a zero id', btoa('id:0')],
    ['a negative id', btoa('id:-1')],
    ['a non-numeric id', btoa('id:abc')],
    ['an id past 2^53 - 1', btoa('id:9007199254740992')],
  ])('rejects a cursor that is %s', async (_, cursor) => {
    const response = await call('GET', `/accounts?cursor=${encodeURIComponent(cursor)}`)
    await expectError(response, 400, 'BAD_REQUEST', 'invalid cursor')
  })
})

describe('GET /api/v1/accounts/{id}', () => {
  it('answers 200 with the account', async () => {
    const account = await createTestAccount('Fetched')
    const response = await call('GET', `/accounts/${account.id}`)
    expect(response.status).toBe(200)
    expect(response.json).toEqual({ success: true, data: account })
  })

  it.each([
    ['an id never issued', 987654321],
    ['the largest valid id', MAX_ID],
  ])('answers 404 for %s', async (_, id) => {
    const response = await call('GET', `/accounts/${id}`)
    await expectError(response, 404, 'NOT_FOUND', "account doesn't exist")
  })

  it('answers 400 "account id is required" for id 0', async () => {
    const response = await call('GET', '/accounts/0')
    await expectError(response, 400, 'BAD_REQUEST', 'account id is required')
  })

  it.each([
    'abc',
    '-1',
    '1.5',
    '9007199254740992',
    '99999999999999999999',
    '1e3',
    ' 1',
    '1 ',
    '+1',
    '0x1',
    '１',
    '1a',
  ])('answers 400 "invalid account id: <raw>" for %j', async (raw) => {
    const response = await call('GET', `/accounts/${encodeURIComponent(raw)}`)
    await expectError(response, 400, 'BAD_REQUEST', `invalid account id: ${raw}`)
  })
})

describe('PUT /api/v1/accounts/{id}', () => {
  it('renames the account and answers 200 with it', async () => {
    const account = await createTestAccount('Old Name')
    const response = await call('PUT', `/accounts/${account.id}`, { body: { name: 'New Name' } })
    expect(response.status).toBe(200)
    expect(response.json).toEqual({
      success: true,
      data: { ...account, name: 'New Name', dateModified: expect.stringMatching(WIRE_DATE) },
    })
  })

  it('sets dateModified to the time of the rename', async () => {
    const account = await createTestAccount('Old Name')
    const before = Math.floor(Date.now() / 1000) * 1000
    const response = await call('PUT', `/accounts/${account.id}`, { body: { name: 'Renamed' } })
    const modified = Date.parse(dataOf<AccountJson>(response).dateModified ?? '')
    expect(modified).toBeGreaterThanOrEqual(before)
    expect(modified).toBeLessThanOrEqual(Date.now())
  })

  it('keeps the new name for later reads', async () => {
    const account = await createTestAccount('Old Name')
    await call('PUT', `/accounts/${account.id}`, { body: { name: 'Stored Name' } })
    const response = await call('GET', `/accounts/${account.id}`)
    expect(dataOf<AccountJson>(response).name).toBe('Stored Name')
  })

  it('trims the new name', async () => {
    const account = await createTestAccount()
    const response = await call('PUT', `/accounts/${account.id}`, { body: { name: '  Trim  ' } })
    expect(dataOf<AccountJson>(response).name).toBe('Trim')
  })

  it('keeps the attached features', async () => {
    const account = await createTestAccount()
    await call('PUT', `/accounts/${account.id}/feature`, { body: { featureId: 2 } })
    const response = await call('PUT', `/accounts/${account.id}`, { body: { name: 'Renamed' } })
    expect(dataOf<AccountJson>(response).features).toEqual([
      { accountId: account.id, featureId: 2, feature: 'IncreasedRetryMaxByFive' },
    ])
  })

  it.each([
    ['a missing name', {}],
    ['an empty name', { name: '' }],
    ['a name of spaces', { name: '   ' }],
  ])('rejects %s with "account name is required"', async (_, body) => {
    const account = await createTestAccount()
    const response = await call('PUT', `/accounts/${account.id}`, { body })
    await expectError(response, 400, 'BAD_REQUEST', 'account name is required')
  })

  it.each([
    ['a name longer than 255 characters', { name: 'a'.repeat(256) }],
    ['a name that is not a string', { name: 7 }],
  ])('rejects %s with a message naming the field', async (_, body) => {
    const account = await createTestAccount()
    const response = await call('PUT', `/accounts/${account.id}`, { body })
    await expectError(response, 400, 'BAD_REQUEST', /name/)
  })

  it('leaves the name unchanged when the rename is rejected', async () => {
    const account = await createTestAccount('Kept')
    await call('PUT', `/accounts/${account.id}`, { body: { name: '' } })
    const response = await call('GET', `/accounts/${account.id}`)
    expect(dataOf<AccountJson>(response)).toEqual(account)
  })

  it('answers 404 for an unknown account', async () => {
    const response = await call('PUT', '/accounts/987654321', { body: { name: 'Ghost' } })
    await expectError(response, 404, 'NOT_FOUND', "account doesn't exist")
  })
})

// Every route with an {id} in its path validates the id the same way.
const idRoutes: [method: string, suffix: string, body?: unknown][] = [
  ['GET', ''],
  ['PUT', '', { name: 'x' }],
  ['PUT', '/feature', { featureId: 1 }],
  ['DELETE', '/feature', { featureId: 1 }],
  ['PUT', '/features/all'],
  ['DELETE', '/features/all'],
  ['GET', '/execution-count'],
  ['PUT', '/execution-count', { count: 1 }],
  ['POST', '/execution-count/consume', { count: 1 }],
  ['GET', '/execution-count/history'],
]

describe.each(idRoutes)('%s /api/v1/accounts/{id}%s', (method, suffix, body) => {
  it('answers 400 "account id is required" for id 0', async () => {
    const response = await call(method, `/accounts/0${suffix}`, { body })
    await expectError(response, 400, 'BAD_REQUEST', 'account id is required')
  })

  it.each(['abc', '-1', '9007199254740992'])('answers 400 for the id %j', async (raw) => {
    const response = await call(method, `/accounts/${raw}${suffix}`, { body })
    await expectError(response, 400, 'BAD_REQUEST', `invalid account id: ${raw}`)
  })
})
