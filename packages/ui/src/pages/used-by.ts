import type { AclRoleListStub, AclTokenListStub, QueryOptions } from '@tollgate/client';
import { api } from '../api';

/**
 * Every token of this region that `keep` keeps, read page by page from the
 * token list (management only); `query` narrows the list on the agent.
 */
async function tokensWhere(keep: (t: AclTokenListStub) => boolean, query: QueryOptions = {}): Promise<AclTokenListStub[]> {
  const out: AclTokenListStub[] = [];
  let nextToken: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const res = await api().listTokens({ ...query, perPage: 500, ...(nextToken ? { nextToken } : {}) });
    out.push(...res.data.filter(keep));
    nextToken = res.nextToken;
    if (nextToken === undefined) break;
  }
  return out;
}

/** The tokens naming a policy, filtered on the agent (go-bexpr `"p" in Policies`). */
export function tokensWithPolicy(policy: string): Promise<AclTokenListStub[]> {
  return tokensWhere(() => true, { filter: `${JSON.stringify(policy)} in Policies` });
}

/**
 * The tokens linked to a role. go-bexpr cannot select into a list of
 * links (`Roles.ID`), so the pages are read and matched here.
 */
export function tokensWithRole(roleId: string): Promise<AclTokenListStub[]> {
  return tokensWhere((t) => (t.Roles ?? []).some((r) => r.ID === roleId));
}

/** The roles that link a policy (the role list, matched here for the same reason). */
export async function rolesWithPolicy(policy: string): Promise<AclRoleListStub[]> {
  return (await api().listRoles()).data.filter((r) => r.Policies.some((p) => p.Name === policy));
}
