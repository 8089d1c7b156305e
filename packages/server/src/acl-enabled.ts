import { AclDisabledError } from './errors.js';

/**
 * Throws Nomad's `ACL support disabled` (TOLLGATE_ACL_DISABLED, 400) when
 * `acl.enabled = false`: the one check every ACL route and write makes first.
 */
export function requireAclEnabled(config: { readonly acl: { readonly enabled: boolean } }): void {
  if (!config.acl.enabled) throw new AclDisabledError();
}
