import { DurableObject } from 'cloudflare:workers'

export const MAX_FAILURES = 5
export const FAILURE_WINDOW_MS = 60_000

export interface GuardVerdict {
  /** Whether the request may go on: its credentials were right and the address is not locked. */
  allowed: boolean
  blocked: boolean
  /** Seconds until the client may try again; 0 when not blocked. */
  retryAfter: number
}

/**
 * Counts failed Basic authentication attempts of one client address (one object per address).
 * Every attempt is judged here, one at a time, so parallel guesses cannot slip past the count:
 * once MAX_FAILURES fall inside FAILURE_WINDOW_MS, every attempt is refused, right or wrong,
 * until the oldest failure leaves the window. Timestamps live in the object's own storage, so
 * they outlast eviction.
 */
export class AuthGuard extends DurableObject<Cloudflare.Env> {
  attempt(credentialsValid: boolean): GuardVerdict {
    const now = Date.now()
    const failures = this.recentFailures(now)
    if (failures.length >= MAX_FAILURES) return { allowed: false, ...this.lockout(failures, now) }
    if (credentialsValid) return { allowed: true, blocked: false, retryAfter: 0 }
    failures.push(now)
    this.ctx.storage.kv.put('failures', failures)
    if (failures.length >= MAX_FAILURES) return { allowed: false, ...this.lockout(failures, now) }
    return { allowed: false, blocked: false, retryAfter: 0 }
  }

  private recentFailures(now: number): number[] {
    const stored = this.ctx.storage.kv.get<number[]>('failures') ?? []
    return stored.filter((at) => at > now - FAILURE_WINDOW_MS).slice(-MAX_FAILURES)
  }

  private lockout(failures: number[], now: number) {
    const oldest = failures[0] ?? now
    const retryAfter = Math.max(1, Math.ceil((oldest + FAILURE_WINDOW_MS - now) / 1000))
    return { blocked: true, retryAfter }
  }
}
