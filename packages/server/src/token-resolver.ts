import { ACLCache, aclCacheKey, compileACL, IN_PROCESS_POLICY_PARSER, MANAGEMENT_ACL, parsePolicy } from '@tollgate/acl';
import type { ACL, Policy, PolicyParser } from '@tollgate/acl';
import type { ACLToken, Change, StateStore } from '@tollgate/state';
import { PermissionDeniedError, TokenExpiredError } from './errors.js';
import { ANONYMOUS_TOKEN } from './tokens.js';

/** A resolved caller: its token and the compiled ACL to check it against. */
export interface Identity {
  readonly token: ACLToken;
  readonly acl: ACL;
}

/** A policy a compiled ACL draws on (and the role it came through). */
interface PolicyRef {
  readonly name: string;
  readonly role?: string;
}

/** Options of {@link TokenResolver}. */
export interface TokenResolverOptions {
  /**
   * Compiled ACLs kept (an LRU).
   * @default 512
   */
  readonly cacheSize?: number;
  readonly now?: () => number;
  /**
   * Parses policy rules off the event loop (the agent passes a
   * `PolicyParsePool`). Default: in-process, for tests.
   */
  readonly parser?: PolicyParser;
}

/** Parsed policies prepared ahead of their commit, at most (oldest dropped first). */
const MAX_PREPARED = 256;

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
 *
 * Policies are parsed off the event loop (the HCL parser costs 10–500 ms):
 * every path that brings new rules parses them first with the `parser`
 * ({@link prepare}, {@link parseForWrite}), before they are committed, and
 * when a policy changes the ACLs cached for the old version are compiled
 * again for the new one in the background ({@link precompile}), so the
 * first check after a change finds its ACL ready. Rules that reach a check
 * unprepared (an HA peer applying from etcd, before the background parse
 * is done) are parsed in-process, counted in {@link syncParses}.
 */
export class TokenResolver {
  readonly #store: StateStore;
  readonly #memo = new WeakMap<ACLToken, Memo>();
  readonly #acls: ACLCache;
  readonly #parsed = new Map<string, { modifyIndex: number; policy: Policy }>();
  /** Rules text → parsed, for rules not committed yet (or committed, not yet used). */
  readonly #prepared = new Map<string, Policy>();
  /** ACL cache key → the policies it was compiled from (to compile it again after a change). */
  readonly #recipes = new Map<string, readonly PolicyRef[]>();
  readonly #now: () => number;
  readonly #parser: PolicyParser;
  #syncParses = 0;
  #compiles = 0;
  #background: Promise<void> = Promise.resolve();

