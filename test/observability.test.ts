import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp } from '../src/app'
import { runResetSweep } from '../src/cron'
import { basic, call, createTestAccount } from './helpers'

let lines: string[] = []

beforeEach(() => {
  lines = []
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '))
    })
  }
})

afterEach(() => {
  vi.restoreAllMocks()
})

const parsedLines = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>)
const requestLines = () => parsedLines().filter((line) => line.event === 'request')

describe('request log', () => {
  it('writes one JSON line per request with method, route, status, duration and ids', async () => {
    const account = await createTestAccount()
    lines = []

    const response = await call('GET', `/accounts/${account.id}/execution-count`, {
      headers: { 'X-Request-Id': 'trace-123' },
    })

    expect(response.status).toBe(200)
    expect(requestLines()).toEqual([
      expect.objectContaining({
        level: 'info',
        method: 'GET',
        route: '/api/v1/accounts/:id/execution-count',
        status: 200,
        durationMs: expect.any(Number),
        accountId: account.id,
        requestId: 'trace-123',
      }),
    ])
  })

  it('never logs credentials, the Authorization header or request bodies', async () => {
    const account = await createTestAccount()
    const secretName = 'body-marker-7f3a9'
    const stolenPassword = 'guess-marker-91c2'
    const wrongAuth = basic('intruder-marker-55e1', stolenPassword)

    await call('POST', '/accounts', { body: { name: secretName } })
    await call('PUT', `/accounts/${account.id}`, { body: { name: secretName } })
    await call('PUT', `/accounts/${account.id}/execution-count`, {
      body: { count: 1, note: secretName },
      headers: { 'Idempotency-Key': 'key-marker-3b7d' },
    })
    await call('GET', '/features', {
      auth: wrongAuth,
      headers: { 'CF-Connecting-IP': '198.51.100.7' },
    })
    await call('POST', '/accounts', { rawBody: `{"name": "${secretName}"` })

    const output = lines.join('\n')
    expect(lines.length).toBeGreaterThanOrEqual(5)
    for (const secret of [
      secretName,
      stolenPassword,
      'intruder-marker-55e1',
      wrongAuth,
      wrongAuth.slice('Basic '.length),
      'test-password',
      basic('test-admin', 'test-password').slice('Basic '.length),
      'key-marker-3b7d',
    ]) {
      expect(output).not.toContain(secret)
    }
  })

  it('logs a 5xx with an error line carrying the stack, and tells the caller nothing', async () => {
    const app = createApp()
    const broken = { ...env, DB: undefined as unknown as D1Database }
    const ctx = createExecutionContext()

    const response = await app.fetch(
      new Request('http://accounts.test/api/v1/features', {
        headers: { Authorization: basic('test-admin', 'test-password') },
      }),
      broken,
      ctx,
    )
    await waitOnExecutionContext(ctx)

    expect(response.status).toBe(500)
    const body = (await response.json()) as { data: string; requestId: string }
    expect(body.data).toBe('internal error')
    const errorLine = parsedLines().find((line) => line.event === 'unhandled_error')
    expect(errorLine).toMatchObject({ level: 'error', requestId: body.requestId })
    expect(String(errorLine?.stack)).toContain('at ')
    expect(requestLines()).toEqual([expect.objectContaining({ level: 'error', status: 500 })])
  })
})

describe('cron log', () => {
  it('writes one JSON summary line per run', async () => {
    await runResetSweep(env, Date.now())

    const sweeps = parsedLines().filter((line) => line.event === 'reset_sweep')
    expect(sweeps).toEqual([
      expect.objectContaining({ due: expect.any(Number), reset: 0, failed: 0, left: 0 }),
    ])
  })
})

describe('cron failure', () => {
  it('a run that cannot reach D1 still writes its one line, with the error', async () => {
    const broken = { ...env, DB: undefined as unknown as D1Database }

    await expect(runResetSweep(broken, Date.now())).rejects.toThrow()

    const sweeps = parsedLines().filter((line) => line.event === 'reset_sweep')
    expect(sweeps).toEqual([expect.objectContaining({ level: 'error', error: expect.any(String) })])
  })
})

