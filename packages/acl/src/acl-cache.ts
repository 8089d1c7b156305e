import type { ACL } from './acl.js';
import { compareBytes } from './byte-order.js';

/** Options of {@link ACLCache}. */
export interface ACLCacheOptions {
  /**
   * Most compiled ACLs kept; the least recently used is evicted beyond it.
   * @default 512 (Nomad's server-side compiled-ACL cache size)
   */
  readonly size?: number;
}

/**
 * A small LRU of compiled ACLs, keyed by the identity of a token's policy
 * set (see {@link aclCacheKey}). Because the key embeds each policy's
 * ModifyIndex, editing a policy changes the key and stale entries simply
 * age out; there is no TTL and no explicit invalidation.
 *
 * A Map keeps insertion order, so "touch" = delete + set and the eviction
 * victim is the first key.
 *
 * @example
 * const cache = new ACLCache();
 * const acl = cache.get(aclCacheKey(policies), () => compileACL(parsed));
 */
export class ACLCache {
  /** Capacity in entries. */
  readonly capacity: number;
  private readonly entries = new Map<string, ACL>();

  constructor(options?: ACLCacheOptions) {
    const size = options?.size ?? 512;
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`size must be a positive integer, got ${String(size)}`);
    this.capacity = size;
  }

  /** Number of ACLs currently cached. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Returns the ACL cached under `key`, or builds, caches and returns it.
   * If `build` throws, nothing is cached and the error propagates.
   */
  get(key: string, build: () => ACL): ACL {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const acl = build();
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, acl);
    return acl;
  }

  /** True when `key` is cached (does not count as a use). */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Drops every cached ACL. */
  clear(): void {
    this.entries.clear();
  }
}

/**
 * The cache key for a token's policy set: the policies' `name@ModifyIndex`,
 * sorted by name (bytes) and joined with `,`, so the key does not depend on
 * the order the token lists them and changes whenever one is modified.
 * A policy brought in by an ACL role is `name@ModifyIndex(role)`. Policy
 * and role names cannot contain `@`, `,` or parentheses, so keys are
 * unambiguous.
 *
 * @example aclCacheKey([{ name: 'b', modifyIndex: 7 }, { name: 'a', modifyIndex: 3 }]) // 'a@3,b@7'
 */
export function aclCacheKey(policies: ReadonlyArray<{ name: string; modifyIndex: number; role?: string }>): string {
  return policies
    // The role a policy came through is part of the key: reasons name it.
    .map((p) => ({ name: p.name, id: `${p.name}@${p.modifyIndex}${p.role === undefined ? '' : `(${p.role})`}` }))
    .sort((a, b) => compareBytes(a.name, b.name) || compareBytes(a.id, b.id))
    .map((p) => p.id)
    .join(',');
}
