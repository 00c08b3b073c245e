import type { Context } from 'hono'
import type { Config } from '../config'
import { database } from '../db/client'
import { parseAccountId } from '../request'

export interface AppEnv {
  Bindings: Cloudflare.Env
  Variables: {
    requestId: string
    /** Validated by the `validConfig` middleware on every protected route. */
    config: Config
    /** The account a request is about, for the request log line. */
    accountId?: number
  }
}

export type AppContext = Context<AppEnv>

export const dbOf = (c: AppContext) => database(c.env.DB)

export function success<T>(c: AppContext, data: T, status: 200 | 201 = 200) {
  return c.json({ success: true as const, data }, status)
}

/** The `{id}` of the path, validated, and noted for the request log. */
export function accountIdOf(c: AppContext): number {
  const id = parseAccountId(c.req.param('id') ?? '')
  c.set('accountId', id)
  return id
}
