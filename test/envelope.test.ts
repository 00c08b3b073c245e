import { env, exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../src/app'
import {
  ADMIN,
  basic,
  call,
  type CallOptions,
  createTestAccount,
  db,
  executionCountOf,
  expectError,
  uniqueClientAddress,
} from './helpers'

const ORIGIN = 'http://accounts.test'
const LIMIT = 16 * 1024
const adminAuthorization = basic(ADMIN.username, ADMIN.password)

/** Calls a path from the origin, so paths outside /api/v1 can be reached too. */
async function fetchPath(method: string, path: string) {
  const response = await exports.default.fetch(`${ORIGIN}${path}`, {
    method,
    headers: { Authorization: adminAuthorization },
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, json: JSON.parse(text) }
}

/** A JSON body of exactly `size` bytes that creates an account. */
const accountBodyOfSize = (size: number) => {
  const json = '{"name":"Sized"}'
  return json + ' '.repeat(size - json.length)
}

/** Every row of every table, to show that a request changed nothing. */
async function snapshot() {
  const tables = ['accounts', 'account_features', 'execution_counts', 'execution_history']
  const rows = await db().batch(
    tables.map((table) => db().prepare(`SELECT * FROM ${table} ORDER BY rowid`)),
  )
  return rows.map((result) => result.results)
}

describe('unknown paths', () => {
  it.each([
    '/',
    '/api',
    '/api/v1/nope',
    '/api/v2/accounts',
    '/api/v1/account',
    '/api/v1/accounts/1/nope',
    '/api/v1/accounts/1/feature/2',
    '/api/v1/accounts/1/execution-count/nope',
  ])('answer 404 in the envelope for %s', async (path) => {
    const response = await fetchPath('GET', path)
    await expectError(response, 404, 'NOT_FOUND')
  })
})

describe('known paths with an unsupported method', () => {
  it.each([
    ['POST', '/healthcheck', 'GET, HEAD'],
    ['DELETE', '/accounts', 'GET, HEAD, POST'],
    ['PATCH', '/accounts/1', 'GET, HEAD, PUT'],
    ['DELETE', '/accounts/1', 'GET, HEAD, PUT'],
    ['POST', '/features', 'GET, HEAD'],
    ['GET', '/accounts/1/feature', 'DELETE, PUT'],
    ['POST', '/accounts/1/features/all', 'DELETE, PUT'],
    ['DELETE', '/accounts/1/execution-count', 'GET, HEAD, PUT'],
    ['GET', '/accounts/1/execution-count/consume', 'POST'],
    ['POST', '/accounts/1/execution-count/history', 'GET, HEAD'],
  ])('answer 405 in the envelope to %s %s, allowing %s', async (method, path, allowed) => {
    const response = await call(method, path)
    await expectError(response, 405, 'METHOD_NOT_ALLOWED')
    const allow = (response.headers.get('Allow') ?? '').split(/,\s*/).sort().join(', ')
    expect(allow).toBe(allowed)
  })
})

describe('request bodies over 16 KiB', () => {
  it.each([
    ['POST', '/accounts'],
    ['PUT', '/accounts/1'],
    ['PUT', '/accounts/1/feature'],
    ['DELETE', '/accounts/1/feature'],
    ['PUT', '/accounts/1/features/all'],
    ['PUT', '/accounts/1/execution-count'],
  ])('answer 413 PAYLOAD_TOO_LARGE to %s %s with a declared length', async (method, path) => {
    const response = await call(method, path, { rawBody: accountBodyOfSize(LIMIT + 1) })
    await expectError(response, 413, 'PAYLOAD_TOO_LARGE')
  })

  it('answer 413 when streamed without a declared length', async () => {
    const account = await createTestAccount()
    const chunk = new TextEncoder().encode(' '.repeat(1024))
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > LIMIT) return controller.close()
        sent += chunk.byteLength
        controller.enqueue(chunk)
      },
    })
    const request = new Request(`${ORIGIN}/api/v1/accounts/${account.id}/execution-count`, {
      method: 'PUT',
      headers: { Authorization: adminAuthorization },
      body,
    })
    expect(request.headers.get('Content-Length')).toBeNull()
    const response = await createApp().fetch(request, env)
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' })
  })

  it('are refused without creating anything', async () => {
    const before = await snapshot()
    await call('POST', '/accounts', { rawBody: accountBodyOfSize(LIMIT + 1) })
    expect(await snapshot()).toEqual(before)
  })

  it('of exactly 16 KiB are accepted', async () => {
    const response = await call('POST', '/accounts', { rawBody: accountBodyOfSize(LIMIT) })
    expect(response.status).toBe(201)
  })
})

