import { ApiError, unauthorized } from './errors'

// Addresses whose credentials this isolate saw accepted by the guard recently. A client that
// keeps sending correct credentials pays one guard call every TRUSTED_FOR_MS, not one per
// request; see README, Known limitations, for what this window allows.
const TRUSTED_FOR_MS = 2_000
const MAX_TRUSTED_ADDRESSES = 10_000
const trustedUntil = new Map<string, number>()

export function clientAddress(headers: Headers): string {
  return headers.get('CF-Connecting-IP') ?? 'unknown'
}

/**
 * Lets a request through only if its credentials are valid and its address is not locked out
 * by recent failures; otherwise throws 401, or 429 with Retry-After. Failures always go to the
 * address's guard object, which counts them one at a time.
 */
export async function admit(
  env: Cloudflare.Env,
  address: string,
  credentialsValid: boolean,
): Promise<void> {
  const now = Date.now()
  if (credentialsValid && (trustedUntil.get(address) ?? 0) > now) return
  trustedUntil.delete(address)

  const verdict = await env.AUTH_GUARD.getByName(address).attempt(credentialsValid)
  if (verdict.allowed) {
    if (trustedUntil.size >= MAX_TRUSTED_ADDRESSES) trustedUntil.clear()
    trustedUntil.set(address, now + TRUSTED_FOR_MS)
    return
  }
  if (verdict.blocked) {
    throw new ApiError('TOO_MANY_REQUESTS', 'too many failed authentication attempts', {
      'Retry-After': String(verdict.retryAfter),
    })
  }
  throw unauthorized()
}
