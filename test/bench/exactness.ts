import {
  type AccountJson,
  type Api,
  type ExecutionCountJson,
  type HistoryEntryJson,
  inParallel,
} from './api'

export interface Check {
  name: string
  pass: boolean
  detail: string
}

/** What the clients were told, per account: the 2xx answers of one write scenario. */
export class ChangeTally {
  acknowledged = 0
  /** Signed sum of the acknowledged changes. */
  sum = 0
  /** The balance each acknowledged change reported. */
  readonly balances: number[] = []

  record(delta: number, balance: number) {
    this.acknowledged += 1
    this.sum += delta
    this.balances.push(balance)
  }
}

interface AccountFindings {
  balance: number
  entries: number
  /** Acknowledged changes with no entry, or entries with no acknowledgement. */
  mismatches: string[]
  overdrawn: boolean
}

async function ledgerOf(api: Api, id: number) {
  const count = await api.expect<ExecutionCountJson>(200, 'GET', `/accounts/${id}/execution-count`)
  const newestFirst = await api.allPages<HistoryEntryJson>(
    `/accounts/${id}/execution-count/history`,
    'entries',
  )
  return { balance: count.executionCount, entries: newestFirst.reverse() }
}

/**
 * Compares one account's stored balance and history with what its clients were told.
 * `unanswered` requests may or may not have been applied; they widen what is accepted only
 * when there were any (the drain in load.ts normally leaves none).
 */
async function inspectAccount(
  api: Api,
  { id, initial, afterEntryId, tally }: AccountExpectation,
  type: 'increased' | 'consumed',
  unanswered: number,
): Promise<AccountFindings> {
  const { balance, entries } = await ledgerOf(api, id)
  const mismatches: string[] = []
  let overdrawn = balance < 0
  let previous = 0
  for (const entry of entries) {
    if (entry.executionCount !== previous + entry.delta) {
      mismatches.push(`entry ${entry.id} does not follow from the one before`)
    }
    if (entry.executionCount < 0) overdrawn = true
    previous = entry.executionCount
  }
  if (previous !== balance) mismatches.push(`newest entry ${previous} != balance ${balance}`)

  const changes = entries.filter((entry) => entry.id > afterEntryId && entry.type === type)
  const changeSum = changes.reduce((sum, entry) => sum + entry.delta, 0)
  const extra = changes.length - tally.acknowledged
  if (extra < 0 || extra > unanswered) {
    mismatches.push(`${changes.length} ${type} entries for ${tally.acknowledged} acknowledged`)
  }
  if (unanswered === 0 && changeSum !== tally.sum) {
    mismatches.push(`${type} entries sum to ${changeSum}, acknowledged ${tally.sum}`)
  }
  if (unanswered === 0 && balance !== initial + tally.sum) {
    mismatches.push(`balance ${balance} != ${initial} + ${tally.sum}`)
  }
  // Every acknowledged answer must be backed by its own entry: a balance reported twice means
  // two callers were told about one change.
  const recorded = new Map<number, number>()
  for (const entry of changes) {
    recorded.set(entry.executionCount, (recorded.get(entry.executionCount) ?? 0) + 1)
  }
  let unbacked = 0
  for (const reported of tally.balances) {
    const left = recorded.get(reported) ?? 0
    if (left === 0) unbacked += 1
    else recorded.set(reported, left - 1)
  }
  if (unbacked > 0) mismatches.push(`${unbacked} acknowledged balances have no entry of their own`)
  if (tally.balances.some((reported) => reported < 0)) overdrawn = true
  return { balance, entries: changes.length, mismatches, overdrawn }
}

export interface AccountExpectation {
  id: number
  /** The balance when the scenario started. */
  initial: number
  /** The newest history entry before the scenario; only later entries are its own. */
  afterEntryId: number
  tally: ChangeTally
}