  constructor(store: StateStore, opts: TokenResolverOptions = {}) {
    this.#store = store;
    this.#acls = new ACLCache({ size: opts.cacheSize ?? 512 });
    this.#now = opts.now ?? Date.now;
    this.#parser = opts.parser ?? IN_PROCESS_POLICY_PARSER;
    store.onCommit((changes) => this.#committed(changes));
  }

  /** Policies parsed on the event loop because nothing had prepared them (should stay 0 but in HA peers). */
  get syncParses(): number {
    return this.#syncParses;
  }

  /** ACLs compiled so far (on a check or ahead of one). */
  get compiles(): number {
    return this.#compiles;
  }

  /** Resolves once the background work of the commits so far (parse, precompile) is done. */
  settled(): Promise<void> {
    return this.#background;
  }

  /**
   * Parses rules for a policy write (strictly, off the event loop) and keeps
   * the result, so that once the write is committed the first check that
   * needs it does not parse again. Rejects with `PolicyError` (invalid
   * rules) or `PolicyParserBusyError`.
   */
  async parseForWrite(rules: string): Promise<Policy> {
    const policy = await this.#parser.parse(rules, { strict: true });
    // Rules valid in strict mode parse to the same policy in lenient mode
    // (strictness only adds a final check), so this is what a check uses.
    this.#keepPrepared(rules, policy);
    return policy;
  }

  /**
   * Parses (leniently, off the event loop) the rules of policies about to
   * be committed or just loaded, so that no check has to; one at a time, so
   * a snapshot of many policies does not fill the parser's queue. Never
   * rejects: rules that do not parse, or a busy or closed parser, leave the
   * policy to be parsed by the first check that needs it, as before.
   */
  async prepare(policies: Iterable<{ readonly Name: string; readonly Rules: string }>): Promise<void> {
    for (const p of policies) {
      const hit = this.#parsed.get(p.Name);
      if ((hit !== undefined && hit.policy.raw === p.Rules) || this.#prepared.has(p.Rules)) continue;
      try {
        const policy = await this.#parser.parse(p.Rules, { strict: false });
        // Already committed (start-up, a commit this follows): cached as used.
        const stored = this.#store.status === 'open' ? this.#store.policy(p.Name) : undefined;
        if (stored?.Rules === p.Rules) this.#parsed.set(p.Name, { modifyIndex: stored.ModifyIndex, policy });
        else this.#keepPrepared(p.Rules, policy);
      } catch {
        // See above: the check parses it.
      }
    }
  }

  #keepPrepared(rules: string, policy: Policy): void {
    this.#prepared.delete(rules);
    this.#prepared.set(rules, policy);
    if (this.#prepared.size > MAX_PREPARED) {
      const oldest = this.#prepared.keys().next();
      if (oldest.done !== true) this.#prepared.delete(oldest.value);
    }
  }

  // After every commit: changed policies are parsed (if nothing prepared
  // them) and the cached ACLs that used them compiled again, in the
  // background, each ACL in its own turn of the event loop.
  #committed(changes: readonly Change[]): void {
    let names: Set<string> | undefined;
    for (const c of changes) {
      if (c.table === 'acl_policy' && c.op === 'upsert') (names ??= new Set()).add(c.key);
    }
    if (names === undefined) return;
    const changed = [...names];
    const stored = changed.flatMap((n) => this.#store.policy(n) ?? []);
    // One change after another; best effort: a store closing meanwhile
    // ends it, and a check compiles what is left.
    this.#background = this.#background
      .then(() => this.prepare(stored))
      .then(() => this.precompile(changed))
      .catch(() => undefined);
  }

  /**
   * Compiles again, for the policies' current versions, every cached ACL
   * that used one of `names`, one ACL per event-loop turn; resolves when
   * done. Called after each policy change; ACLs whose policies are not
   * parsed yet are left for the first check.
   */
  async precompile(names: readonly string[]): Promise<void> {
    const wanted = new Set(names);
    for (const [key, refs] of [...this.#recipes]) {
      if (!this.#acls.has(key)) {
        this.#recipes.delete(key);
        continue;
      }
      if (!refs.some((r) => wanted.has(r.name))) continue;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#store.status !== 'open') return;
      const present = this.#present(refs);
      if (present.some((p) => !this.#isParsed(p.name, p.modifyIndex, p.rules))) continue;
      this.#compileSet(present);
    }
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
    return this.#compileSet(this.#present(this.#policyRefs(token)));
  }

  /** The stored policies of `refs` (missing policies grant nothing: Nomad skips them silently). */
  #present(refs: readonly PolicyRef[]): PresentPolicy[] {
    const present: PresentPolicy[] = [];
    for (const { name, role } of refs) {
      const stored = this.#store.policy(name);
      if (stored !== undefined) {
        present.push({ name, modifyIndex: stored.ModifyIndex, rules: stored.Rules, ...(role === undefined ? {} : { role }) });
      }
    }
    return present;
  }

  #compileSet(present: readonly PresentPolicy[]): ACL {
    const key = aclCacheKey(present);
    return this.#acls.get(key, () => {
      if (this.#recipes.size >= 2 * this.#acls.capacity) {
        for (const k of this.#recipes.keys()) if (!this.#acls.has(k)) this.#recipes.delete(k);
      }
      this.#recipes.set(
        key,
        present.map((p) => (p.role === undefined ? { name: p.name } : { name: p.name, role: p.role })),
      );
      this.#compiles++;
      return compileACL(
        present.map((p) => ({
          name: p.name,
          policy: this.#parse(p.name, p.modifyIndex, p.rules),
          ...(p.role === undefined ? {} : { role: p.role }),
        })),
      );
    });
  }

  /**
   * The policy names a token draws on, each once: its own first, then each
   * linked role's (tagged with the first role that brings it). Links to
   * roles that no longer exist are skipped, as Nomad does.
   */
  #policyRefs(token: ACLToken): PolicyRef[] {
    const out: PolicyRef[] = [];
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

  #isParsed(name: string, modifyIndex: number, rules: string): boolean {
    const hit = this.#parsed.get(name);
    return (hit !== undefined && (hit.modifyIndex === modifyIndex || hit.policy.raw === rules)) || this.#prepared.has(rules);
  }

  #parse(name: string, modifyIndex: number, rules: string): Policy {
    const hit = this.#parsed.get(name);
    if (hit !== undefined && hit.modifyIndex === modifyIndex) return hit.policy;
    // Same rules, another version (its description changed): no new parse.
    if (hit !== undefined && hit.policy.raw === rules) {
      hit.modifyIndex = modifyIndex;
      return hit.policy;
    }
    // Prepared entries stay (two policies may share their rules); the
    // prepared map is bounded.
    let policy = this.#prepared.get(rules);
    if (policy === undefined) {
      // Stored rules were validated strictly on write; evaluate them leniently
      // as Nomad does, so an upgrade that tightens the grammar cannot lock
      // every token out.
      this.#syncParses++;
      policy = parsePolicy(rules, { strict: false });
    }
    this.#parsed.set(name, { modifyIndex, policy });
    return policy;
  }
}

interface PresentPolicy {
  readonly name: string;
  readonly modifyIndex: number;
  readonly rules: string;
  readonly role?: string;
}
