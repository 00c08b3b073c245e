import type { MiddlewareHandler } from 'hono'
import { admit, clientAddress } from './brute-force'
import { ApiError } from './errors'

const encoder = new TextEncoder()

const sha256 = (text: string) => crypto.subtle.digest('SHA-256', encoder.encode(text))

// The secrets' digests, computed once per isolate and value rather than on every request.
const secretDigests = new Map<string, Promise<ArrayBuffer>>()

function secretDigest(secret: string): Promise<ArrayBuffer> {
  let digest = secretDigests.get(secret)
  if (!digest) {
    digest = sha256(secret)
    secretDigests.set(secret, digest)
  }
  return digest
}

// Hashing first gives both sides the same length, so the comparison time depends on neither
// the secret's length nor where the first differing byte is.
async function constantTimeEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(given), secretDigest(expected)])
  return crypto.subtle.timingSafeEqual(a, b)
}

interface Credentials {
  username: string
  password: string
}

export function parseBasicAuthorization(header: string | undefined): Credentials | undefined {
  const match = header === undefined ? null : /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header)
  if (!match?.[1]) return undefined
  let text: string
  try {
    const bytes = Uint8Array.from(atob(match[1]), (char) => char.charCodeAt(0))
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    return undefined
  }
  const colon = text.indexOf(':')
  if (colon < 0) return undefined
  return { username: text.slice(0, colon), password: text.slice(colon + 1) }
}

export async function credentialsMatch(
  given: Credentials,
  username: string,
  password: string,
): Promise<boolean> {
  // Both comparisons always run, so timing does not tell which half was wrong.
  const [userOk, passwordOk] = await Promise.all([
    constantTimeEqual(given.username, username),
    constantTimeEqual(given.password, password),
  ])
  return userOk && passwordOk
}

/**
 * HTTP Basic authentication against the SCHEDULER0_AUTH_* secrets. Fails closed: with either
 * secret missing or empty, no request is let through. An address with too many recent failures
 * is refused whether or not its credentials are right, so guessing on reveals nothing.
 */
export function basicAuth(): MiddlewareHandler<{ Bindings: Cloudflare.Env }> {
  return async (c, next) => {
    const username = c.env.SCHEDULER0_AUTH_USERNAME ?? ''
    const password = c.env.SCHEDULER0_AUTH_PASSWORD ?? ''
    if (username === '' || password === '') {
      throw new ApiError('MISCONFIGURED', 'server credentials are not configured')
    }
    const given = parseBasicAuthorization(c.req.header('Authorization'))
    const valid = given !== undefined && (await credentialsMatch(given, username, password))
    await admit(c.env, clientAddress(c.req.raw.headers), valid)
    await next()
  }
}
