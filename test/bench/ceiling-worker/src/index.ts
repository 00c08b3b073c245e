import { ProbeObject } from './probe-object'

export { ProbeObject }

interface Env {
  DB: D1Like
  PROBE_OBJECT: NamespaceLike<ProbeObject>
}

const json = (data: unknown) =>
  new Response(JSON.stringify({ success: true, data }), {
    headers: { 'Content-Type': 'application/json' },
  })

// Each route adds one layer to the one before, so the bench can price the layers apart.
const probes: Record<string, (env: Env) => Promise<unknown>> = {
  '/noop': async () => ({ status: 'ok' }),
  '/d1': (env) => env.DB.prepare('SELECT 1 AS one').first(),
  '/d1-batch2': (env) =>
    env.DB.batch([env.DB.prepare('SELECT 1 AS one'), env.DB.prepare('SELECT 2 AS two')]),
  '/do': (env) => env.PROBE_OBJECT.getByName('hot').ping(),
  '/do-d1': (env) => env.PROBE_OBJECT.getByName('hot').selectOne(),
  '/do-coalesced': (env) => env.PROBE_OBJECT.getByName('hot').increment(),
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const probe = probes[new URL(request.url).pathname]
    if (!probe) return new Response('not found', { status: 404 })
    return json(await probe(env))
  },
}
