import { Hono } from 'hono'
import { featureIdBody } from '../bodies'
import { accountObject, unwrap } from '../outcome'
import { readBody } from '../request'
import { accountIdOf, type AppEnv, success } from './context'

export const accountFeatureRoutes = new Hono<AppEnv>()
  .put('/:id/feature', async (c) => {
    const id = accountIdOf(c)
    const { featureId } = await readBody(c, featureIdBody)
    const { changed } = await unwrap(accountObject(c.env, id).addFeature(id, featureId))
    return success(c, { featureId }, changed ? 201 : 200)
  })
  .delete('/:id/feature', async (c) => {
    const id = accountIdOf(c)
    const { featureId } = await readBody(c, featureIdBody)
    await unwrap(accountObject(c.env, id).removeFeature(id, featureId))
    return c.body(null, 204)
  })
  // The clients send these two with an empty body or none at all; whatever comes is ignored.
  .put('/:id/features/all', async (c) => {
    const id = accountIdOf(c)
    await unwrap(accountObject(c.env, id).addAllFeatures(id))
    return success(c, { message: 'All features added successfully' })
  })
  .delete('/:id/features/all', async (c) => {
    const id = accountIdOf(c)
    await unwrap(accountObject(c.env, id).removeAllFeatures(id))
    return success(c, { message: 'All features removed successfully' })
  })
