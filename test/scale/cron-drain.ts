// Drains a backlog of 1,000 due accounts (among 1,000 not due) through the cron sweep against the
// real local runtime (`wrangler dev --test-scheduled`), where creating a Durable Object does not
// get slower with every object created as it does inside the vitest pool.
//
//   npm run test:scale
//
// Starts its own Worker on a free port with fresh local state in a temp dir, seeds D1 with SQL,
// fires the cron by hand until the backlog is gone and checks every account afterwards.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import {
  applyMigrations,
  freePort,
  REPO_ROOT,
  signalGroup,
  stopGroup,
  waitUntilReady,
  WRANGLER,
  wranglerEnv,
} from '../bench/worker-process'

const run = promisify(execFile)

const DUE = 1000
const IDLE = 1000
// SWEEP_BATCH_SIZE in src/cron.ts.
const BATCH = 40
const RUNS = Math.ceil(DUE / BATCH)
const BASE_ALLOWANCE = 1000
const SEEDED_COUNT = 42
const IDLE_RESET_DATE = '2099-01-01T00:00:00Z'
const CRON = '*/5 * * * *'
const USERNAME = 'scale'
const PASSWORD = 'scale-test-password'
const RUN_TIMEOUT_MS = 60_000

interface SweepSummary {
  due: number
  reset: number
  failed: number
  left: number
}

class CheckFailed extends Error {}

function check(condition: boolean, message: string): void {
  if (!condition) throw new CheckFailed(message)
}

const seconds = (ms: number) => (ms / 1000).toFixed(2)

// --- the Worker ----------------------------------------------------------------------------

interface DevWorker {
  baseUrl: string
  pid: number
  child: ChildProcess
  /** Resolves with the next reset_sweep summary the Worker logs. */
  nextSweep(timeoutMs: number): Promise<SweepSummary>
  /** Lines about failed resets or batches, kept for the report. */
  errors: string[]
  recentOutput(): string
}

let started: DevWorker | undefined
let lastOutput = (): string => ''
let stateDir: string | undefined

function asSummary(value: unknown): SweepSummary | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const record = value as Record<string, unknown>
  if (record.event !== 'reset_sweep') return undefined
  const { due, reset, failed, left } = record
  if (
    typeof due !== 'number' ||
    typeof reset !== 'number' ||
    typeof failed !== 'number' ||
    typeof left !== 'number'
  ) {
    return undefined
  }
  return { due, reset, failed, left }
}

function parseJsonLine(line: string): unknown {
  const start = line.indexOf('{')
  if (start < 0) return undefined
  try {
    return JSON.parse(line.slice(start))
  } catch {
    return undefined
  }
}

async function startDev(persistTo: string): Promise<DevWorker> {
  const port = await freePort()
  const inspectorPort = await freePort()
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--test-scheduled']
  args.push('--inspector-port', String(inspectorPort), '--persist-to', persistTo)
  args.push('--show-interactive-dev-session=false')
  args.push('--var', `SCHEDULER0_AUTH_USERNAME:${USERNAME}`)
  args.push('--var', `SCHEDULER0_AUTH_PASSWORD:${PASSWORD}`)
  // A process group of its own, so one signal reaches wrangler, its Node child and workerd.
  const child = spawn(WRANGLER, args, {
    cwd: REPO_ROOT,
    env: wranglerEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const pid = child.pid
  if (pid === undefined) throw new Error('wrangler dev did not start')

  const summaries: SweepSummary[] = []
  const waiters: ((summary: SweepSummary) => void)[] = []
  const errors: string[] = []
  let tail = ''
  // Both streams are read line by line for as long as the child lives, so no pipe ever fills:
  // summaries go to stdout (console.log), a sweep with failures to stderr (console.warn).
  const onLine = (line: string) => {
    tail = (tail + line + '\n').slice(-8_000)
    const parsed = parseJsonLine(line)
    const summary = asSummary(parsed)
    if (summary) {
      const waiter = waiters.shift()
      if (waiter) waiter(summary)
      else summaries.push(summary)
    } else if (/"event":"(reset_failed|account_batch_failed)"/.test(line)) {
      errors.push(line)
    }
  }
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine)
  }

  const worker: DevWorker = {
    baseUrl: `http://127.0.0.1:${port}`,
    pid,
    child,
    errors,
    recentOutput: () => tail,
    nextSweep(timeoutMs) {
      const queued = summaries.shift()
      if (queued) return Promise.resolve(queued)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const index = waiters.indexOf(waiter)
          if (index >= 0) waiters.splice(index, 1)
          reject(new Error(`no reset_sweep line within ${timeoutMs} ms`))
        }, timeoutMs)
        const waiter = (summary: SweepSummary) => {
          clearTimeout(timer)
          resolve(summary)
        }
        waiters.push(waiter)
      })
    },
  }
  started = worker
  lastOutput = worker.recentOutput
  await waitUntilReady(`${worker.baseUrl}/api/v1/healthcheck`, child, 60_000)
  return worker
}

