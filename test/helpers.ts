import { env, exports } from 'cloudflare:workers'
import { expect } from 'vitest'

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
  const response = await exports.default.fetch(`${BASE}${path}`, { method, headers, body })
  const text = await response.text()
  const json: unknown = text === '' ? undefined : JSON.parse(text)
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
