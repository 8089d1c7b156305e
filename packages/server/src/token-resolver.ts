import { ACLCache, aclCacheKey, compileACL, MANAGEMENT_ACL, parsePolicy } from '@tollgate/acl';
import type { ACL, Policy } from '@tollgate/acl';
import type { ACLToken, StateStore } from '@tollgate/state';
import { PermissionDeniedError, TokenExpiredError } from './errors.js';
import { ANONYMOUS_TOKEN } from './tokens.js';

/** A resolved caller: its token and the compiled ACL to check it against. */
export interface Identity {
  readonly token: ACLToken;
  readonly acl: ACL;
}

interface Memo {
  /** The policy and role tables' latest index when the ACL was compiled. */
  epoch: number;
  acl: ACL;
  /** ExpirationTime in ms since the epoch, or Infinity. */
  expiresAt: number;
}

/**
 * Turns a SecretID into an identity, on the hot path of every request.
 *
 * Cost per call with warm caches: one Map lookup (secret → token), one
 * WeakMap lookup (token → memo) and an integer compare against the policy
 * and role table indexes. A token object is immutable in the store (an
 * update replaces it), so the memo can hang off the object itself; any
 * policy or role write (local, replicated or from etcd) bumps its table
 * index, which makes every memo recompute its cache key once, so the next
 * check sees the change. A token's policies are its own plus every policy
 * of each role it links (links to deleted roles and missing policies grant
 * nothing, as in Nomad). Compiled ACLs are shared between tokens with the
 * same policies through an LRU keyed by `name@ModifyIndex` of the policies
 * (and the role each came through), so a change invalidates exactly the
 * ACLs that used it.
 */
export class TokenResolver {
  readonly #store: StateStore;
  readonly #memo = new WeakMap<ACLToken, Memo>();
  readonly #acls: ACLCache;
  readonly #parsed = new Map<string, { modifyIndex: number; policy: Policy }>();
  readonly #now: () => number;

  constructor(store: StateStore, opts: { cacheSize?: number; now?: () => number } = {}) {
    this.#store = store;
    this.#acls = new ACLCache({ size: opts.cacheSize ?? 512 });
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Resolves a secret (empty = anonymous). Throws `PermissionDeniedError` for
   * an unknown secret and `TokenExpiredError` for an expired token; never
   * falls back to anonymous for a bad secret.
   */
  resolve(secret: string): Identity {
    const token = secret === '' ? ANONYMOUS_TOKEN : this.#store.tokenBySecret(secret);
    if (token === undefined) throw new PermissionDeniedError();
    const memo = this.#memoFor(token);
    if (memo.expiresAt <= this.#now()) throw new TokenExpiredError();
    return { token, acl: memo.acl };
  }

  /** The compiled ACL of a token (no expiry check). */
  aclFor(token: ACLToken): ACL {
    return this.#memoFor(token).acl;
  }

  #memoFor(token: ACLToken): Memo {
    // Region indexes only grow and each write moves its table to the new
    // index, so the larger of the two moves whenever either table changes.
    const epoch = Math.max(this.#store.tableIndex('acl_policy'), this.#store.tableIndex('acl_role'));
    let memo = this.#memo.get(token);
    if (memo === undefined) {
      memo = {
        epoch,
        acl: this.#compile(token),
        expiresAt: token.ExpirationTime === null ? Infinity : Date.parse(token.ExpirationTime),
      };
      this.#memo.set(token, memo);
    } else if (memo.epoch !== epoch) {
      memo.acl = this.#compile(token);
      memo.epoch = epoch;
    }
    return memo;
  }

  #compile(token: ACLToken): ACL {
    if (token.Type === 'management') return MANAGEMENT_ACL;
    const present: { name: string; modifyIndex: number; rules: string; role?: string }[] = [];
    for (const { name, role } of this.#policyRefs(token)) {
      const stored = this.#store.policy(name);
      // Missing policies grant nothing (Nomad skips them silently).
      if (stored !== undefined) {
        present.push({ name, modifyIndex: stored.ModifyIndex, rules: stored.Rules, ...(role === undefined ? {} : { role }) });
      }
    }
    return this.#acls.get(aclCacheKey(present), () =>
      compileACL(
        present.map((p) => ({
          name: p.name,
          policy: this.#parse(p.name, p.modifyIndex, p.rules),
          ...(p.role === undefined ? {} : { role: p.role }),
        })),
      ),
    );
  }

  /**
   * The policy names a token draws on, each once: its own first, then each
   * linked role's (tagged with the first role that brings it). Links to
   * roles that no longer exist are skipped, as Nomad does.
   */
  #policyRefs(token: ACLToken): { name: string; role?: string }[] {
    const out: { name: string; role?: string }[] = [];
    const seen = new Set<string>();
    for (const name of token.Policies ?? []) {
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({ name });
    }
    for (const link of token.Roles ?? []) {
      const role = this.#store.role(link.ID);
      if (role === undefined) continue;
      for (const { Name: name } of role.Policies) {
        if (seen.has(name)) continue;
        seen.add(name);
        out.push({ name, role: role.Name });
      }
    }
    return out;
  }

  /** Every policy name a token holds, directly or through its roles (policy reads and lists). */
  policyNamesOf(token: ACLToken): string[] {
    return this.#policyRefs(token).map((r) => r.name);
  }

  /**
   * The parsed form of a stored policy, cached per (name, ModifyIndex):
   * the HCL parser costs milliseconds, so nothing on a request path may
   * parse the same rules twice.
   */
  policyOf(stored: { Name: string; ModifyIndex: number; Rules: string }): Policy {
    return this.#parse(stored.Name, stored.ModifyIndex, stored.Rules);
  }

  #parse(name: string, modifyIndex: number, rules: string): Policy {
    const hit = this.#parsed.get(name);
    if (hit !== undefined && hit.modifyIndex === modifyIndex) return hit.policy;
    // Stored rules were validated strictly on write; evaluate them leniently
    // as Nomad does, so an upgrade that tightens the grammar cannot lock
    // every token out.
    const policy = parsePolicy(rules, { strict: false });
    this.#parsed.set(name, { modifyIndex, policy });
    return policy;
  }
}
