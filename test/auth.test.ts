import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../src/app'
import {
  ADMIN,
  basic,
  call,
  type CallOptions,
  createTestAccount,
  executionCountOf,
  uniqueClientAddress,
} from './helpers'

// Every request here that is meant to fail authentication comes from an address of its own:
// the service locks an address out after a few failures, and that is not what these tests are
// about.

const UNAUTHORIZED_BODY = { success: false, data: 'unauthorized requests', code: 'UNAUTHORIZED' }
const CHALLENGE = 'Basic realm="scheduler0", charset="UTF-8"'

// Account 1 need not exist: authentication is decided before the route looks at the account.
const protectedRoutes: [method: string, path: string, body?: unknown][] = [
  ['POST', '/accounts', { name: 'Intruder' }],
  ['GET', '/accounts'],
  ['GET', '/accounts/1'],
  ['PUT', '/accounts/1', { name: 'Intruder' }],
  ['GET', '/features'],
  ['PUT', '/accounts/1/feature', { featureId: 1 }],
  ['DELETE', '/accounts/1/feature', { featureId: 1 }],
  ['PUT', '/accounts/1/features/all'],
  ['DELETE', '/accounts/1/features/all'],
  ['GET', '/accounts/1/execution-count'],
  ['PUT', '/accounts/1/execution-count', { count: 1 }],
  ['POST', '/accounts/1/execution-count/consume', { count: 1 }],
  ['GET', '/accounts/1/execution-count/history'],
]

const utf8Base64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)))

// The failures every client could plausibly send; each protected route is checked with all.
const commonFailures: [label: string, authorization: string | null][] = [
  ['no Authorization header', null],
  ['a malformed header', 'Basic !!!not-base64!!!'],
  ['a wrong username', basic('someone-else', ADMIN.password)],
  ['a wrong password', basic(ADMIN.username, 'wrong-password')],
  ['the Bearer scheme', `Bearer ${ADMIN.password}`],
]

// Rarer malformations: one route suffices, since every route shares the one middleware.
const otherFailures: [label: string, authorization: string | null][] = [
  ['an empty Authorization header', ''],
  ['the Basic scheme without credentials', 'Basic'],
  ['credentials without a colon', `Basic ${utf8Base64('test-admintest-password')}`],
  ['credentials that are not encoded', 'Basic test-admin:test-password'],
  ['a username in another case', basic(ADMIN.username.toUpperCase(), ADMIN.password)],
  ['the password with a trailing space', basic(ADMIN.username, `${ADMIN.password} `)],
  ['username and password swapped', basic(ADMIN.password, ADMIN.username)],
  ['empty credentials', basic('', '')],
  ['the Bearer scheme with Basic credentials', `Bearer ${utf8Base64('test-admin:test-password')}`],
]

async function expectUnauthorized(method: string, path: string, options: CallOptions) {
  const response = await call(method, path, {
    ...options,
    headers: { ...options.headers, 'CF-Connecting-IP': uniqueClientAddress() },
  })
  expect(response.status).toBe(401)
  expect(response.json).toEqual(UNAUTHORIZED_BODY)
  expect(response.headers.get('WWW-Authenticate')).toBe(CHALLENGE)
}

describe.each(protectedRoutes)('%s /api/v1%s', (method, path, body) => {
  it.each(commonFailures)('answers 401 to %s', async (_, authorization) => {
    await expectUnauthorized(method, path, { body, auth: authorization })
  })

  it('changes nothing when it refuses a request', async () => {
    const account = await createTestAccount('Untouched')
    const state = async () => [
      (await call('GET', `/accounts/${account.id}`)).json,
      await executionCountOf(account.id),
    ]
    const before = await state()
    const concrete = path.replace('/accounts/1', `/accounts/${account.id}`)
    await expectUnauthorized(method, concrete, { body, auth: null })
    expect(await state()).toEqual(before)
  })
})

describe('GET /api/v1/features', () => {
  it.each(otherFailures)('answers 401 to %s', async (_, authorization) => {
    await expectUnauthorized('GET', '/features', { auth: authorization })
  })
})

describe('accepted credentials', () => {
  it('let a request through', async () => {
    const response = await call('GET', '/features', { auth: basic(ADMIN.username, ADMIN.password) })
    expect(response.status).toBe(200)
  })

  it('are accepted with the scheme in lower case', async () => {
    const credentials = utf8Base64(`${ADMIN.username}:${ADMIN.password}`)
    const response = await call('GET', '/features', { auth: `basic ${credentials}` })
    expect(response.status).toBe(200)
  })

  it('are accepted with the X-Peer and X-Account-ID headers the clients send', async () => {
    const account = await createTestAccount()
    const response = await call('GET', `/accounts/${account.id}/execution-count`, {
      headers: { 'X-Peer': 'cmd', 'X-Account-ID': String(account.id) },
    })
    expect(response.status).toBe(200)
  })

  it('need neither X-Peer nor X-Account-ID', async () => {
    const account = await createTestAccount()
    const response = await call('GET', `/accounts/${account.id}/execution-count`)
    expect(response.status).toBe(200)
  })
})

describe('GET /api/v1/healthcheck', () => {
  it.each([
    ['no credentials', null],
    ['wrong credentials', basic('nobody', 'nothing')],
  ])('answers 200 with %s', async (_, authorization) => {
    const response = await call('GET', '/healthcheck', {
      auth: authorization,
      headers: { 'CF-Connecting-IP': uniqueClientAddress() },
    })
    expect(response.status).toBe(200)
  })
})

describe('unset secrets', () => {
  type SecretName = 'SCHEDULER0_AUTH_USERNAME' | 'SCHEDULER0_AUTH_PASSWORD'

  function envWith(secret: SecretName, value: string | undefined): Cloudflare.Env {
    const copy: Cloudflare.Env = { ...env }
    if (value === undefined) delete copy[secret]
    else copy[secret] = value
    return copy
  }

  const misconfigurations: [label: string, secret: SecretName, value: string | undefined][] = [
    ['an empty password', 'SCHEDULER0_AUTH_PASSWORD', ''],
    ['no password', 'SCHEDULER0_AUTH_PASSWORD', undefined],
    ['an empty username', 'SCHEDULER0_AUTH_USERNAME', ''],
    ['no username', 'SCHEDULER0_AUTH_USERNAME', undefined],
  ]

  const request = (path: string, authorization: string) =>
    new Request(`http://accounts.test/api/v1${path}`, {
      headers: { Authorization: authorization, 'CF-Connecting-IP': uniqueClientAddress() },
    })

  it.each(misconfigurations)(
    'answer 500 "server credentials are not configured" with %s',
    async (_, secret, value) => {
      const app = createApp()
      const response = await app.fetch(
        request('/features', basic(ADMIN.username, ADMIN.password)),
        envWith(secret, value),
      )
      expect(response.status).toBe(500)
      expect(await response.json()).toMatchObject({
        success: false,
        data: 'server credentials are not configured',
      })
    },
  )

  it.each(misconfigurations)('never accept empty credentials with %s', async (_, secret, value) => {
    const app = createApp()
    const response = await app.fetch(request('/features', basic('', '')), envWith(secret, value))
    expect(response.status).toBe(500)
  })

  it('leave the healthcheck open', async () => {
    const app = createApp()
    const response = await app.fetch(
      request('/healthcheck', basic('', '')),
      envWith('SCHEDULER0_AUTH_PASSWORD', undefined),
    )
    expect(response.status).toBe(200)
  })
})