describe('X-Request-Id', () => {
  it.each(['abc-123', 'A.b_c:d-e', 'x'.repeat(128), '0f8fad5b-d9cb-469f-a165-70867728950e'])(
    'echoes the valid incoming id %s',
    async (id) => {
      const response = await call('GET', '/features', { headers: { 'X-Request-Id': id } })
      expect(response.headers.get('X-Request-Id')).toBe(id)
    },
  )

  it.each([
    ['one with a space', 'has space'],
    ['one over 128 characters', 'x'.repeat(129)],
    ['one with a semicolon', 'a;b'],
    ['one with a slash', 'a/b'],
  ])('replaces %s with a generated id', async (_, id) => {
    const response = await call('GET', '/features', { headers: { 'X-Request-Id': id } })
    const generated = response.headers.get('X-Request-Id')
    expect(generated).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
    expect(generated).not.toBe(id)
  })

  it('is generated afresh for each request that sends none', async () => {
    const first = await call('GET', '/features')
    const second = await call('GET', '/features')
    expect(first.headers.get('X-Request-Id')).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
    expect(second.headers.get('X-Request-Id')).not.toBe(first.headers.get('X-Request-Id'))
  })

  it('is echoed on an error response', async () => {
    const response = await call('GET', '/accounts/987654321', {
      headers: { 'X-Request-Id': 'trace-404' },
    })
    expect(response.status).toBe(404)
    expect(response.headers.get('X-Request-Id')).toBe('trace-404')
  })
})

describe('security headers', () => {
  const cases: [
    label: string,
    method: string,
    path: (id: number) => string,
    options: CallOptions,
  ][] = [
    ['200 healthcheck', 'GET', () => '/healthcheck', { auth: null }],
    ['200 with data', 'GET', (id) => `/accounts/${id}`, {}],
    ['201', 'POST', () => '/accounts', { body: { name: 'Headers' } }],
    ['204', 'DELETE', (id) => `/accounts/${id}/feature`, { body: { featureId: 2 } }],
    ['400', 'GET', () => '/accounts/abc', {}],
    ['401', 'GET', () => '/features', { auth: null }],
    ['404', 'GET', () => '/accounts/987654321', {}],
    ['405', 'PATCH', () => '/features', {}],
    ['413', 'POST', () => '/accounts', { rawBody: 'x'.repeat(LIMIT + 1) }],
  ]

  it.each(cases)('are set on a %s response', async (_, method, path, options) => {
    const account = await createTestAccount()
    const response = await call(method, path(account.id), {
      ...options,
      headers: { 'CF-Connecting-IP': uniqueClientAddress() },
    })
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(response.headers.get('X-Request-Id')).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
  })
})

describe('a 204 response', () => {
  it('has an empty body', async () => {
    const account = await createTestAccount()
    const response = await call('DELETE', `/accounts/${account.id}/feature`, {
      body: { featureId: 3 },
    })
    expect(response.status).toBe(204)
    expect(response.text).toBe('')
  })
})

