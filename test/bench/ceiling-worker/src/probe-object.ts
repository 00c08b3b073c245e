import { DurableObject } from 'cloudflare:workers'

interface Env {
  DB: D1Like
}

interface Waiter {
  resolve: (value: number) => void
  reject: (error: unknown) => void
}

/**
 * One object behind three probes: an RPC that does nothing, one that awaits a single D1 query,
 * and a queue that coalesces increments into batches of one D1 read and one D1 write, the
 * same round-trip shape as the account object but without drizzle and without the ledger.
 */
export class ProbeObject extends DurableObject<Env> {
  private readonly queue: Waiter[] = []
  private draining = false
  private ready: Promise<unknown> | undefined

  ping(): number {
    return 1
  }

  async selectOne(): Promise<unknown> {
    return this.env.DB.prepare('SELECT 1 AS one').first()
  }

  increment(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject })
      if (!this.draining) void this.drain()
    })
  }

  private async drain(): Promise<void> {
    this.draining = true
    try {
      this.ready ??= this.env.DB.prepare(
        'CREATE TABLE IF NOT EXISTS probe_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)',
      ).run()
      await this.ready
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, 256)
        try {
          const row = await this.env.DB.prepare('SELECT n FROM probe_counter WHERE id = 1').first<{
            n: number
          }>()
          const next = (row?.n ?? 0) + batch.length
          await this.env.DB.batch([
            this.env.DB.prepare(
              'INSERT INTO probe_counter (id, n) VALUES (1, ?) ' +
                'ON CONFLICT (id) DO UPDATE SET n = excluded.n',
            ).bind(next),
          ])
          batch.forEach((waiter, i) => waiter.resolve(next - batch.length + i + 1))
        } catch (error) {
          batch.forEach((waiter) => waiter.reject(error))
        }
      }
    } finally {
      this.draining = false
    }
  }
}
