import type { StateStore } from '@tollgate/state';

/** What a region holds, as `GET /v1/acl/replication` shows it. */
export interface ObjectCounts {
  readonly GlobalTokens: number;
  readonly LocalTokens: number;
  readonly Policies: number;
}

/**
 * Counts a region's global and local tokens and its policies for the status
 * page. Counting walks the tokens, so the answer is cached until the token
 * or policy table moves: a status read between writes costs nothing, and
 * never more than one walk per write however many pages are open.
 */
export class ObjectCounter {
  readonly #store: StateStore;
  #at = '';
  #counts: ObjectCounts = { GlobalTokens: 0, LocalTokens: 0, Policies: 0 };

  constructor(store: StateStore) {
    this.#store = store;
  }

  counts(): ObjectCounts {
    const store = this.#store;
    const at = `${store.tableIndex('acl_token')}/${store.tableIndex('acl_policy')}`;
    if (at !== this.#at) {
      let global = 0;
      const tokens = store.listTokens();
      for (const t of tokens) if (t.Global) global++;
      this.#counts = { GlobalTokens: global, LocalTokens: tokens.length - global, Policies: store.listPolicies().length };
      this.#at = at;
    }
    return this.#counts;
  }
}
