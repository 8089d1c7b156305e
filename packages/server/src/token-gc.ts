import type { RegionLog, StateStore } from '@tollgate/state';
import type { LeaderTask } from './ha/leader-tasks.js';
import type { Logger } from './logger.js';

/** Most expired tokens deleted per GC pass (Nomad's ACLMaxExpiredBatchSize). */
export const GC_BATCH = 4096;
/** In HA mode one GC write must fit one etcd transaction (two keys per token). */
export const HA_GC_BATCH = 50;

/** What expired-token collection needs from the agent. */
export interface TokenGcPorts {
  readonly store: Pick<StateStore, 'expiredTokens'>;
  /** Deletions go through the region log as leader-only writes (fenced in HA mode). */
  readonly regionLog: Pick<RegionLog, 'apply'>;
  readonly log: Logger;
  /** Expired tokens younger than this (by CreateTime) are kept (`server.acl_token_gc_threshold`). */
  readonly thresholdMs: number;
  /** How often a pass runs (`server.acl_token_gc_interval`). */
  readonly intervalMs: number;
  /** Most tokens per pass (`GC_BATCH`, or `HA_GC_BATCH` on etcd). */
  readonly batch: number;
  /**
   * Whether global tokens are collected here: only in the authoritative
   * region (their deletion then replicates); local tokens everywhere.
   */
  readonly collectsGlobal: boolean;
}

/**
 * Expired-token GC as a leader task (facts §8): it runs only while this
 * agent leads its region (always with one agent per region, while elected
 * in HA mode), one pass every `intervalMs`. A collected token takes its
 * descendants with it (the store's `token-delete` revokes trees in the same
 * write); a global token's deletion replicates, and each follower revokes
 * that token's local children when it arrives (replication-planner.ts).
 */
export class TokenGc implements LeaderTask {
  readonly name = 'token-gc';
  readonly #ports: TokenGcPorts;
  #timer: NodeJS.Timeout | undefined;

  constructor(ports: TokenGcPorts) {
    this.#ports = ports;
  }

  /** Whether the task is started (this agent leads). */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.collect(), this.#ports.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * One pass: deletes expired tokens whose CreateTime is older than the
   * threshold. Returns how many were deleted; 0 when not running (not the
   * leader) or when the write failed (logged; the next pass retries).
   */
  async collect(now = new Date()): Promise<number> {
    if (!this.running) return 0;
    const { store, regionLog, log, thresholdMs, batch, collectsGlobal } = this.#ports;
    const cutoff = now.getTime() - thresholdMs;
    const victims = store
      .expiredTokens(now, batch, (t) => Date.parse(t.CreateTime) <= cutoff && (collectsGlobal || !t.Global))
      .map((t) => t.AccessorID);
    if (victims.length === 0) return 0;
    try {
      await regionLog.apply({ type: 'token-delete', accessors: victims }, { leaderOnly: true });
      log.info({ count: victims.length }, 'expired tokens collected');
      return victims.length;
    } catch (err) {
      log.warn({ err }, 'expired token collection failed');
      return 0;
    }
  }
}
