import { describe, expect, it } from 'vitest'
import { MAX_FAILURES } from '../src/durable/auth-guard'
import { basic, call, expectError } from './helpers'

let nextAddress = 0
const freshAddress = () => `203.0.113.${(nextAddress += 1)}`

const wrong = basic('test-admin', 'not-the-password')

const attempt = (address: string, auth: string | null) =>
  call('GET', '/features', { auth, headers: { 'CF-Connecting-IP': address } })

describe('brute-force protection', () => {
  it(`answers 401 to the first ${MAX_FAILURES - 1} failures of an address`, async () => {
    const address = freshAddress()
    for (let i = 1; i < MAX_FAILURES; i += 1) {
      await expectError(await attempt(address, wrong), 401, 'UNAUTHORIZED')
    }
  })

  it('locks the address out with 429 and Retry-After once the failures add up', async () => {
    const address = freshAddress()
    for (let i = 1; i < MAX_FAILURES; i += 1) await attempt(address, wrong)

    const locking = await attempt(address, wrong)
    const after = await attempt(address, null)

    for (const response of [locking, after]) {
      await expectError(
        response,
        429,
        'TOO_MANY_REQUESTS',
        'too many failed authentication attempts',
      )
      const retryAfter = Number(response.headers.get('Retry-After'))
      expect(retryAfter).toBeGreaterThanOrEqual(1)
      expect(retryAfter).toBeLessThanOrEqual(60)
    }
  })

  it('refuses even correct credentials from a locked-out address', async () => {
    const address = freshAddress()
    for (let i = 0; i < MAX_FAILURES; i += 1) await attempt(address, wrong)

    const correct = await call('GET', '/features', { headers: { 'CF-Connecting-IP': address } })
    await expectError(correct, 429, 'TOO_MANY_REQUESTS')
  })

  it('leaves correct credentials from other addresses unaffected', async () => {
    const attacker = freshAddress()
    for (let i = 0; i < MAX_FAILURES + 3; i += 1) await attempt(attacker, wrong)

    const response = await call('GET', '/features', {
      headers: { 'CF-Connecting-IP': freshAddress() },
    })

    expect(response.status).toBe(200)
  })

  it('counts malformed and missing credentials as failures too', async () => {
    const address = freshAddress()
    const attempts = [null, 'Basic %%%', 'Bearer token', basic('someone', 'else'), wrong]
    for (const auth of attempts) await attempt(address, auth)

    await expectError(await attempt(address, wrong), 429, 'TOO_MANY_REQUESTS')
  })

  it('does not count successful requests', async () => {
    const address = freshAddress()
    for (let i = 0; i < MAX_FAILURES * 2; i += 1) {
      const response = await call('GET', '/features', { headers: { 'CF-Connecting-IP': address } })
      expect(response.status).toBe(200)
    }
    await expectError(await attempt(address, wrong), 401, 'UNAUTHORIZED')
  })

  it('does not guard the public routes', async () => {
    const address = freshAddress()
    for (let i = 0; i < MAX_FAILURES; i += 1) await attempt(address, wrong)

    const health = await call('GET', '/healthcheck', {
      auth: null,
      headers: { 'CF-Connecting-IP': address },
    })

    expect(health.status).toBe(200)
  })
})

describe('brute-force protection under parallel guessing', () => {
  it('judges parallel guesses one by one: the first failures get 401, the rest 429', async () => {
    const address = freshAddress()

    const responses = await Promise.all(Array.from({ length: 30 }, () => attempt(address, wrong)))

    const statuses = responses.map((response) => response.status)
    expect(statuses.filter((status) => status === 401)).toHaveLength(MAX_FAILURES - 1)
    expect(statuses.filter((status) => status === 429)).toHaveLength(30 - (MAX_FAILURES - 1))
  })

  it('refuses a correct password among parallel wrong guesses past the count', async () => {
    const address = freshAddress()
    await Promise.all(Array.from({ length: MAX_FAILURES }, () => attempt(address, wrong)))

    const burst = await Promise.all([
      ...Array.from({ length: 10 }, () => attempt(address, wrong)),
      call('GET', '/features', { headers: { 'CF-Connecting-IP': address } }),
    ])

    expect(burst.every((response) => response.status === 429)).toBe(true)
  })
})