describe('configuration', () => {
  it.each(['abc', '-5', '1.5', '1e3', '99999999999999999999'])(
    'a BASE_MONTHLY_EXECUTIONS of %j answers 500 and logs why',
    async (value) => {
      const app = createApp()
      const misconfigured = { ...env, BASE_MONTHLY_EXECUTIONS: value } as unknown as Cloudflare.Env
      const ctx = createExecutionContext()

      const response = await app.fetch(
        new Request('http://accounts.test/api/v1/accounts', {
          method: 'POST',
          headers: { Authorization: basic('test-admin', 'test-password') },
          body: JSON.stringify({ name: 'never created' }),
        }),
        misconfigured,
        ctx,
      )
      await waitOnExecutionContext(ctx)

      expect(response.status).toBe(500)
      expect(await response.json()).toEqual({
        success: false,
        data: 'server configuration is invalid',
        code: 'MISCONFIGURED',
      })
      const { results } = await env.DB.prepare(
        "SELECT count(*) AS n FROM accounts WHERE name = 'never created'",
      ).all<{ n: number }>()
      expect(results).toEqual([{ n: 0 }])
    },
  )

  it('keeps the monthly allowance within 2^53 - 1 when the base is at the limit', async () => {
    const app = createApp()
    const configured = {
      ...env,
      BASE_MONTHLY_EXECUTIONS: String(Number.MAX_SAFE_INTEGER),
    } as unknown as Cloudflare.Env
    const request = (method: string, path: string, body?: unknown) =>
      app.fetch(
        new Request(`http://accounts.test/api/v1${path}`, {
          method,
          headers: { Authorization: basic('test-admin', 'test-password') },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
        configured,
        createExecutionContext(),
      )
    const created = await request('POST', '/accounts', { name: 'at the limit' })
    const { data } = (await created.json()) as { data: { id: number } }
    await env.DB.prepare(
      'INSERT INTO account_features (account_id, feature_id, date_created) VALUES (?, 1, ?)',
    )
      .bind(data.id, '2024-01-01T00:00:00Z')
      .run()

    const count = await request('GET', `/accounts/${data.id}/execution-count`)

    const { data: view } = (await count.json()) as { data: { monthlyAllowance: number } }
    expect(view.monthlyAllowance).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('says why the configuration is invalid in the log', async () => {
    const app = createApp()
    const misconfigured = { ...env, BASE_MONTHLY_EXECUTIONS: 'lots' } as unknown as Cloudflare.Env
    await app.fetch(
      new Request('http://accounts.test/api/v1/features', {
        headers: { Authorization: basic('test-admin', 'test-password') },
      }),
      misconfigured,
      createExecutionContext(),
    )

    expect(parsedLines()).toContainEqual(
      expect.objectContaining({
        event: 'config_invalid',
        reason: expect.stringContaining('BASE_MONTHLY_EXECUTIONS'),
      }),
    )
  })

  it.each([
    ['', 1000],
    ['0', 0],
    ['250', 250],
  ])('a BASE_MONTHLY_EXECUTIONS of %j gives new accounts %i credits', async (value, expected) => {
    const app = createApp()
    const configured = { ...env, BASE_MONTHLY_EXECUTIONS: value } as unknown as Cloudflare.Env
    const response = await app.fetch(
      new Request('http://accounts.test/api/v1/accounts', {
        method: 'POST',
        headers: { Authorization: basic('test-admin', 'test-password') },
        body: JSON.stringify({ name: `allowance ${value}` }),
      }),
      configured,
      createExecutionContext(),
    )
    const { data } = (await response.json()) as { data: { id: number } }
    const { results } = await env.DB.prepare(
      'SELECT execution_count AS n FROM execution_counts WHERE account_id = ?',
    )
      .bind(data.id)
      .all<{ n: number }>()
    expect(results).toEqual([{ n: expected }])
  })
})
