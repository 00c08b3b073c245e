import type { ContentfulStatusCode } from 'hono/utils/http-status'

// The closed list of machine codes the API answers with, and the one table that maps them to
// HTTP statuses. Handlers throw `ApiError`; `onError` turns it into the envelope.
const statusByCode = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  IDEMPOTENCY_KEY_REUSED: 422,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  MISCONFIGURED: 500,
  UNAVAILABLE: 503,
} as const satisfies Record<string, ContentfulStatusCode>

export type ErrorCode = keyof typeof statusByCode
export const errorCodes = Object.keys(statusByCode) as ErrorCode[]

export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return statusByCode[code]
}

export class ApiError extends Error {
  readonly code: ErrorCode
  readonly headers: Record<string, string>

  constructor(code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.headers = headers
  }

  get status(): ContentfulStatusCode {
    return statusOf(this.code)
  }
}

export const badRequest = (message: string) => new ApiError('BAD_REQUEST', message)
export const accountNotFound = () => new ApiError('NOT_FOUND', "account doesn't exist")
export const retryLater = () =>
  new ApiError(
    'UNAVAILABLE',
    'the change may not have been saved; retry it with the same Idempotency-Key',
    {
      'Retry-After': '1',
    },
  )
export const unauthorized = () =>
  new ApiError('UNAUTHORIZED', 'unauthorized requests', {
    'WWW-Authenticate': 'Basic realm="scheduler0", charset="UTF-8"',
  })
