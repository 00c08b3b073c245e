import type { BundleSize } from './bundle'
import type { ScenarioReport, Target } from './report'

const MAX_BUNDLE_GZIP_BYTES = 100 * 1024

/** The targets, judged from one run's figures. */
export function judgeTargets(scenarios: ScenarioReport[], bundle: BundleSize): Target[] {
  const byId = new Map(scenarios.map((scenario) => [scenario.id, scenario]))
  const ceilingA = byId.get('ceiling-a')
  const ceilingB = byId.get('ceiling-b')
  const hot = byId.get('increase-hot')
  const atEnd = (id: string) => {
    const again = byId.get(id)
    return again ? ` (at the end of the run: ${again.requestsPerSec.toFixed(0)} req/s)` : ''
  }
  const versus = (measured: number, ceiling: number, ratio: number, endId: string) =>
    `${measured.toFixed(0)} vs ${ceiling.toFixed(0)} req/s = ${(ratio * 100).toFixed(0)}%` +
    atEnd(endId)
  const targets: Target[] = []

  if (ceilingA && hot) {
    targets.push({
      name: 'hot-account increase >= 70% of ceiling A req/s',
      pass: hot.ratioToCeilingA >= 0.7,
      detail: versus(
        hot.requestsPerSec,
        ceilingA.requestsPerSec,
        hot.ratioToCeilingA,
        'ceiling-a-end',
      ),
    })
    const p99Ratio = hot.latencyMs.p99 / ceilingA.latencyMs.p99
    targets.push({
      name: 'hot-account increase p99 <= 3x ceiling A p99',
      pass: p99Ratio <= 3,
      detail:
        `${hot.latencyMs.p99.toFixed(1)} vs ${ceilingA.latencyMs.p99.toFixed(1)} ms = ` +
        `${p99Ratio.toFixed(1)}x`,
    })
    const failed = hot.checks.filter((check) => !check.pass)
    targets.push({
      name: 'hot-account increase: no lost or duplicated change',
      pass: hot.checks.length > 0 && failed.length === 0 && hot.errors === 0,
      detail:
        failed.length === 0
          ? `${hot.checks.length} checks pass, ${hot.errors} errors`
          : failed.map((check) => `${check.name}: ${check.detail}`).join('; '),
    })
  }
  for (const id of ['get-account', 'get-execution-count']) {
    const read = byId.get(id)
    if (!read || !ceilingB) continue
    targets.push({
      name: `${read.title} >= 85% of ceiling B req/s`,
      pass: read.ratioToCeilingB >= 0.85,
      detail: versus(
        read.requestsPerSec,
        ceilingB.requestsPerSec,
        read.ratioToCeilingB,
        'ceiling-b-end',
      ),
    })
  }
  targets.push({
    name: 'deployable bundle <= 100 KiB gzipped',
    pass: bundle.gzipBytes <= MAX_BUNDLE_GZIP_BYTES,
    detail: `${(bundle.gzipBytes / 1024).toFixed(1)} KiB`,
  })
  return targets
}
