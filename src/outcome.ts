import type { Outcome } from './durable/ledger'
import { accountNotFound, ApiError, badRequest, retryLater } from './errors'
import { describeError, logEvent } from './log'
import { MAX_SAFE_COUNT } from './schema'

type Success = Extract<Outcome, { ok: true }>

/**
 * Awaits an object call and turns its failure value into the API error it stands for. A call
 * that throws (the object was reset or moved mid-call) has an unknown outcome: its batch may
 * or may not have committed, so the caller is told to retry under the same Idempotency-Key.
 */
export async function unwrap(call: Promise<Outcome>): Promise<Success> {
  let outcome: Outcome
  try {
    outcome = await call
  } catch (error) {
    logEvent('warn', { event: 'object_call_failed', ...describeError(error) })
    throw retryLater()
  }
  if (outcome.ok) return outcome
  switch (outcome.reason) {
    case 'account_not_found':
      throw accountNotFound()
    case 'feature_not_found':
      throw new ApiError('NOT_FOUND', `feature not found with id: ${outcome.featureId}`)
    case 'overflow':
      throw badRequest(`execution count would exceed ${MAX_SAFE_COUNT}`)
    case 'insufficient':
      throw new ApiError(
        'CONFLICT',
        `insufficient execution credits: ${outcome.remaining} remaining, ` +
          `${outcome.requested} requested`,
      )
    case 'key_reused':
      throw new ApiError(
        'IDEMPOTENCY_KEY_REUSED',
        'Idempotency-Key was already used with a different request',
      )
    case 'unavailable':
      throw retryLater()
  }
}

export function accountObject(env: Cloudflare.Env, accountId: number) {
  return env.ACCOUNT_OBJECT.getByName(String(accountId))
}
