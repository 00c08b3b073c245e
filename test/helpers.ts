import { env, exports } from 'cloudflare:workers'
import { expect } from 'vitest'
import type { ExecutionCountView } from '../src/db/queries'
import { contractProblem } from './support/contract'

export const BASE = 'http://accounts.test/api/v1'
export const ADMIN = { username: 'test-admin', password: 'test-password' }

export const basic = (username: string, password: string) =>
  `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${username}:${password}`)))}`

export interface CallOptions {
  body?: unknown
  /** Sent as is, without JSON encoding. */
  rawBody?: string | Uint8Array
  headers?: Record<string, string>
  auth?: string | null
}

/** Calls the Worker as a client would, authenticated as the admin unless told otherwise. */
export async function call(method: string, path: string, options: CallOptions = {}) {
  const headers = new Headers(options.headers)
  const auth = options.auth === undefined ? basic(ADMIN.username, ADMIN.password) : options.auth
  if (auth !== null) headers.set('Authorization', auth)
  let body: BodyInit | undefined
  if (options.rawBody !== undefined) body = options.rawBody
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers.set('Content-Type', 'application/json')
  }
  const url = `${BASE}${path}`
  const response = await exports.default.fetch(url, { method, headers, body })
  const text = await response.text()
  const json: unknown = text === '' ? undefined : JSON.parse(text)
  // Every response any test sees must match the OpenAPI document: this is the contract test.
  expect(contractProblem(method, url, response.status, json)).toBeNull()
  return { status: response.status, headers: response.headers, json, text }
}

export async function expectError(
  response: Awaited<ReturnType<typeof call>>,
  status: number,
  code: string,
  message?: string | RegExp,
) {
  expect(response.status).toBe(status)
  expect(response.json).toMatchObject({ success: false, code })
  const data = (response.json as { data: unknown }).data
  expect(typeof data).toBe('string')
  if (typeof message === 'string') expect(data).toBe(message)
  else if (message) expect(data).toMatch(message)
}

export interface AccountJson {
  id: number
  name: string
  features: { accountId: number; featureId: number; feature: string }[]
  dateCreated: string
  dateModified: string | null
}

export async function createTestAccount(name = 'Test Account'): Promise<AccountJson> {
  const response = await call('POST', '/accounts', { body: { name } })
  expect(response.status).toBe(201)
  return (response.json as { data: AccountJson }).data
}

export async function executionCountOf(id: number) {
  const response = await call('GET', `/accounts/${id}/execution-count`)
  expect(response.status).toBe(200)
  return (
    response.json as {
      data: { executionCount: number; monthlyAllowance: number; nextResetDate: string }
    }
  ).data
}

export const db = () => env.DB

export interface HistoryEntryJson {
  id: number
  type: 'created' | 'increased' | 'consumed' | 'feature_granted' | 'reset'
  delta: number
  executionCount: number
  idempotencyKey: string | null
  dateCreated: string
}

export interface HistoryPageJson {
  entries: HistoryEntryJson[]
  nextCursor: string | null
}

const keyHeaders = (key?: string): Record<string, string> =>
  key === undefined ? {} : { 'Idempotency-Key': key }

/** PUT .../execution-count, with an Idempotency-Key when one is given. */
export const increaseCount = (id: number, count: unknown, key?: string) =>
  call('PUT', `/accounts/${id}/execution-count`, { body: { count }, headers: keyHeaders(key) })

/** POST .../execution-count/consume, with an Idempotency-Key when one is given. */
export const consumeCount = (id: number, count: unknown, key?: string) =>
  call('POST', `/accounts/${id}/execution-count/consume`, {
    body: { count },
    headers: keyHeaders(key),
  })

/** Every history entry of an account, newest first, read page by page through the API. */
export async function historyOf(id: number, limit = 100): Promise<HistoryEntryJson[]> {
  const entries: HistoryEntryJson[] = []
  let cursor: string | null = null
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`
    const response = await call(
      'GET',
      `/accounts/${id}/execution-count/history?limit=${limit}${query}`,
    )
    expect(response.status).toBe(200)
    const page = (response.json as { data: HistoryPageJson }).data
    entries.push(...page.entries)
    cursor = page.nextCursor
  } while (cursor !== null)
  return entries
}

/**
 * Checks invariant 5 of DESIGN.md for one account: replayed oldest first, every entry's balance
 * is the previous balance plus its delta, and the latest entry's balance is the stored count.
 * Returns the history, newest first.
 */
export async function expectHistoryMatchesCount(id: number): Promise<HistoryEntryJson[]> {
  const history = await historyOf(id)
  const { executionCount } = await executionCountOf(id)
  let balance = 0
  for (const entry of [...history].reverse()) {
    balance += entry.delta
    expect(entry.executionCount).toBe(balance)
    expect(entry.executionCount).toBeGreaterThanOrEqual(0)
  }
  expect(history[0]?.executionCount).toBe(executionCount)
  expect(balance).toBe(executionCount)
  return history
}

/** The wire shape is the view the query returns. */
export type ExecutionCountJson = ExecutionCountView

/** The `data` of a success envelope, typed by the caller. */
export const dataOf = <T>(response: Awaited<ReturnType<typeof call>>): T =>
  (response.json as { data: T }).data

/** A wire date: RFC 3339, UTC, second precision. */
export const WIRE_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/

// Failed authentications lock an address out after a few attempts, so every request meant to
// fail gets an address of its own. The random base keeps files apart if module state is shared.
let clientAddressCounter = Math.floor(Math.random() * 0xffff) * 0x100
/** A CF-Connecting-IP value no other request of this run uses. */
export function uniqueClientAddress(): string {
  clientAddressCounter += 1
  const n = clientAddressCounter
  return `198.${18 + ((n >> 16) & 1)}.${(n >> 8) & 255}.${n & 255}`
}

/** Idempotency keys of an account's history and how often each occurs, straight from D1. */
export async function keyCounts(id: number) {
  const { results } = await env.DB.prepare(
    `SELECT idempotency_key AS key, COUNT(*) AS n FROM execution_history
     WHERE account_id = ? AND idempotency_key IS NOT NULL GROUP BY idempotency_key`,
  )
    .bind(id)
    .all<{ key: string; n: number }>()
  return new Map(results.map((row) => [row.key, row.n]))
}
