import { DurableObject } from 'cloudflare:workers'
import { readConfig } from '../config'
import { database } from '../db/client'
import { describeError, logEvent } from '../log'
import { formatDate } from '../time'
import { applyCommands, type Command, type Outcome } from './ledger'
import { loadLedger, saveLedger } from './ledger-store'

interface Pending {
  command: Command
  resolve: (outcome: Outcome) => void
}

// Bounds one D1 batch: history rows, key look-ups and statement size stay well inside limits.
const MAX_COMMANDS_PER_BATCH = 256

/**
 * The only writer of one account's features, execution count and history. Commands are queued
 * and applied in arrival order; those that arrive while a D1 write is in flight go out together
 * in the next write. The queue is ours rather than the input gate's, because awaiting D1 lets
 * the next call in. Nothing survives between batches except the queue itself: every batch
 * starts from what D1 holds, so eviction or restart loses nothing and applies nothing twice.
 */
export class AccountObject extends DurableObject<Cloudflare.Env> {
  private readonly queue: Pending[] = []
  private draining = false
  /** D1 round trips and commands since this instance started; read by tests. */
  readonly stats = { roundTrips: 0, batches: 0, commands: 0 }

  increase(accountId: number, count: number, key?: string): Promise<Outcome> {
    return this.submit(accountId, { kind: 'increase', count, key })
  }

  consume(accountId: number, count: number, key?: string): Promise<Outcome> {
    return this.submit(accountId, { kind: 'consume', count, key })
  }

  addFeature(accountId: number, featureId: number): Promise<Outcome> {
    return this.submit(accountId, { kind: 'addFeature', featureId })
  }

  removeFeature(accountId: number, featureId: number): Promise<Outcome> {
    return this.submit(accountId, { kind: 'removeFeature', featureId })
  }

  addAllFeatures(accountId: number): Promise<Outcome> {
    return this.submit(accountId, { kind: 'addAllFeatures' })
  }

  removeAllFeatures(accountId: number): Promise<Outcome> {
    return this.submit(accountId, { kind: 'removeAllFeatures' })
  }

  rename(accountId: number, name: string): Promise<Outcome> {
    return this.submit(accountId, { kind: 'rename', name })
  }

  /** Applies a reset if the period has ended; `changed` says whether one was applied. */
  sync(accountId: number): Promise<Outcome> {
    return this.submit(accountId, { kind: 'sync' })
  }

  private submit(accountId: number, command: Command): Promise<Outcome> {
    return new Promise((resolve) => {
      this.queue.push({ command, resolve })
      if (!this.draining) void this.drain(accountId)
    })
  }

  private async drain(accountId: number): Promise<void> {
    this.draining = true
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_COMMANDS_PER_BATCH)
        const outcomes = await this.runBatch(accountId, batch)
        batch.forEach((pending, i) =>
          pending.resolve(outcomes[i] ?? { ok: false, reason: 'unavailable' }),
        )
      }
    } finally {
      this.draining = false
    }
  }

  private async runBatch(accountId: number, batch: Pending[]): Promise<Outcome[]> {
    const commands = batch.map((pending) => pending.command)
    try {
      const baseAllowance = readConfig(this.env).baseMonthlyExecutions
      const db = database(this.env.DB)
      const keys = commands.flatMap((c) => ('key' in c && c.key !== undefined ? [c.key] : []))
      this.stats.batches += 1
      this.stats.commands += commands.length
      this.stats.roundTrips += 1
      const loaded = await loadLedger(db, accountId, [...new Set(keys)])
      if (!loaded) return commands.map(() => ({ ok: false, reason: 'account_not_found' }))

      const nowMs = Date.now()
      const { outcomes, changes } = applyCommands(loaded.state, commands, {
        nowMs,
        baseAllowance,
        catalog: loaded.catalog,
        recordedKeys: loaded.recordedKeys,
      })
      if (await saveLedger(db, accountId, changes, formatDate(nowMs), loaded.version)) {
        this.stats.roundTrips += 1
      }
      return outcomes
    } catch (error) {
      // The batch is one transaction, so it was written whole or not at all; an error after the
      // commit is possible, so callers retry under their Idempotency-Key, which replays.
      logEvent('error', {
        event: 'account_batch_failed',
        accountId,
        commands: commands.length,
        ...describeError(error),
      })
      return commands.map(() => ({ ok: false, reason: 'unavailable' }))
    }
  }
}
