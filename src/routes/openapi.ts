import { Hono } from 'hono'
import { openApiDocument } from '../openapi/document'
import type { AppEnv } from './context'

export const openApiRoutes = new Hono<AppEnv>().get('/', (c) => c.json(openApiDocument()))