// --- local D1 through wrangler -------------------------------------------------------------

async function d1(persistTo: string, sql: string): Promise<Record<string, unknown>[]> {
  const args = ['d1', 'execute', 'DB', '--local', '--persist-to', persistTo, '--json']
  const { stdout } = await run(WRANGLER, [...args, '--command', sql], {
    cwd: REPO_ROOT,
    env: wranglerEnv(),
    maxBuffer: 64 * 1024 * 1024,
  })
  const parsed: unknown = JSON.parse(stdout)
  if (!Array.isArray(parsed)) throw new Error(`unexpected d1 output: ${stdout.slice(0, 500)}`)
  const rows: Record<string, unknown>[] = []
  for (const result of parsed as unknown[]) {
    if (typeof result !== 'object' || result === null) continue
    const list = (result as { results?: unknown }).results
    if (Array.isArray(list)) rows.push(...(list as Record<string, unknown>[]))
  }
  return rows
}

function seedSql(prefix: string, total: number, nextResetDate: string): string {
  return [
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${total})`,
    `INSERT INTO accounts (name, date_created)`,
    `SELECT '${prefix}-' || i, '2024-01-01T00:00:00Z' FROM n;`,
    `INSERT INTO execution_counts (id, account_id, execution_count, next_reset_date, date_created)`,
    `SELECT id, id, ${SEEDED_COUNT}, '${nextResetDate}', '2024-01-01T00:00:00Z'`,
    `FROM accounts WHERE name LIKE '${prefix}-%';`,
  ].join(' ')
}

interface StateCounts {
  dueAccounts: number
  dueBalanced: number
  dueOneReset: number
  idleAccounts: number
  idleUntouched: number
  idleHistory: number
  history: number
}

async function readState(persistTo: string, nowIso: string): Promise<StateCounts> {
  const sql = `SELECT
    (SELECT count(*) FROM accounts WHERE name LIKE 'due-%') AS dueAccounts,
    (SELECT count(*) FROM accounts a JOIN execution_counts c ON c.account_id = a.id
      WHERE a.name LIKE 'due-%' AND c.execution_count = ${BASE_ALLOWANCE}
        AND c.next_reset_date > '${nowIso}') AS dueBalanced,
    (SELECT count(*) FROM accounts a
      WHERE a.name LIKE 'due-%'
        AND (SELECT count(*) FROM execution_history h WHERE h.account_id = a.id) = 1
        AND EXISTS (SELECT 1 FROM execution_history h WHERE h.account_id = a.id
          AND h.type = 'reset' AND h.delta = ${BASE_ALLOWANCE - SEEDED_COUNT}
          AND h.execution_count = ${BASE_ALLOWANCE})) AS dueOneReset,
    (SELECT count(*) FROM accounts WHERE name LIKE 'idle-%') AS idleAccounts,
    (SELECT count(*) FROM accounts a JOIN execution_counts c ON c.account_id = a.id
      WHERE a.name LIKE 'idle-%' AND c.execution_count = ${SEEDED_COUNT}
        AND c.next_reset_date = '${IDLE_RESET_DATE}' AND c.date_modified IS NULL) AS idleUntouched,
    (SELECT count(*) FROM execution_history h JOIN accounts a ON a.id = h.account_id
      WHERE a.name LIKE 'idle-%') AS idleHistory,
    (SELECT count(*) FROM execution_history) AS history`
  const [row] = await d1(persistTo, sql)
  if (!row) throw new Error('state query returned no row')
  const field = (name: keyof StateCounts): number => {
    const value = row[name]
    if (typeof value !== 'number') throw new Error(`state query: ${name} is ${String(value)}`)
    return value
  }
  return {
    dueAccounts: field('dueAccounts'),
    dueBalanced: field('dueBalanced'),
    dueOneReset: field('dueOneReset'),
    idleAccounts: field('idleAccounts'),
    idleUntouched: field('idleUntouched'),
    idleHistory: field('idleHistory'),
    history: field('history'),
  }
}

function checkState(state: StateCounts, when: string): void {
  check(state.dueAccounts === DUE, `${when}: ${state.dueAccounts} due accounts seeded, not ${DUE}`)
  check(state.idleAccounts === IDLE, `${when}: ${state.idleAccounts} idle accounts, not ${IDLE}`)
  check(
    state.dueBalanced === DUE,
    `${when}: ${state.dueBalanced}/${DUE} due accounts hold ${BASE_ALLOWANCE} with a future reset`,
  )
  check(
    state.dueOneReset === DUE,
    `${when}: ${state.dueOneReset}/${DUE} due accounts have exactly one reset entry`,
  )
  check(
    state.idleUntouched === IDLE,
    `${when}: ${state.idleUntouched}/${IDLE} idle accounts are untouched`,
  )
  check(state.idleHistory === 0, `${when}: idle accounts have ${state.idleHistory} history entries`)
  check(state.history === DUE, `${when}: ${state.history} history entries in all, not ${DUE}`)
}

// --- the API, for a sample of accounts ----------------------------------------------------

const authorization = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`

async function getData(worker: DevWorker, route: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${worker.baseUrl}${route}`, {
    headers: { authorization },
    signal: AbortSignal.timeout(10_000),
  })
  const body: unknown = await response.json()
  check(response.ok, `GET ${route}: ${response.status} ${JSON.stringify(body)}`)
  const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : null
  check(typeof data === 'object' && data !== null, `GET ${route}: no data in the envelope`)
  return data as Record<string, unknown>
}

async function checkAccountViaApi(worker: DevWorker, id: number, due: boolean): Promise<void> {
  const base = `/api/v1/accounts/${id}/execution-count`
  const count = await getData(worker, base)
  const history = await getData(worker, `${base}/history`)
  const entries = Array.isArray(history.entries) ? (history.entries as unknown[]) : undefined
  check(entries !== undefined, `account ${id}: history has no entries list`)
  const balance = count.executionCount
  const nextReset = count.nextResetDate
  if (due) {
    check(balance === BASE_ALLOWANCE, `account ${id}: balance ${String(balance)} via the API`)
    check(
      typeof nextReset === 'string' && Date.parse(nextReset) > Date.now(),
      `account ${id}: next reset ${String(nextReset)} is not in the future`,
    )
    const [entry] = entries ?? []
    const type = typeof entry === 'object' && entry !== null ? (entry as { type?: unknown }) : {}
    check(
      entries?.length === 1 && type.type === 'reset',
      `account ${id}: history via the API is ${JSON.stringify(entries)}`,
    )
  } else {
    check(balance === SEEDED_COUNT, `idle account ${id}: balance ${String(balance)} via the API`)
    check(nextReset === IDLE_RESET_DATE, `idle account ${id}: next reset ${String(nextReset)}`)
    check(entries?.length === 0, `idle account ${id}: history ${JSON.stringify(entries)}`)
  }
}

// --- the drain -----------------------------------------------------------------------------

async function fireCron(worker: DevWorker): Promise<{ summary: SweepSummary; ms: number }> {
  const startedAt = performance.now()
  const response = await fetch(`${worker.baseUrl}/__scheduled?cron=${CRON.replaceAll(' ', '+')}`, {
    signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
  })
  await response.arrayBuffer()
  check(response.ok, `/__scheduled answered ${response.status}`)
  // The handler sweeps in waitUntil: the run is over when its summary line is logged.
  const summary = await worker.nextSweep(RUN_TIMEOUT_MS)
  return { summary, ms: performance.now() - startedAt }
}

async function main(): Promise<void> {
  const began = performance.now()
  const persistTo = await mkdtemp(path.join(tmpdir(), 'scheduler0-cron-drain-'))
  stateDir = persistTo
  try {
    await applyMigrations(REPO_ROOT, persistTo)
    const worker = await startDev(persistTo)
    console.log(
      `wrangler dev up at ${worker.baseUrl} after ${seconds(performance.now() - began)} s`,
    )

    // Seeded while the Worker runs: it reads the same persisted D1 file.
    const seedStart = performance.now()
    await d1(
      persistTo,
      `${seedSql('due', DUE, '2024-02-01T00:00:00Z')} ${seedSql('idle', IDLE, IDLE_RESET_DATE)}`,
    )
    console.log(
      `seeded ${DUE} due and ${IDLE} idle accounts in ${seconds(performance.now() - seedStart)} s`,
    )

    const timings: number[] = []
    for (let runNo = 1; runNo <= RUNS + 1; runNo += 1) {
      const { summary, ms } = await fireCron(worker)
      timings.push(ms)
      console.log(
        `run ${String(runNo).padStart(2)}: ${JSON.stringify(summary)} in ${ms.toFixed(0)} ms`,
      )
      const expected =
        runNo <= RUNS
          ? {
              due: Math.min(BATCH, DUE - BATCH * (runNo - 1)),
              reset: Math.min(BATCH, DUE - BATCH * (runNo - 1)),
              failed: 0,
              left: Math.max(0, DUE - BATCH * runNo),
            }
          : { due: 0, reset: 0, failed: 0, left: 0 }
      check(
        JSON.stringify(summary) === JSON.stringify(expected),
        `run ${runNo}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(summary)}`,
      )
    }
    check(worker.errors.length === 0, `reset failures logged:\n${worker.errors.join('\n')}`)

    const nowIso = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
    checkState(await readState(persistTo, nowIso), 'after the drain')
    const sample = [1, 2, DUE / 2, DUE - 1, DUE]
    await Promise.all([
      ...sample.map((id) => checkAccountViaApi(worker, id, true)),
      ...sample.map((id) => checkAccountViaApi(worker, DUE + id, false)),
    ])

    // A repeated run finds nothing due and resets nothing twice.
    const again = await fireCron(worker)
    console.log(`repeat: ${JSON.stringify(again.summary)} in ${again.ms.toFixed(0)} ms`)
    check(
      again.summary.due === 0 && again.summary.reset === 0 && again.summary.failed === 0,
      `repeated run reset something: ${JSON.stringify(again.summary)}`,
    )
    checkState(await readState(persistTo, nowIso), 'after a repeated run')

    const full = timings.slice(0, RUNS)
    const mean = (list: number[]) => list.reduce((sum, ms) => sum + ms, 0) / list.length
    console.log(
      `run times: first 5 mean ${mean(full.slice(0, 5)).toFixed(0)} ms, ` +
        `last 5 mean ${mean(full.slice(-5)).toFixed(0)} ms, ` +
        `max ${Math.max(...full).toFixed(0)} ms`,
    )
    console.log(
      `cron drain at scale: PASS (${RUNS} runs, ${DUE} reset, ${IDLE} untouched) ` +
        `in ${seconds(performance.now() - began)} s`,
    )
  } finally {
    const worker = started
    started = undefined
    if (worker) await stopGroup(worker.child, worker.pid)
    await rm(persistTo, { recursive: true, force: true })
    stateDir = undefined
  }
}

function killNow(): void {
  if (started) signalGroup(started.pid, 'SIGKILL')
}

process.on('exit', killNow)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`cron drain at scale: interrupted by ${signal}`)
    killNow()
    if (stateDir) rmSync(stateDir, { recursive: true, force: true })
    process.exit(130)
  })
}

main().catch((error: unknown) => {
  const tail = lastOutput()
  console.error(error instanceof CheckFailed ? error.message : error)
  if (tail) console.error(`--- wrangler dev output (tail) ---\n${tail}`)
  console.error('cron drain at scale: FAIL')
  process.exitCode = 1
})
