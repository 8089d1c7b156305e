import type { Etcd3 } from 'etcd3';
import type { SecretBox } from '@tollgate/state';
import type { OidcPendingLogin, OidcStateStore, OidcStateTake } from './oidc-state-store.js';

/** Options of {@link EtcdOidcStateStore}. */
export interface EtcdOidcStateStoreOptions {
  readonly client: Etcd3;
  /** The region's etcd prefix (`etcd.prefix`, ends in `/`); states go under `<prefix>oidc/state/`. */
  readonly prefix: string;
  /** Seals each pending login under the region key (it holds the PKCE verifier). */
  readonly box: SecretBox;
  /** The clock (tests). @default Date.now */
  readonly now?: () => number;
}

/**
 * The pending OIDC logins of an HA region, in the region's etcd so that
 * auth-url and complete-auth may reach different agents behind a load
 * balancer. One key per state, `<prefix>oidc/state/<sha256(State)>`,
 * bound to an etcd lease that ends when the state expires (etcd forgets it
 * by itself: bounded in time; the count is bounded by the rate limits of
 * the unauthenticated auth-url route). The value is sealed with the
 * region key. `take` is one etcd delete that returns the deleted value, so
 * of two agents racing on one state exactly one gets it (single use across
 * the region). The keys lie outside `data/`: they are not region writes,
 * not replicated, and do not move the region index.
 */
export class EtcdOidcStateStore implements OidcStateStore {
  readonly #o: EtcdOidcStateStoreOptions;
  readonly #now: () => number;

  constructor(opts: EtcdOidcStateStoreOptions) {
    if (!opts.prefix.endsWith('/')) throw new TypeError('prefix must end in "/"');
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  #key(stateHash: string): string {
    return `${this.#o.prefix}oidc/state/${stateHash}`;
  }

  async put(stateHash: string, login: OidcPendingLogin): Promise<void> {
    const ttlSeconds = Math.max(1, Math.ceil((login.expiresAtMs - this.#now()) / 1000));
    const lease = this.#o.client.lease(ttlSeconds, { autoKeepAlive: false });
    try {
      await lease.put(this.#key(stateHash)).value(this.#o.box.seal(JSON.stringify(login), `oidc-state:${stateHash}`));
    } catch (err) {
      await lease.revoke().catch(() => undefined);
      throw err;
    }
    // The lease lives on in etcd until its TTL; only the local handle goes.
    lease.release();
  }

  async take(stateHash: string): Promise<OidcStateTake> {
    const prev = await this.#o.client.delete().key(this.#key(stateHash)).getPrevious();
    const kv = prev[0];
    if (kv === undefined) return { ok: false, reason: 'unknown' };
    let login: OidcPendingLogin;
    try {
      login = JSON.parse(this.#o.box.open(kv.value.toString('utf8'), `oidc-state:${stateHash}`)) as OidcPendingLogin;
    } catch {
      // Sealed under another key or edited: not a state this region issued.
      return { ok: false, reason: 'unknown' };
    }
    // etcd's lease expiry is coarse (seconds): the record's own time decides.
    if (login.expiresAtMs <= this.#now()) return { ok: false, reason: 'expired' };
    return { ok: true, login };
  }
}
