import type { RegionLog, StateStore } from '@tollgate/state';

/**
 * The store as the follower-region replication loop should see it: every
 * read goes to the agent's `StateStore`, but `applyReplicated` goes through
 * the region log. In embedded mode that is the same store; in HA mode it is
 * a fenced etcd transaction, so only the region's leader can apply
 * replicated batches and every agent of the region then follows them.
 *
 * A `Proxy` rather than a wrapper class, because the replication loop takes
 * a `StateStore` (a class with private fields, so TypeScript accepts only
 * real instances); methods are bound to the real store so its private state
 * is reached.
 */
export function routeReplicatedWrites(store: StateStore, log: RegionLog): StateStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'applyReplicated') return log.applyReplicated.bind(log);
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
