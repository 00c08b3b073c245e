import { Hono } from 'hono'
import { except } from 'hono/combine'
import { basicAuth } from './auth'
import { ApiError } from './errors'
import { describeError, logEvent } from './log'
import { declaredBodyLimit, requestContext, validConfig } from './middleware'
import { accountFeatureRoutes } from './routes/account-features'
import { accountRoutes } from './routes/accounts'
import type { AppContext, AppEnv } from './routes/context'
import { executionCountRoutes } from './routes/execution-count'
import { featureRoutes } from './routes/features'
import { healthRoutes } from './routes/health'
import { openApiRoutes } from './routes/openapi'

function errorResponse(c: AppContext, error: ApiError) {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value)
  return c.json({ success: false as const, data: error.message, code: error.code }, error.status)
}

// Public even for the methods they do not allow, so their 405s need no credentials either.
const publicPaths = ['/api/v1/healthcheck', '/api/v1/openapi.json']

export function createApp() {
  const app = new Hono<AppEnv>()
  app.use('*', requestContext(), declaredBodyLimit())

  app.route('/api/v1/healthcheck', healthRoutes)
  app.route('/api/v1/openapi.json', openApiRoutes)

  app.use('/api/v1/*', except(publicPaths, basicAuth(), validConfig()))
  app.route('/api/v1/features', featureRoutes)
  app.route('/api/v1/accounts', accountRoutes)
  app.route('/api/v1/accounts', accountFeatureRoutes)
  app.route('/api/v1/accounts', executionCountRoutes)

  allowListedMethods(app)

  app.notFound((c) => errorResponse(c, new ApiError('NOT_FOUND', 'not found')))
  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error)
    // Internal detail goes to the log only; the caller gets the request id to quote.
    logEvent('error', {
      event: 'unhandled_error',
      requestId: c.var.requestId,
      route: c.req.routePath,
      ...describeError(error),
    })
    return c.json(
      {
        success: false as const,
        data: 'internal error',
        code: 'INTERNAL' as const,
        requestId: c.var.requestId,
      },
      500,
    )
  })
  return app
}

/** Answers 405 with an `Allow` header on every known path, for the methods it lacks. */
function allowListedMethods(app: Hono<AppEnv>) {
  const methodsByPath = new Map<string, Set<string>>()
  for (const { method, path } of app.routes) {
    if (method === 'ALL') continue
    const methods = methodsByPath.get(path) ?? new Set<string>()
    methods.add(method)
    if (method === 'GET') methods.add('HEAD')
    methodsByPath.set(path, methods)
  }
  for (const [path, methods] of methodsByPath) {
    const allow = [...methods].join(', ')
    app.all(path, () => {
      throw new ApiError('METHOD_NOT_ALLOWED', 'method not allowed', { Allow: allow })
    })
  }
}
