import { Hono } from 'hono'
import { consumeBody, increaseBody } from '../bodies'
import { readConfig } from '../config'
import { findExecutionCount, listHistory } from '../db/queries'
import { accountNotFound } from '../errors'
import { accountObject, unwrap } from '../outcome'
import { decodeCursor, encodeCursor, parseIdempotencyKey, parseLimit, readBody } from '../request'
import { accountIdOf, type AppContext, type AppEnv, dbOf, success } from './context'

const idempotencyKeyOf = (c: AppContext) => parseIdempotencyKey(c.req.header('Idempotency-Key'))

function markReplay(c: AppContext, replayed: boolean) {
  if (replayed) c.header('Idempotent-Replayed', 'true')
}

export const executionCountRoutes = new Hono<AppEnv>()
  .get('/:id/execution-count', async (c) => {
    const id = accountIdOf(c)
    const { baseMonthlyExecutions } = readConfig(c.env)
    const db = dbOf(c)
    let count = await findExecutionCount(db, id, baseMonthlyExecutions)
    if (!count) throw accountNotFound()
    // A period that has ended is never shown: close it through the object, then read again.
    if (Date.parse(count.nextResetDate) <= Date.now()) {
      await unwrap(accountObject(c.env, id).sync(id))
      count = await findExecutionCount(db, id, baseMonthlyExecutions)
      if (!count) throw accountNotFound()
    }
    return success(c, count)
  })
  .put('/:id/execution-count', async (c) => {
    const id = accountIdOf(c)
    const key = idempotencyKeyOf(c)
    const { count } = await readBody(c, increaseBody)
    const outcome = await unwrap(accountObject(c.env, id).increase(id, count, key))
    markReplay(c, outcome.replayed)
    return success(c, { newExecutionCount: outcome.executionCount })
  })
  .post('/:id/execution-count/consume', async (c) => {
    const id = accountIdOf(c)
    const key = idempotencyKeyOf(c)
    const { count } = await readBody(c, consumeBody)
    const outcome = await unwrap(accountObject(c.env, id).consume(id, count, key))
    markReplay(c, outcome.replayed)
    return success(c, { executionCount: outcome.executionCount, consumed: count })
  })
  .get('/:id/execution-count/history', async (c) => {
    const id = accountIdOf(c)
    const limit = parseLimit(c.req.query('limit'))
    const beforeId = decodeCursor(c.req.query('cursor'))
    const page = await listHistory(dbOf(c), id, beforeId, limit)
    if (!page) throw accountNotFound()
    const last = page.entries.at(-1)
    return success(c, {
      entries: page.entries,
      nextCursor: page.hasMore && last ? encodeCursor(last.id) : null,
    })
  })