/** Where an account stands before a scenario changes it. */
export async function startingPoint(api: Api, id: number) {
  const count = await api.expect<ExecutionCountJson>(200, 'GET', `/accounts/${id}/execution-count`)
  const page = await api.expect<{ entries: HistoryEntryJson[] }>(
    200,
    'GET',
    `/accounts/${id}/execution-count/history?limit=1`,
  )
  return { initial: count.executionCount, afterEntryId: page.entries[0]?.id ?? 0 }
}

/** The three checks the bench promises after each balance-changing scenario. */
export async function checkBalances(
  api: Api,
  accounts: readonly AccountExpectation[],
  type: 'increased' | 'consumed',
  unanswered: number,
): Promise<Check[]> {
  const findings = await inParallel(accounts, 8, (account) =>
    inspectAccount(api, account, type, unanswered),
  )
  const acknowledged = accounts.reduce((sum, account) => sum + account.tally.acknowledged, 0)
  const ackedSum = accounts.reduce((sum, account) => sum + account.tally.sum, 0)
  const initial = accounts.reduce((sum, account) => sum + account.initial, 0)
  const balance = findings.reduce((sum, found) => sum + found.balance, 0)
  const entries = findings.reduce((sum, found) => sum + found.entries, 0)
  const problems = findings.flatMap((found, i) =>
    found.mismatches.map((text) => `account ${accounts[i]?.id}: ${text}`),
  )
  const scope = accounts.length === 1 ? '' : ` over ${accounts.length} accounts`
  const balanceOk = balance === initial + ackedSum || unanswered > 0
  return [
    {
      name: 'balance = start + acknowledged changes',
      pass: balanceOk && problems.every((text) => !text.includes('balance')),
      detail: `${balance} = ${initial} + (${ackedSum})${scope}`,
    },
    {
      name: 'one history entry per acknowledged change',
      pass: problems.length === 0,
      detail:
        `${entries} ${type} entries, ${acknowledged} acknowledged, ${unanswered} unanswered` +
        (problems.length > 0 ? `; ${problems.slice(0, 3).join('; ')}` : ''),
    },
    {
      name: 'never overdrawn',
      pass: findings.every((found) => !found.overdrawn),
      detail: findings.some((found) => found.overdrawn)
        ? 'a balance went below 0'
        : 'no balance < 0',
    },
  ]
}

/** After account creation: every acknowledged account exists once, with its starting count. */
export async function checkCreated(
  api: Api,
  before: number,
  createdIds: readonly number[],
  unanswered: number,
  baseAllowance: number,
): Promise<Check[]> {
  const all = await api.allPages<AccountJson>('/accounts', 'accounts')
  const present = new Set(all.map((account) => account.id))
  const distinct = new Set(createdIds)
  const missing = createdIds.filter((id) => !present.has(id)).length
  const extra = all.length - before - createdIds.length
  const sample = createdIds.filter(
    (_, i) => i % Math.max(1, Math.floor(createdIds.length / 25)) === 0,
  )
  const wrongStart = (
    await inParallel(sample, 8, async (id) => {
      const { balance, entries } = await ledgerOf(api, id)
      const created = entries.length === 1 && entries[0]?.type === 'created'
      return balance === baseAllowance && created ? 0 : 1
    })
  ).reduce<number>((sum, wrong) => sum + wrong, 0)
  return [
    {
      name: 'each acknowledged account exists once',
      pass:
        missing === 0 && distinct.size === createdIds.length && extra >= 0 && extra <= unanswered,
      detail:
        `${all.length} accounts = ${before} before + ${createdIds.length} acknowledged` +
        `${extra === 0 ? '' : ` + ${extra} unexplained`}; ${missing} missing; ` +
        `${createdIds.length - distinct.size} duplicate ids`,
    },
    {
      name: 'new accounts start at the base allowance with one history entry',
      pass: wrongStart === 0,
      detail: `${sample.length - wrongStart} of ${sample.length} sampled accounts`,
    },
  ]
}
