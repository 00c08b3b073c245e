import { Hono } from 'hono'
import { consumeBody, increaseBody } from '../bodies'
import { findExecutionCount, listHistory } from '../db/queries'
import { accountNotFound } from '../errors'
import { accountObject, unwrap } from '../outcome'
import { decodeCursor, encodeCursor, parseIdempotencyKey, parseLimit, readBody } from '../request'
import { accountIdOf, type AppContext, type AppEnv, dbOf, success } from './context'

const idempotencyKeyOf = (c: AppContext) => parseIdempotencyKey(c.req.header('Idempotency-Key'))

function markReplay(c: AppContext, replayed: boolean) {
  if (replayed) c.header('Idempotent-Replayed', 'true')
}

/**
 * Runs a read of an account's counts, and if it shows a period that has ended, closes that
 * period through the account's object and reads again: no read ever shows an ended period.
 */
async function readCurrentPeriod<T extends { nextResetDate: string }>(
  c: AppContext,
  id: number,
  read: () => Promise<T | undefined>,
): Promise<T> {
  const first = await read()
  if (!first) throw accountNotFound()
  if (Date.parse(first.nextResetDate) > Date.now()) return first
  await unwrap(accountObject(c.env, id).sync(id))
  const again = await read()
  if (!again) throw accountNotFound()
  return again
}

export const executionCountRoutes = new Hono<AppEnv>()
  .get('/:id/execution-count', async (c) => {
    const id = accountIdOf(c)
    const { baseMonthlyExecutions } = c.var.config
    const read = () => findExecutionCount(dbOf(c), id, baseMonthlyExecutions)
    return success(c, await readCurrentPeriod(c, id, read))
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
    const read = () => listHistory(dbOf(c), id, beforeId, limit)
    const page = await readCurrentPeriod(c, id, read)
    const last = page.entries.at(-1)
    return success(c, {
      entries: page.entries,
      nextCursor: page.hasMore && last ? encodeCursor(last.id) : null,
    })
  })
