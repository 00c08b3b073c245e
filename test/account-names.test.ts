import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, createTestAccount, expectError } from './helpers'

describe('account names', () => {
  it.each([
    ['emoji', 'Team 🚀🔥 Ops 👩🏽‍💻'],
    ['right-to-left text', 'حساب الفريق שלום'],
    ['combining marks', 'Cafe\u0301 Ångström'],
    ['CJK', '調度アカウント'],
  ])('keeps %s exactly through create, read and rename', async (_, name) => {
    const created = await createTestAccount(name)
    expect(created.name).toBe(name)
    const read = await call('GET', `/accounts/${created.id}`)
    expect((read.json as { data: { name: string } }).data.name).toBe(name)
    const renamed = await call('PUT', `/accounts/${created.id}`, { body: { name: `${name}!` } })
    expect((renamed.json as { data: { name: string } }).data.name).toBe(`${name}!`)
  })

  it('counts length in characters, so 255 emoji fit and 256 do not', async () => {
    const fits = await call('POST', '/accounts', { body: { name: '😀'.repeat(255) } })
    expect(fits.status).toBe(201)
    const tooLong = await call('POST', '/accounts', { body: { name: '😀'.repeat(256) } })
    await expectError(tooLong, 400, 'BAD_REQUEST', 'name must be at most 255 characters')
  })

  it.each([
    ['NUL', 'a\u0000b'],
    ['newline', 'line\nbreak'],
    ['tab', 'tab\there'],
    ['escape', 'esc\u001b[31m'],
    ['DEL', 'del\u007f'],
    ['C1 control', 'next\u0085line'],
  ])('refuses a name with a %s control character', async (_, name) => {
    const response = await call('POST', '/accounts', { body: { name } })
    await expectError(response, 400, 'BAD_REQUEST', 'name must not contain control characters')
  })

  it('refuses a name with a lone surrogate', async () => {
    const response = await call('POST', '/accounts', { rawBody: '{"name": "bad \\ud800 half"}' })
    await expectError(response, 400, 'BAD_REQUEST', 'name must be valid Unicode')
  })

  it('trims surrounding whitespace, including Unicode spaces', async () => {
    const created = await createTestAccount('\u00a0\u2003  Spaced Out \u3000')
    expect(created.name).toBe('Spaced Out')
  })
})

describe('concurrent creates', () => {
  it('200 parallel creates give 200 distinct ids, each with its own execution count', async () => {
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call('POST', '/accounts', { body: { name: `p-${i}` } }),
      ),
    )

    expect(responses.every((response) => response.status === 201)).toBe(true)
    const accounts = responses.map(
      (response) => (response.json as { data: { id: number; name: string } }).data,
    )
    const ids = new Set(accounts.map((account) => account.id))
    expect(ids.size).toBe(200)
    const { results } = await env.DB.prepare(
      `SELECT a.id, a.name, ec.execution_count AS balance,
         (SELECT count(*) FROM execution_history h WHERE h.account_id = a.id) AS entries
       FROM accounts a JOIN execution_counts ec ON ec.account_id = a.id AND ec.id = a.id
       WHERE a.name LIKE 'p-%'`,
    ).all<{ id: number; name: string; balance: number; entries: number }>()
    expect(results).toHaveLength(200)
    const byId = new Map(results.map((row) => [row.id, row]))
    for (const account of accounts) {
      expect(byId.get(account.id)).toEqual({
        id: account.id,
        name: account.name,
        balance: 1000,
        entries: 1,
      })
    }
  })
})
