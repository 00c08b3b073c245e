import { ApiError } from './errors'
import { logEvent } from './log'
import { MAX_SAFE_COUNT } from './schema'

export const DEFAULT_BASE_MONTHLY_EXECUTIONS = 1000

export interface Config {
  baseMonthlyExecutions: number
}

type ConfigResult = { ok: true; config: Config } | { ok: false; reason: string }

// Parsed once per distinct value: an isolate keeps the same vars for its whole life.
const parsedByValue = new Map<string, ConfigResult>()

function parseConfig(raw: string): ConfigResult {
  if (raw.trim() === '')
    return { ok: true, config: { baseMonthlyExecutions: DEFAULT_BASE_MONTHLY_EXECUTIONS } }
  const value = /^[0-9]{1,16}$/.test(raw) ? Number(raw) : NaN
  if (!(value <= MAX_SAFE_COUNT)) {
    return {
      ok: false,
      reason: `BASE_MONTHLY_EXECUTIONS must be an integer from 0 to ${MAX_SAFE_COUNT}`,
    }
  }
  return { ok: true, config: { baseMonthlyExecutions: value } }
}

/** The validated configuration, or a 500 that says the configuration is invalid. */
export function readConfig(env: Cloudflare.Env): Config {
  const raw = String(env.BASE_MONTHLY_EXECUTIONS ?? '')
  let result = parsedByValue.get(raw)
  if (!result) {
    result = parseConfig(raw)
    parsedByValue.set(raw, result)
    if (!result.ok) logEvent('error', { event: 'config_invalid', reason: result.reason })
  }
  if (!result.ok) throw new ApiError('MISCONFIGURED', 'server configuration is invalid')
  return result.config
}
