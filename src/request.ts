import type { Context } from 'hono'
import { ApiError, badRequest } from './errors'
import { MAX_SAFE_COUNT, type Schema } from './schema'

export const MAX_BODY_BYTES = 16 * 1024

const tooLarge = () =>
  new ApiError('PAYLOAD_TOO_LARGE', `request body must be at most ${MAX_BODY_BYTES} bytes`)

/** Rejects an over-long body before reading it, when the client says how long it is. */
export function checkDeclaredLength(header: string | undefined): void {
  if (header === undefined) return
  const length = Number(header)
  if (Number.isFinite(length) && length > MAX_BODY_BYTES) throw tooLarge()
}

// Reads at most MAX_BODY_BYTES, so a chunked body without Content-Length cannot make the
// Worker buffer an arbitrary amount of data.
async function readBodyText(request: Request): Promise<string> {
  if (!request.body) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_BODY_BYTES) {
      await reader.cancel()
      throw tooLarge()
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw badRequest('request body is not valid UTF-8')
  }
}

/**
 * Parses the body as JSON whatever the Content-Type says, then validates it. An empty body is
 * an empty object, so a missing field gets the field's own "is required" message.
 */
export async function readBody<T>(c: Context, schema: Schema<T>): Promise<T> {
  const text = await readBodyText(c.req.raw)
  let json: unknown = {}
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text)
    } catch {
      throw badRequest(`request body is not valid JSON; expected ${schema.describe}`)
    }
  }
  const parsed = schema.parse(json)
  if (!parsed.ok) throw badRequest(parsed.message)
  return parsed.value
}

/** A path id: decimal digits only, 1 to 2^53 - 1. */
export function parseAccountId(raw: string): number {
  if (!/^[0-9]+$/.test(raw)) throw badRequest(`invalid account id: ${raw}`)
  const id = Number(raw)
  if (id === 0) throw badRequest('account id is required')
  if (id > MAX_SAFE_COUNT) throw badRequest(`invalid account id: ${raw}`)
  return id
}

export const DEFAULT_PAGE_SIZE = 50
export const MAX_PAGE_SIZE = 100

export function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PAGE_SIZE
  const limit = /^[0-9]{1,3}$/.test(raw) ? Number(raw) : NaN
  if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) {
    throw badRequest(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`)
  }
  return limit
}

// Cursors are opaque to clients; inside they are the last id of the previous page.
export function encodeCursor(id: number): string {
  return btoa(`id:${id}`).replace(/=+$/, '')
}

export function decodeCursor(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  let decoded = ''
  try {
    decoded = atob(raw)
  } catch {
    throw badRequest('invalid cursor')
  }
  const match = /^id:([1-9][0-9]{0,15})$/.exec(decoded)
  const id = match?.[1] === undefined ? NaN : Number(match[1])
  if (!(id <= MAX_SAFE_COUNT)) throw badRequest('invalid cursor')
  return id
}

const printableAscii = /^[\x20-\x7e]{1,255}$/

export function parseIdempotencyKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined
  if (!printableAscii.test(raw)) {
    throw badRequest('Idempotency-Key must be 1 to 255 printable ASCII characters')
  }
  return raw
}
