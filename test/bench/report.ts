import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { BundleSize } from './bundle'
import type { Check } from './exactness'
import type { LatencySummary } from './load'
import type { Group } from './scenarios'

export interface ScenarioReport {
  id: string
  title: string
  group: Group
  target: 'app' | 'ceiling'
  requestsPerSec: number
  latencyMs: LatencySummary
  sent: number
  answered: number
  /** Unexpected statuses, connection errors and unanswered requests. */
  errors: number
  /** Expected refusals (409 on consume), not errors. */
  refused: number
  statuses: Record<string, number>
  ratioToCeilingA: number
  ratioToCeilingB: number
  /** Highest resident set of the real Worker's workerd processes sampled during the run. */
  peakRssKiB: number
  checks: Check[]
}

export interface Target {
  name: string
  pass: boolean
  detail: string
}

export interface BenchReport {
  date: string
  machine: { cores: number; cpu: string; arch: string; node: string; os: string }
  settings: { durationSec: number; connections: number; warmupSec: number }
  /** 1-minute load average before and after: other work on the machine skews every figure. */
  loadAverage: { start: number; end: number }
  scenarios: ScenarioReport[]
  memory: { peakKiB: number; processes: number }
  bundle: BundleSize
  targets: Target[]
  totalSec: number
}

const percent = (ratio: number) => `${Math.round(ratio * 100)}%`
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

function notes(scenario: ScenarioReport): string {
  const parts: string[] = []
  if (scenario.refused > 0) parts.push(`${scenario.refused} refused (409)`)
  if (scenario.checks.length > 0) {
    const failed = scenario.checks.filter((check) => !check.pass)
    parts.push(failed.length === 0 ? 'exact' : `NOT exact: ${failed.map((c) => c.name).join(', ')}`)
  }
  return parts.join('; ')
}

export function toMarkdown(report: BenchReport): string {
  const { machine, settings } = report
  const lines = [
    `Run ${report.date} on ${machine.cores} cores (${machine.cpu}), ${machine.arch}, ` +
      `Node ${machine.node}, ${machine.os}; ${settings.connections} connections, ` +
      `${settings.durationSec} s per scenario after ${settings.warmupSec} s warm-up; ` +
      `load generator on the same machine; 1-minute load average ${report.loadAverage.start} ` +
      `before, ${report.loadAverage.end} after. Total ${Math.round(report.totalSec)} s.`,
    '',
    '| Scenario | req/s | p50 ms | p99 ms | errors | vs ceiling A | vs ceiling B | notes |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...report.scenarios.map((s) =>
      [
        '',
        s.title,
        s.requestsPerSec.toFixed(0),
        s.latencyMs.p50.toFixed(1),
        s.latencyMs.p99.toFixed(1),
        String(s.errors),
        percent(s.ratioToCeilingA),
        percent(s.ratioToCeilingB),
        notes(s),
        '',
      ]
        .join(' | ')
        .trim(),
    ),
    '',
    `Peak memory of the Worker's runtime (workerd, sum of VmHWM over its ` +
      `${report.memory.processes} processes): ${mib(report.memory.peakKiB)}. ` +
      `Deployable bundle: ${kib(report.bundle.bytes)}, ${kib(report.bundle.gzipBytes)} gzipped.`,
    '',
    '| Target | Result | Measured |',
    '|---|---|---|',
    ...report.targets.map((t) => `| ${t.name} | ${t.pass ? 'PASS' : 'MISS'} | ${t.detail} |`),
    '',
    '| Exactness check | Scenario | Result | Detail |',
    '|---|---|---|---|',
    ...report.scenarios.flatMap((s) =>
      s.checks.map((c) => `| ${c.name} | ${s.title} | ${c.pass ? 'PASS' : 'FAIL'} | ${c.detail} |`),
    ),
    '',
  ]
  return lines.join('\n')
}

export async function writeReport(dir: string, report: BenchReport): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const json = path.join(dir, 'latest.json')
  const markdown = path.join(dir, 'latest.md')
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(markdown, `# Benchmark results\n\n${toMarkdown(report)}`)
  return [json, markdown]
}
