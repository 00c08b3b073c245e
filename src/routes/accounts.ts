import { Hono } from 'hono'
import { accountNameBody } from '../bodies'
import { createAccount } from '../db/create-account'
import { findAccount, listAccounts } from '../db/queries'
import { accountNotFound } from '../errors'
import { accountObject, unwrap } from '../outcome'
import { decodeCursor, encodeCursor, parseLimit, readBody } from '../request'
import { accountIdOf, type AppEnv, dbOf, success } from './context'

export const accountRoutes = new Hono<AppEnv>()
  .post('/', async (c) => {
    const { name } = await readBody(c, accountNameBody)
    const { baseMonthlyExecutions } = c.var.config
    const account = await createAccount(dbOf(c), name, Date.now(), baseMonthlyExecutions)
    c.set('accountId', account.id)
    return success(c, account, 201)
  })
  .get('/', async (c) => {
    const limit = parseLimit(c.req.query('limit'))
    const afterId = decodeCursor(c.req.query('cursor')) ?? 0
    const page = await listAccounts(dbOf(c), afterId, limit)
    const last = page.accounts.at(-1)
    return success(c, {
      accounts: page.accounts,
      nextCursor: page.hasMore && last ? encodeCursor(last.id) : null,
    })
  })
  .get('/:id', async (c) => {
    const account = await findAccount(dbOf(c), accountIdOf(c))
    if (!account) throw accountNotFound()
    return success(c, account)
  })
  .put('/:id', async (c) => {
    const id = accountIdOf(c)
    const { name } = await readBody(c, accountNameBody)
    await unwrap(accountObject(c.env, id).rename(id, name))
    const account = await findAccount(dbOf(c), id)
    if (!account) throw accountNotFound()
    return success(c, account)
  })
