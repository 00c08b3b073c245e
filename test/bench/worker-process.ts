import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..')
export const WRANGLER = path.join(REPO_ROOT, 'node_modules', '.bin', 'wrangler')

/** Environment for every wrangler call: no metrics, no network look-ups, no prompts. */
export const wranglerEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  CI: 'true',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
})

/** A port nothing listens on right now, picked by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port)
        else reject(new Error('no port assigned'))
      })
    })
  })
}

export interface WorkerOptions {
  /** Shown in logs and errors. */
  label: string
  /** The directory holding wrangler.toml; wrangler runs there. */
  cwd: string
  /** Local state (D1, Durable Objects) lives here, never under the repo's .wrangler. */
  persistTo: string
  vars?: Record<string, string>
  /** Apply the D1 migrations of binding DB into persistTo before starting. */
  migrate: boolean
  /** Path answered with 200 once the Worker is up. */
  readyPath: string
}

export interface RunningWorker {
  label: string
  baseUrl: string
  pid: number
  stop(): Promise<void>
  /** Output kept for error reports; the request log is drained, not stored. */
  recentOutput(): string
}

const running = new Set<RunningWorker>()

export async function applyMigrations(cwd: string, persistTo: string): Promise<void> {
  await run(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistTo], {
    cwd,
    env: wranglerEnv(),
    maxBuffer: 16 * 1024 * 1024,
  })
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  if (options.migrate) await applyMigrations(options.cwd, options.persistTo)
  const port = await freePort()
  const inspectorPort = await freePort()
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port)]
  args.push('--inspector-port', String(inspectorPort), '--persist-to', options.persistTo)
  args.push('--log-level', 'warn', '--show-interactive-dev-session=false')
  for (const [name, value] of Object.entries(options.vars ?? {})) {
    args.push('--var', `${name}:${value}`)
  }
  // A process group of its own, so one signal reaches wrangler, its Node child and workerd.
  const child = spawn(WRANGLER, args, {
    cwd: options.cwd,
    env: wranglerEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const pid = child.pid
  if (pid === undefined) throw new Error(`${options.label}: wrangler dev did not start`)
  const output = keepTail(child)
  const worker: RunningWorker = {
    label: options.label,
    baseUrl: `http://127.0.0.1:${port}`,
    pid,
    stop: () => stopGroup(child, pid),
    recentOutput: output,
  }
  running.add(worker)
  try {
    await waitUntilReady(`${worker.baseUrl}${options.readyPath}`, child, 60_000)
  } catch (error) {
    await worker.stop()
    throw new Error(`${options.label}: ${String(error)}\n${output()}`)
  }
  return worker
}

/** Reads the child's output continuously (the pipe must never fill) and keeps only the tail. */
function keepTail(child: ChildProcess): () => string {
  let tail = ''
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return () => tail
}

export async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`)
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      await response.arrayBuffer()
      if (response.ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`not ready after ${timeoutMs} ms: ${url}`)
}

export async function stopGroup(child: ChildProcess, pid: number): Promise<void> {
  for (const worker of running) if (worker.pid === pid) running.delete(worker)
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  signalGroup(pid, 'SIGTERM')
  const forced = setTimeout(() => signalGroup(pid, 'SIGKILL'), 5_000)
  await exited
  clearTimeout(forced)
  // workerd may outlive wrangler by a moment; make sure nothing of the group is left.
  signalGroup(pid, 'SIGKILL')
}

export function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}

/** Stops every Worker still running; safe to call from signal and error handlers. */
export async function stopAllWorkers(): Promise<void> {
  await Promise.all([...running].map((worker) => worker.stop()))
}

/** Synchronous last resort for process exit: signals every group still running. */
export function killAllWorkersNow(): void {
  for (const worker of running) signalGroup(worker.pid, 'SIGKILL')
}

interface ProcStatus {
  pid: number
  name: string
  peakKiB: number
  currentKiB: number
  groupId: number
}

async function readStatus(pid: number): Promise<ProcStatus | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1])
    // Fields after the parenthesised command name: state, ppid, pgrp, ...
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return {
      pid,
      name: /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '',
      peakKiB: field('VmHWM') || 0,
      currentKiB: field('VmRSS') || 0,
      groupId: Number(afterName[2]),
    }
  } catch {
    return undefined
  }
}

export interface RuntimeMemory {
  /** Sum over the group's workerd processes of their peak resident set (VmHWM). */
  peakKiB: number
  /** Sum over the same processes of their resident set now (VmRSS). */
  currentKiB: number
  processes: number
}

/** Memory of the workerd processes wrangler started for this Worker. */
export async function runtimeMemory(worker: RunningWorker): Promise<RuntimeMemory> {
  const entries = await readdir('/proc')
  const statuses = await Promise.all(
    entries.filter((entry) => /^\d+$/.test(entry)).map((entry) => readStatus(Number(entry))),
  )
  const workerd = statuses.filter(
    (status): status is ProcStatus =>
      status !== undefined && status.groupId === worker.pid && status.name === 'workerd',
  )
  return {
    peakKiB: workerd.reduce((sum, status) => sum + status.peakKiB, 0),
    currentKiB: workerd.reduce((sum, status) => sum + status.currentKiB, 0),
    processes: workerd.length,
  }
}
