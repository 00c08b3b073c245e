import { Hono } from 'hono'
import { listFeatures } from '../db/queries'
import { type AppEnv, dbOf, success } from './context'

export const featureRoutes = new Hono<AppEnv>().get('/', async (c) =>
  success(c, await listFeatures(dbOf(c))),
)