describe('rejected requests', () => {
  const own = (suffix: string) => (id: number) => `/accounts/${id}${suffix}`
  const unknown = (suffix: string) => () => `/accounts/987654321${suffix}`
  const accounts = () => '/accounts'
  const cases: [string, number, string, (id: number) => string, CallOptions][] = [
    ['an empty name', 400, 'POST', accounts, { body: { name: '' } }],
    ['a name too long', 400, 'POST', accounts, { body: { name: 'n'.repeat(256) } }],
    ['malformed JSON', 400, 'POST', accounts, { rawBody: '{"name":' }],
    ['a rename to nothing', 400, 'PUT', own(''), { body: { name: ' ' } }],
    ['a rename of an unknown account', 404, 'PUT', unknown(''), { body: { name: 'x' } }],
    ['an unknown feature', 404, 'PUT', own('/feature'), { body: { featureId: 999 } }],
    ['a featureId string', 400, 'PUT', own('/feature'), { body: { featureId: '1' } }],
    ['a removal of featureId 0', 400, 'DELETE', own('/feature'), { body: { featureId: 0 } }],
    [
      'a feature of an unknown account',
      404,
      'PUT',
      unknown('/feature'),
      { body: { featureId: 1 } },
    ],
    ['add-all of an unknown account', 404, 'PUT', unknown('/features/all'), {}],
    ['remove-all of an unknown account', 404, 'DELETE', unknown('/features/all'), {}],
    ['add-all with a bad id', 400, 'PUT', () => '/accounts/abc/features/all', {}],
    ['a negative increase', 400, 'PUT', own('/execution-count'), { body: { count: -1 } }],
    [
      'an overflowing increase',
      400,
      'PUT',
      own('/execution-count'),
      { body: { count: Number.MAX_SAFE_INTEGER } },
    ],
    [
      'an increase of an unknown account',
      404,
      'PUT',
      unknown('/execution-count'),
      { body: { count: 1 } },
    ],
  ]

  it.each(cases)('leave D1 unchanged: %s', async (_, status, method, path, options) => {
    const account = await createTestAccount()
    await call('PUT', `/accounts/${account.id}/feature`, { body: { featureId: 1 } })
    const before = await snapshot()
    const response = await call(method, path(account.id), options)
    expect(response.status).toBe(status)
    expect(await snapshot()).toEqual(before)
  })
})

describe('an internal error', () => {
  // D1 storage belongs to this file alone; the table is put back whatever the outcome.
  async function withFeaturesTableMissing(run: () => Promise<void>) {
    await db().exec('ALTER TABLE features RENAME TO features_hidden_by_test')
    try {
      await run()
    } finally {
      await db().exec('ALTER TABLE features_hidden_by_test RENAME TO features')
    }
  }

  it('answers 500 "internal error" with the request id and no internal detail', async () => {
    await withFeaturesTableMissing(async () => {
      const response = await call('GET', '/features', { headers: { 'X-Request-Id': 'trace-500' } })
      expect(response.status).toBe(500)
      expect(response.json).toEqual({
        success: false,
        data: 'internal error',
        code: 'INTERNAL',
        requestId: 'trace-500',
      })
      expect(response.text).not.toMatch(/features|sqlite|D1|no such table/i)
    })
  })

  it('gives the generated request id in the body', async () => {
    await withFeaturesTableMissing(async () => {
      const response = await call('GET', '/features')
      expect(response.status).toBe(500)
      expect(response.json).toMatchObject({ requestId: response.headers.get('X-Request-Id') })
    })
  })

  it('leaves the service working once the cause is gone', async () => {
    await withFeaturesTableMissing(async () => {
      expect((await call('GET', '/features')).status).toBe(500)
    })
    const account = await createTestAccount()
    expect((await executionCountOf(account.id)).executionCount).toBe(1000)
    expect((await call('GET', '/features')).status).toBe(200)
  })
})

describe('HEAD', () => {
  it('answers wherever GET does, with its status and headers but no body', async () => {
    const response = await call('HEAD', '/features')

    expect(response.status).toBe(200)
    expect(response.text).toBe('')
    expect(response.headers.get('X-Request-Id')).toBeTruthy()
  })
})
