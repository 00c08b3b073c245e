import type { HistoryType } from '../db/schema'
import { MAX_SAFE_COUNT } from '../schema'
import { formatDate, nextResetAfter, parseDate } from '../time'

// The pure heart of an account's object: given the account as D1 has it and a batch of
// commands, decide every command's result and the changes to write. No I/O, no clock, so
// tests can drive it directly against a reference model.

export type Command =
  | { kind: 'increase'; count: number; key?: string }
  | { kind: 'consume'; count: number; key?: string }
  | { kind: 'addFeature'; featureId: number }
  | { kind: 'removeFeature'; featureId: number }
  | { kind: 'addAllFeatures' }
  | { kind: 'removeAllFeatures' }
  | { kind: 'rename'; name: string }
  /** Applies a due reset and nothing else; used by the cron sweep and by reads. */
  | { kind: 'sync' }

export type Outcome =
  | {
      ok: true
      executionCount: number
      /** Whether the command changed anything (a feature newly attached, a reset applied). */
      changed: boolean
      /** The command repeated an idempotency key; its first result is returned. */
      replayed: boolean
    }
  | { ok: false; reason: 'account_not_found' | 'overflow' | 'key_reused' | 'unavailable' }
  | { ok: false; reason: 'feature_not_found'; featureId: number }
  | { ok: false; reason: 'insufficient'; remaining: number; requested: number }

export interface LedgerState {
  accountId: number
  name: string
  executionCount: number
  /** The creation instant every period is anchored on. */
  anchor: string
  nextResetDate: string
  featureIds: Set<number>
}

/** What an idempotency key recorded the first time it was used. */
export interface RecordedKey {
  type: HistoryType
  delta: number
  executionCount: number
}

export interface HistoryEntry {
  type: HistoryType
  delta: number
  executionCount: number
  idempotencyKey: string | null
}

export interface LedgerChanges {
  history: HistoryEntry[]
  featuresAdded: number[]
  featuresRemoved: number[]
  /** Set when the account row's name or features changed. */
  accountModified: boolean
  name: string
  executionCount: number
  nextResetDate: string
}

export interface LedgerContext {
  nowMs: number
  baseAllowance: number
  /** Feature id to the execution credits it adds. */
  catalog: ReadonlyMap<number, number>
  /** Keys already in D1 among those the batch uses. */
  recordedKeys: ReadonlyMap<string, RecordedKey>
}

export function monthlyAllowance(
  featureIds: Iterable<number>,
  context: Pick<LedgerContext, 'baseAllowance' | 'catalog'>,
): number {
  let total = context.baseAllowance
  for (const id of featureIds) total += context.catalog.get(id) ?? 0
  // A count is never stored past 2^53 - 1, whatever the base and the catalog add up to.
  return Math.min(total, MAX_SAFE_COUNT)
}

export function applyCommands(
  initial: LedgerState,
  commands: readonly Command[],
  context: LedgerContext,
): { outcomes: Outcome[]; changes: LedgerChanges } {
  const state = { ...initial, featureIds: new Set(initial.featureIds) }
  const history: HistoryEntry[] = []
  const keys = new Map(context.recordedKeys)
  let accountModified = false

  const record = (type: HistoryType, delta: number, key: string | null = null) => {
    state.executionCount += delta
    history.push({ type, delta, executionCount: state.executionCount, idempotencyKey: key })
    if (key !== null) keys.set(key, { type, delta, executionCount: state.executionCount })
  }
  const success = (changed: boolean): Outcome => ({
    ok: true,
    executionCount: state.executionCount,
    changed,
    replayed: false,
  })

  // A period that has ended is closed before anything else in the batch touches the balance.
  let resetApplied = false
  if (parseDate(state.nextResetDate) <= context.nowMs) {
    record('reset', monthlyAllowance(state.featureIds, context) - state.executionCount)
    state.nextResetDate = formatDate(nextResetAfter(parseDate(state.anchor), context.nowMs))
    resetApplied = true
  }

  // Grants the credits of features newly attached, all or nothing, refusing an overflow.
  const attach = (featureIds: number[]): Outcome => {
    const fresh = featureIds.filter((id) => !state.featureIds.has(id))
    const credits = fresh.reduce((sum, id) => sum + (context.catalog.get(id) ?? 0), 0)
    if (state.executionCount + credits > MAX_SAFE_COUNT) return { ok: false, reason: 'overflow' }
    for (const id of fresh) {
      state.featureIds.add(id)
      const granted = context.catalog.get(id) ?? 0
      if (granted > 0) record('feature_granted', granted)
    }
    if (fresh.length > 0) accountModified = true
    return success(fresh.length > 0)
  }
  const detach = (featureIds: number[]): Outcome => {
    const attached = featureIds.filter((id) => state.featureIds.has(id))
    for (const id of attached) state.featureIds.delete(id)
    if (attached.length > 0) accountModified = true
    return success(attached.length > 0)
  }

  const keyed = (
    type: 'increased' | 'consumed',
    delta: number,
    key: string | undefined,
    apply: () => Outcome,
  ): Outcome => {
    const seen = key === undefined ? undefined : keys.get(key)
    if (!seen) return apply()
    if (seen.type !== type || seen.delta !== delta) return { ok: false, reason: 'key_reused' }
    return { ok: true, executionCount: seen.executionCount, changed: false, replayed: true }
  }

  const run = (command: Command): Outcome => {
    switch (command.kind) {
      case 'increase':
        return keyed('increased', command.count, command.key, () => {
          // A keyed 0 is recorded (delta 0) so that its key is taken like any other; an
          // unkeyed 0 is a pure read.
          if (command.count === 0 && command.key === undefined) return success(false)
          if (state.executionCount + command.count > MAX_SAFE_COUNT) {
            return { ok: false, reason: 'overflow' }
          }
          record('increased', command.count, command.key ?? null)
          return success(true)
        })
      case 'consume':
        return keyed('consumed', -command.count, command.key, () => {
          if (state.executionCount < command.count) {
            return {
              ok: false,
              reason: 'insufficient',
              remaining: state.executionCount,
              requested: command.count,
            }
          }
          record('consumed', -command.count, command.key ?? null)
          return success(true)
        })
      case 'addFeature':
        if (!context.catalog.has(command.featureId)) {
          return { ok: false, reason: 'feature_not_found', featureId: command.featureId }
        }
        return attach([command.featureId])
      case 'removeFeature':
        return detach([command.featureId])
      case 'addAllFeatures':
        return attach([...context.catalog.keys()])
      case 'removeAllFeatures':
        return detach([...state.featureIds])
      case 'rename':
        if (command.name === state.name) return success(false)
        state.name = command.name
        accountModified = true
        return success(true)
      case 'sync':
        return success(resetApplied)
    }
  }

  const outcomes = commands.map(run)
  return {
    outcomes,
    changes: {
      history,
      featuresAdded: [...state.featureIds].filter((id) => !initial.featureIds.has(id)),
      featuresRemoved: [...initial.featureIds].filter((id) => !state.featureIds.has(id)),
      accountModified,
      name: state.name,
      executionCount: state.executionCount,
      nextResetDate: state.nextResetDate,
    },
  }
}
