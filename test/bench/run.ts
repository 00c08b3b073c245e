import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Api, inParallel } from './api'
import { measureBundle } from './bundle'
import { type LoadResult, runLoad } from './load'
import { type BenchReport, type ScenarioReport, toMarkdown, writeReport } from './report'
import { probeScenarios } from './probes'
import {
  ceilingScenarios,
  readScenarios,
  type Scenario,
  type Seed,
  writeScenarios,
} from './scenarios'
import { judgeTargets } from './targets'
import {
  killAllWorkersNow,
  REPO_ROOT,
  type RunningWorker,
  runtimeMemory,
  startWorker,
  stopAllWorkers,
} from './worker-process'

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name]
  const value = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0`)
  return value
}

const settings = {
  durationSec: numberFromEnv('BENCH_DURATION', 10),
  connections: numberFromEnv('BENCH_CONNECTIONS', 64),
  warmupSec: numberFromEnv('BENCH_WARMUP', 2),
}
const resultsDir = process.env.BENCH_OUT ?? path.join(REPO_ROOT, 'bench-results')
const BASE_ALLOWANCE = 1000
const log = (text: string) => process.stderr.write(`${text}\n`)

async function seedAccounts(api: Api): Promise<Seed> {
  const create = async (name: string) =>
    (await api.expect<{ id: number }>(201, 'POST', '/accounts', { name })).id
  const readId = await create('bench read')
  await api.expect(201, 'PUT', `/accounts/${readId}/feature`, { featureId: 2 })
  const hotId = await create('bench hot')
  const consumeId = await create('bench consume')
  const names = Array.from({ length: 100 }, (_, i) => `bench spread ${i}`)
  const spreadIds = await inParallel(names, 8, create)
  return { readId, hotId, consumeId, spreadIds, baseAllowance: BASE_ALLOWANCE }
}

/** Samples the real Worker's runtime memory while a scenario runs. */
function sampleMemory(app: RunningWorker) {
  let peak = 0
  const sample = async () => {
    peak = Math.max(peak, (await runtimeMemory(app)).currentKiB)
  }
  const timer = setInterval(() => void sample(), 500)
  return async () => {
    clearInterval(timer)
    await sample()
    return peak
  }
}

async function runScenario(
  scenario: Scenario,
  workers: { app: RunningWorker; ceiling: RunningWorker },
  headers: Record<string, string>,
): Promise<{
  result: LoadResult
  report: Omit<ScenarioReport, 'ratioToCeilingA' | 'ratioToCeilingB'>
}> {
  await scenario.prepare?.()
  const worker = scenario.target === 'app' ? workers.app : workers.ceiling
  const stopSampling = sampleMemory(workers.app)
  const result = await runLoad({
    baseUrl: worker.baseUrl,
    connections: settings.connections,
    durationSec: settings.durationSec,
    headers: scenario.target === 'app' ? headers : {},
    next: scenario.next,
    onResponse: scenario.onResponse,
    drainPath: scenario.target === 'app' ? '/api/v1/healthcheck' : '/noop',
  })
  const peakRssKiB = await stopSampling()
  const checks = (await scenario.verify?.(result)) ?? []
  let unexpected = 0
  let refused = 0
  for (const [status, count] of Object.entries(result.statuses)) {
    if (scenario.refused?.has(Number(status))) refused += count
    else if (!scenario.expected.has(Number(status))) unexpected += count
  }
  return {
    result,
    report: {
      id: scenario.id,
      title: scenario.title,
      group: scenario.group,
      target: scenario.target,
      requestsPerSec: result.requestsPerSec,
      latencyMs: result.latencyMs,
      sent: result.sent,
      answered: result.answered,
      errors: unexpected + result.unanswered + result.connectionErrors,
      refused,
      statuses: result.statuses,
      peakRssKiB,
      checks,
    },
  }
}

async function warmUp(worker: RunningWorker, path: string, headers: Record<string, string>) {
  if (settings.warmupSec === 0) return
  await runLoad({
    baseUrl: worker.baseUrl,
    connections: settings.connections,
    durationSec: settings.warmupSec,
    headers,
    next: () => ({ method: 'GET', path }),
    drainPath: path,
  })
}

async function main() {
  const started = performance.now()
  const loadAtStart = os.loadavg()[0] ?? 0
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'scheduler0-bench-'))
  try {
    log(`bench: ${settings.durationSec} s per scenario at ${settings.connections} connections`)
    const bundle = await measureBundle(path.join(tmp, 'bundle'))
    log(`bench: bundle ${bundle.bytes} bytes, ${bundle.gzipBytes} gzipped`)

    const password = randomBytes(18).toString('base64url')
    const [app, ceiling] = await Promise.all([
      startWorker({
        label: 'app',
        cwd: REPO_ROOT,
        persistTo: path.join(tmp, 'app-state'),
        vars: { SCHEDULER0_AUTH_USERNAME: 'bench', SCHEDULER0_AUTH_PASSWORD: password },
        migrate: true,
        readyPath: '/api/v1/healthcheck',
      }),
      startWorker({
        label: 'ceiling',
        cwd: path.join(import.meta.dirname, 'ceiling-worker'),
        persistTo: path.join(tmp, 'ceiling-state'),
        migrate: false,
        readyPath: '/noop',
      }),
    ])
    log(`bench: app on ${app.baseUrl}, ceiling Worker on ${ceiling.baseUrl}`)

    const api = new Api(app.baseUrl, 'bench', password)
    const seed = await seedAccounts(api)
    await warmUp(app, '/api/v1/healthcheck', api.headers)
    await warmUp(ceiling, '/d1', {})
    await warmUp(app, `/api/v1/accounts/${seed.readId}`, api.headers)

    const [ceilingA, ceilingB] = ceilingScenarios()
    const scenarios: Scenario[] = [
      ...ceilingScenarios(),
      ...readScenarios(seed),
      ...writeScenarios(api, seed),
      ...probeScenarios(seed),
    ]
    // Measured again at the end, so drift from other work on the machine shows in the table.
    if (ceilingA)
      scenarios.push({ ...ceilingA, id: 'ceiling-a-end', title: 'ceiling A again, at the end' })
    if (ceilingB)
      scenarios.push({ ...ceilingB, id: 'ceiling-b-end', title: 'ceiling B again, at the end' })
    const measured: Omit<ScenarioReport, 'ratioToCeilingA' | 'ratioToCeilingB'>[] = []
    for (const scenario of scenarios) {
      log(`bench: ${scenario.title} ...`)
      const { result, report } = await runScenario(scenario, { app, ceiling }, api.headers)
      measured.push(report)
      const failed = report.checks.filter((check) => !check.pass).length
      log(
        `  ${result.requestsPerSec} req/s, p50 ${result.latencyMs.p50} ms, ` +
          `p99 ${result.latencyMs.p99} ms, statuses ${JSON.stringify(result.statuses)}` +
          (report.checks.length > 0
            ? `, checks ${report.checks.length - failed}/${report.checks.length} pass`
            : ''),
      )
    }

    const rateOf = (id: string | undefined) =>
      measured.find((scenario) => scenario.id === id)?.requestsPerSec ?? Number.NaN
    const rateA = rateOf(ceilingA?.id)
    const rateB = rateOf(ceilingB?.id)
    const reports: ScenarioReport[] = measured.map((scenario) => ({
      ...scenario,
      ratioToCeilingA: Math.round((scenario.requestsPerSec / rateA) * 1000) / 1000,
      ratioToCeilingB: Math.round((scenario.requestsPerSec / rateB) * 1000) / 1000,
    }))
    const memory = await runtimeMemory(app)
    const report: BenchReport = {
      date: new Date().toISOString().slice(0, 10),
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
        arch: os.machine(),
        node: process.versions.node,
        os: `${os.type()} ${os.release()}`,
      },
      settings,
      loadAverage: {
        start: Math.round(loadAtStart * 100) / 100,
        end: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
      },
      scenarios: reports,
      memory: { peakKiB: memory.peakKiB, processes: memory.processes },
      bundle,
      targets: judgeTargets(reports, bundle),
      totalSec: Math.round((performance.now() - started) / 1000),
    }
    await stopAllWorkers()
    const files = await writeReport(resultsDir, report)
    process.stdout.write(`${toMarkdown(report)}\n`)
    for (const target of report.targets) {
      process.stdout.write(`${target.pass ? 'PASS' : 'MISS'} ${target.name}: ${target.detail}\n`)
    }
    log(`bench: wrote ${files.map((file) => path.relative(REPO_ROOT, file)).join(', ')}`)
  } finally {
    await stopAllWorkers()
    await rm(tmp, { recursive: true, force: true })
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`bench: ${signal}, stopping the Workers`)
    void stopAllWorkers().finally(() => process.exit(130))
  })
}
process.once('exit', killAllWorkersNow)

main().catch(async (error: unknown) => {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  await stopAllWorkers()
  process.exit(1)
})
