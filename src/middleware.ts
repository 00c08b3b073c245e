import type { MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import { readConfig } from './config'
import { logEvent } from './log'
import { checkDeclaredLength } from './request'
import type { AppEnv } from './routes/context'

const validRequestId = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * Outermost layer: gives every response its request id and security headers, and writes the
 * request's one log line. Only the method, route pattern and ids are logged, never headers or
 * bodies, so credentials cannot reach the log.
 */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = Date.now()
    const incoming = c.req.header('X-Request-Id')
    const requestId = incoming && validRequestId.test(incoming) ? incoming : crypto.randomUUID()
    c.set('requestId', requestId)
    await next()
    c.header('X-Request-Id', requestId)
    c.header('Cache-Control', 'no-store')
    c.header('X-Content-Type-Options', 'nosniff')
    const status = c.res.status
    logEvent(status >= 500 ? 'error' : 'info', {
      event: 'request',
      method: c.req.method,
      route: status === 404 && c.var.accountId === undefined ? null : routePath(c, -1),
      status,
      durationMs: Date.now() - started,
      accountId: c.var.accountId ?? null,
      requestId,
    })
  }
}

/** Refuses a body declared larger than the limit before anything reads it. */
export function declaredBodyLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    checkDeclaredLength(c.req.header('Content-Length'))
    await next()
  }
}

/** Checks the configuration before any handler can compute with it, and hands it on. */
export function validConfig(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('config', readConfig(c.env))
    await next()
  }
}
