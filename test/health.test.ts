import { describe, expect, it } from 'vitest'
import { call } from './helpers'

describe('GET /api/v1/healthcheck', () => {
  it('answers ok without authentication', async () => {
    const response = await call('GET', '/healthcheck', { auth: null })
    expect(response.status).toBe(200)
    expect(response.json).toEqual({ success: true, data: { status: 'ok' } })
  })
})
