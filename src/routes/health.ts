import { Hono } from 'hono'
import { type AppEnv, success } from './context'

export const healthRoutes = new Hono<AppEnv>().get('/', (c) => success(c, { status: 'ok' }))
