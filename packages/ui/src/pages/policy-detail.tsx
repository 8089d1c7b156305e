import type { AclTokenListStub } from '@tollgate/client';
import { api } from '../api';
import { ConfirmButton, ErrorBox, Facts, Loading, useLoad, useTitle } from '../components';
import { HclView } from '../hcl-highlight';
import { href, navigate } from '../router';
import { TokenTable } from './tokens';

/** A policy: its rules highlighted, and the tokens that use it. */
export function PolicyDetailPage({ name }: { name: string }) {
  useTitle(`Policy ${name}`);
  const policy = useLoad(() => api().readPolicy(name), [name]);
  const users = useLoad(() => tokensUsing(name), [name]);
  const p = policy.data?.data;
  return (
    <section>
      <p class="crumbs">
        <a href={href('/policies')}>Policies</a> /
      </p>
      <ErrorBox error={policy.error} />
      {policy.loading && p === undefined && <Loading what="the policy" />}
      {p && (
        <>
          <div class="title-row">
            <h1>{p.Name}</h1>
            <div class="actions">
              <a class="button" href={href(`/policies/${encodeURIComponent(p.Name)}/edit`)}>
                Edit
              </a>
              <ConfirmButton
                label="Delete"
                danger
                confirm="Delete policy"
                question={
                  <>
                    Delete policy <strong>{p.Name}</strong>? Tokens that name it lose what it grants, in every region.
                  </>
                }
                onConfirm={async () => {
                  await api().deletePolicy(p.Name);
                  navigate('/policies');
                }}
              />
            </div>
          </div>
          <Facts
            rows={[
              ['Description', p.Description || <span class="muted">—</span>],
              ['Create / modify index', `${p.CreateIndex} / ${p.ModifyIndex}`],
            ]}
          />
          <h2>Rules</h2>
          <HclView text={p.Rules} label={`Rules of ${p.Name}`} />
        </>
      )}
      <h2>Used by tokens</h2>
      <ErrorBox error={users.error} title="Tokens:" />
      {users.data && <TokenTable tokens={users.data} />}
    </section>
  );
}

/**
 * Every token of this region naming the policy, read page by page from the
 * token list (management only). Roles will join here with their API.
 */
async function tokensUsing(policy: string): Promise<AclTokenListStub[]> {
  const out: AclTokenListStub[] = [];
  let nextToken: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const res = await api().listTokens({ perPage: 500, ...(nextToken ? { nextToken } : {}) });
    out.push(...res.data.filter((t) => (t.Policies ?? []).includes(policy)));
    nextToken = res.nextToken;
    if (nextToken === undefined) break;
  }
  return out;
}
