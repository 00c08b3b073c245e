import autocannon from 'autocannon'
import { performance } from 'node:perf_hooks'

export interface LoadRequest {
  method: 'GET' | 'PUT' | 'POST'
  path: string
  body?: string
}

export interface LoadOptions {
  baseUrl: string
  connections: number
  durationSec: number
  headers: Record<string, string>
  /** Builds the n-th request of the window; n counts from 0 across all connections. */
  next: (n: number) => LoadRequest
  /** Sees every response to a request sent inside the window. */
  onResponse?: (request: LoadRequest, status: number, body: string) => void
  /** A side-effect-free GET sent after the window while the last answers come in. */
  drainPath: string
}

export interface LatencySummary {
  p50: number
  p99: number
  max: number
  mean: number
}

export interface LoadResult {
  /** Requests sent inside the window. */
  sent: number
  /** Of those, how many got an answer (any status). */
  answered: number
  /** Sent but never answered: timed out or cut off. Their effect on the server is unknown. */
  unanswered: number
  statuses: Record<string, number>
  /** Seconds from the first request to the last answer of the window. */
  elapsedSec: number
  requestsPerSec: number
  latencyMs: LatencySummary
  connectionErrors: number
  timeouts: number
}

interface InFlight {
  request: LoadRequest
  sentAt: number
}

const REQUEST_TIMEOUT_SEC = 10

/**
 * Runs autocannon for a fixed window, then drains: once the window closes, each connection's
 * next request is a harmless GET, and the run stops only when every request of the window has
 * its answer. So no write is cut off mid-flight, and "acknowledged" is exact: each request
 * counted here either got its status back or is reported as unanswered. Latency and rate are
 * measured here, per request of the window, not from autocannon's aggregate, which would mix
 * in the drain requests.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  // autocannon hands each connection a fresh context object per request; keyed by it, every
  // answer finds the request it belongs to (pipelining 1: one request in flight per connection).
  const inFlight = new WeakMap<object, InFlight>()
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  let sent = 0
  let answered = 0
  let lastAnswerAt = 0
  let connectionErrors = 0
  let timeouts = 0

  const started = performance.now()
  const windowEnds = started + options.durationSec * 1000

  let finished: () => void = () => {}
  const done = new Promise<void>((resolve) => {
    finished = resolve
  })
  const instance = autocannon(
    {
      url: options.baseUrl,
      connections: options.connections,
      pipelining: 1,
      // An upper bound only: the run is stopped below, once the window has drained.
      duration: options.durationSec + 2 * REQUEST_TIMEOUT_SEC + 30,
      timeout: REQUEST_TIMEOUT_SEC,
      requests: [
        {
          setupRequest: (request, context) => {
            // A fresh headers object every time: autocannon writes Content-Length into it.
            const headers = { ...options.headers }
            if (performance.now() >= windowEnds) {
              return {
                ...request,
                method: 'GET',
                path: options.drainPath,
                headers,
                body: undefined,
              }
            }
            const next = options.next(sent)
            sent += 1
            if (next.body !== undefined) headers['content-type'] = 'application/json'
            inFlight.set(context, { request: next, sentAt: performance.now() })
            return { ...request, method: next.method, path: next.path, headers, body: next.body }
          },
          onResponse: (status, body, context) => {
            const entry = inFlight.get(context)
            if (!entry) return
            inFlight.delete(context)
            const now = performance.now()
            answered += 1
            lastAnswerAt = now
            latencies.push(now - entry.sentAt)
            statuses[String(status)] = (statuses[String(status)] ?? 0) + 1
            options.onResponse?.(entry.request, status, String(body ?? ''))
          },
        },
      ],
    },
    () => finished(),
  )
  instance.on('reqError', (error: unknown) => {
    if (error instanceof Error && error.message === 'request timed out') timeouts += 1
    else connectionErrors += 1
  })

  await sleep(options.durationSec * 1000)
  const drainLimit = performance.now() + (REQUEST_TIMEOUT_SEC + 2) * 1000
  while (answered + timeouts + connectionErrors < sent && performance.now() < drainLimit) {
    await sleep(10)
  }
  instance.stop()
  await done

  const elapsedSec = ((lastAnswerAt || performance.now()) - started) / 1000
  return {
    sent,
    answered,
    unanswered: sent - answered,
    statuses,
    elapsedSec: round(elapsedSec, 3),
    requestsPerSec: round(answered / elapsedSec, 1),
    latencyMs: summarise(latencies),
    connectionErrors,
    timeouts,
  }
}

function summarise(values: number[]): LatencySummary {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0, mean: 0 }
  const sorted = Float64Array.from(values).sort()
  const at = (fraction: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0
  const total = values.reduce((sum, value) => sum + value, 0)
  return {
    p50: round(at(0.5), 2),
    p99: round(at(0.99), 2),
    max: round(sorted[sorted.length - 1] ?? 0, 2),
    mean: round(total / values.length, 2),
  }
}

export const round = (value: number, digits: number) => {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
