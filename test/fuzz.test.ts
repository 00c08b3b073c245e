import { env, exports } from 'cloudflare:workers'
import fc from 'fast-check'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { basic, createTestAccount } from './helpers'
import { contractProblem } from './support/contract'

// Random requests over the whole app. Every answer must be a documented status with a body in
// the envelope, never a 5xx, and any refused request must leave D1 exactly as it was.
const RUNS = 400

let knownId = 0

beforeAll(async () => {
  // Hundreds of request log lines would only slow the runner down; the log has its own tests.
  for (const method of ['log', 'info', 'warn', 'error'] as const) {
    vi.spyOn(console, method).mockImplementation(() => undefined)
  }
  knownId = (await createTestAccount('fuzz target')).id
})

async function snapshot(): Promise<string> {
  const tables = ['accounts', 'account_features', 'execution_counts', 'execution_history']
  const results = await env.DB.batch(
    tables.map((table) => env.DB.prepare(`SELECT * FROM ${table} ORDER BY rowid`)),
  )
  return JSON.stringify(results.map((result) => result.results))
}

const idSegment = fc.oneof(
  fc.constant('KNOWN'),
  fc.constantFrom('0', '00', '-1', '1.5', '1e3', '9007199254740991', '9007199254740992', ''),
  fc.constantFrom('%00', '%F0%9F%9A%80', '..', 'null', ' 1', '0x10', '٣'),
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
)

const pathTemplate = fc.constantFrom(
  '/api/v1/healthcheck',
  '/api/v1/openapi.json',
  '/api/v1/features',
  '/api/v1/accounts',
  '/api/v1/accounts/ID',
  '/api/v1/accounts/ID/feature',
  '/api/v1/accounts/ID/features/all',
  '/api/v1/accounts/ID/execution-count',
  '/api/v1/accounts/ID/execution-count/consume',
  '/api/v1/accounts/ID/execution-count/history',
  '/api/v1/accounts/ID/unknown',
  '/api/v2/accounts',
  '/',
)

const query = fc.oneof(
  fc.constant(''),
  fc
    .record({
      limit: fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), fc.string({ maxLength: 5 })),
      cursor: fc.oneof(fc.constant('aWQ6MQ'), fc.string({ maxLength: 12 })),
    })
    .map(
      ({ limit, cursor }) =>
        `?limit=${encodeURIComponent(limit)}&cursor=${encodeURIComponent(cursor)}`,
    ),
)

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1.5, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1e308, Number.MIN_VALUE),
)
const fieldValue = fc.oneof(
  hostileNumber,
  hostileNumber.map(String),
  fc.string({ maxLength: 300, unit: 'binary' }),
  fc.constantFrom(null, true, false, [], {}, [1], { count: 1 }),
)

const encoder = new TextEncoder()
const body = fc.oneof(
  fc.constant(undefined),
  fc
    .record(
      { name: fieldValue, featureId: fieldValue, count: fieldValue, id: fieldValue },
      { requiredKeys: [] },
    )
    .map((value) => encoder.encode(JSON.stringify(value))),
  fc.jsonValue({ maxDepth: 4 }).map((value) => encoder.encode(JSON.stringify(value))),
  fc
    .integer({ min: 1, max: 9000 })
    .map((depth) => encoder.encode('['.repeat(depth) + ']'.repeat(depth))),
  fc
    .integer({ min: 1, max: 9000 })
    .map((depth) => encoder.encode('{"a":'.repeat(depth) + '1' + '}'.repeat(depth))),
  fc.uint8Array({ maxLength: 64 }),
  fc
    .constantFrom(
      '{"count": 1, "count": -1}',
      '{"featureId": 1, "featureId": "x"}',
      '{',
      'nul',
      '\u0000',
    )
    .map((text) => encoder.encode(text)),
  fc
    .integer({ min: 16_370, max: 16_400 })
    .map((size) => encoder.encode(`{"name":"${'x'.repeat(size - 11)}"}`)),
)

const headers = fc.record(
  {
    'Content-Type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      '',
    ),
    'Idempotency-Key': fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.string({ minLength: 250, maxLength: 260 }),
    ),
    'X-Request-Id': fc.string({ maxLength: 40 }),
    'X-Account-ID': fc.string({ maxLength: 10 }),
    'X-Peer': fc.constant('cmd'),
  },
  { requiredKeys: [] },
)

const auth = fc.oneof(
  { weight: 8, arbitrary: fc.constant(basic('test-admin', 'test-password')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constant(basic('test-admin', 'wrong')) },
)

const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
  template: pathTemplate,
  id: idSegment,
  query,
  body,
  headers,
  auth,
  address: fc.ipV4(),
})

describe('hostile input over the whole app', () => {
  let before = ''

  it(`answers ${RUNS} random requests in the envelope, no 5xx, refusals inert`, async () => {
    before = await snapshot()
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        const id = input.id === 'KNOWN' ? String(knownId) : input.id
        const url = `http://accounts.test${input.template.replace('ID', id)}${input.query}`
        const headers = new Headers({ 'CF-Connecting-IP': input.address })
        for (const [name, value] of Object.entries(input.headers)) {
          try {
            headers.set(name, value)
          } catch {
            // Not a valid header value: a real client could not send it either.
          }
        }
        try {
          headers.set('Authorization', input.auth)
        } catch {
          headers.delete('Authorization')
        }
        const sendsBody = input.body !== undefined && input.method !== 'GET'

        const response = await exports.default.fetch(url, {
          method: input.method,
          headers,
          body: sendsBody ? input.body : undefined,
        })
        const text = await response.text()

        expect(response.status, `${input.method} ${url}`).toBeLessThan(500)
        expect(response.headers.get('X-Request-Id')).toBeTruthy()
        const json: unknown = text === '' ? undefined : JSON.parse(text)
        const isDocument = new URL(url).pathname === '/api/v1/openapi.json' && response.ok
        if (response.status === 204) expect(text).toBe('')
        else if (!isDocument) expect(json).toMatchObject({ success: response.status < 400 })
        expect(contractProblem(input.method, url, response.status, json)).toBeNull()
        // The state after one request is the state before the next: one snapshot a request.
        const after = await snapshot()
        if (response.status >= 400) expect(after).toBe(before)
        before = after
      }),
      { numRuns: RUNS },
    )
  }, 150_000)
})
