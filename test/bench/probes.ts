import type { LoadRequest } from './load'
import type { Scenario, Seed } from './scenarios'

const ok = new Set([200])
const get = (path: string): LoadRequest => ({ method: 'GET', path })

/**
 * The write path's layers priced apart. On the real Worker: authentication alone (a 404 behind
 * Basic auth), then authentication with body parsing (an increase refused by validation). On
 * the bench Worker: an empty route, Worker to object RPC alone, RPC with one D1 query inside the
 * object, and a coalescing queue doing one D1 read and one D1 write per batch, the account
 * object's shape without drizzle and the ledger.
 */
export function probeScenarios(seed: Seed): Scenario[] {
  const probe = (id: string, title: string, path: string): Scenario => ({
    id,
    title,
    group: 'probe',
    target: 'ceiling',
    next: () => get(path),
    expected: ok,
  })
  return [
    {
      id: 'probe-auth',
      title: 'probe: authenticated 404 (auth, no D1)',
      group: 'probe',
      target: 'app',
      next: () => get('/api/v1/bench-no-such-route'),
      expected: new Set([404]),
    },
    {
      id: 'probe-validation',
      title: 'probe: increase refused by validation (auth + body, no object)',
      group: 'probe',
      target: 'app',
      next: () => ({
        method: 'PUT',
        path: `/api/v1/accounts/${seed.hotId}/execution-count`,
        body: '{"count":-1}',
      }),
      expected: new Set([400]),
    },
    probe('probe-noop', 'probe: empty route, bare Worker', '/noop'),
    probe('probe-d1-batch2', 'probe: one D1 batch of two queries', '/d1-batch2'),
    probe('probe-do', 'probe: Worker -> object RPC, no D1', '/do'),
    probe('probe-do-d1', 'probe: RPC + one D1 query in the object', '/do-d1'),
    probe('probe-do-coalesced', 'probe: RPC + coalesced D1 read and write', '/do-coalesced'),
  ]
}
