import { DurableObject } from 'cloudflare:workers'

export const MAX_FAILURES = 5
export const FAILURE_WINDOW_MS = 60_000

export interface GuardVerdict {
  blocked: boolean
  /** Seconds until the client may try again; 0 when not blocked. */
  retryAfter: number
}

/**
 * Counts failed Basic authentication attempts of one client address (one object per address).
 * Once MAX_FAILURES fall inside FAILURE_WINDOW_MS the address is refused until the oldest of
 * them leaves the window. Timestamps live in the object's own storage, so they outlast eviction.
 */
export class AuthGuard extends DurableObject<Cloudflare.Env> {
  check(): GuardVerdict {
    return this.verdict(this.recentFailures(Date.now()), Date.now())
  }

  recordFailure(): GuardVerdict {
    const now = Date.now()
    const failures = this.recentFailures(now)
    failures.push(now)
    this.ctx.storage.kv.put('failures', failures)
    return this.verdict(failures, now)
  }

  private recentFailures(now: number): number[] {
    const stored = this.ctx.storage.kv.get<number[]>('failures') ?? []
    return stored.filter((at) => at > now - FAILURE_WINDOW_MS).slice(-MAX_FAILURES)
  }

  private verdict(failures: number[], now: number): GuardVerdict {
    const oldest = failures[0]
    if (failures.length < MAX_FAILURES || oldest === undefined)
      return { blocked: false, retryAfter: 0 }
    return {
      blocked: true,
      retryAfter: Math.max(1, Math.ceil((oldest + FAILURE_WINDOW_MS - now) / 1000)),
    }
  }
}
