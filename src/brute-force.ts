import { ApiError } from './errors'
import type { GuardVerdict } from './durable/auth-guard'

// Verdicts this isolate got recently, so a client with correct credentials does not pay an
// object call on every request. A clean verdict is trusted for CLEAN_TTL_MS; see README, Known
// limitations, for what that window allows.
const CLEAN_TTL_MS = 2_000
const MAX_CACHED_ADDRESSES = 10_000
const verdicts = new Map<string, { blockedUntil: number; checkedAt: number }>()

function remember(address: string, verdict: GuardVerdict, now: number) {
  if (verdicts.size >= MAX_CACHED_ADDRESSES) verdicts.clear()
  verdicts.set(address, { blockedUntil: now + verdict.retryAfter * 1000, checkedAt: now })
}

function tooManyAttempts(retryAfter: number) {
  return new ApiError('TOO_MANY_REQUESTS', 'too many failed authentication attempts', {
    'Retry-After': String(retryAfter),
  })
}

export function clientAddress(headers: Headers): string {
  return headers.get('CF-Connecting-IP') ?? 'unknown'
}

const guardOf = (env: Cloudflare.Env, address: string) => env.AUTH_GUARD.getByName(address)

/** Throws 429 while the address is locked out by recent failures. */
export async function refuseIfLockedOut(env: Cloudflare.Env, address: string): Promise<void> {
  const now = Date.now()
  const cached = verdicts.get(address)
  if (cached && cached.blockedUntil > now) {
    throw tooManyAttempts(Math.ceil((cached.blockedUntil - now) / 1000))
  }
  if (cached && now - cached.checkedAt < CLEAN_TTL_MS) return
  const verdict = await guardOf(env, address).check()
  remember(address, verdict, now)
  if (verdict.blocked) throw tooManyAttempts(verdict.retryAfter)
}

/** Counts a failed attempt; answers 429 if it was the one that locked the address out. */
export async function recordFailedAttempt(env: Cloudflare.Env, address: string): Promise<void> {
  const now = Date.now()
  const verdict = await guardOf(env, address).recordFailure()
  remember(address, verdict, now)
  if (verdict.blocked) throw tooManyAttempts(verdict.retryAfter)
}
