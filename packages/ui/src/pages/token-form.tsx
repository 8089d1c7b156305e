import { useEffect, useState } from 'preact/hooks';
import type { AclToken, AclTokenType } from '@tollgate/client';
import { api } from '../api';
import { CopyButton, ErrorBox, Loading, useLoad, useSubmit, useTitle } from '../components';
import { formatMeta, parseMeta } from '../meta';
import { href, navigate } from '../router';
import { PolicyPicker, RolePicker } from './name-picker';

/**
 * Create a token (client or management, global, TTL, policies, roles,
 * Meta) or update one (name, type, policies, roles, Meta; Global and the
 * TTL cannot change). A created
 * token's SecretID is shown once, here, with a copy button.
 */
export function TokenFormPage({ id }: { id?: string }) {
  const editing = id !== undefined;
  useTitle(editing ? 'Edit token' : 'Create token');
  const existing = useLoad(() => (id === undefined ? Promise.resolve(undefined) : api().readToken(id)), [id]);
  const [name, setName] = useState('');
  const [type, setType] = useState<AclTokenType>('client');
  const [global, setGlobal] = useState(false);
  const [ttl, setTtl] = useState('');
  const [meta, setMeta] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  // Role IDs: a token links roles by ID (a renamed role stays linked).
  const [chosenRoles, setChosenRoles] = useState<string[]>([]);
  const [created, setCreated] = useState<AclToken>();
  const token = existing.data?.data;
  useEffect(() => {
    if (token === undefined) return;
    setName(token.Name);
    setType(token.Type);
    setGlobal(token.Global);
    setChosen([...(token.Policies ?? [])]);
    setChosenRoles((token.Roles ?? []).map((r) => r.ID));
    setMeta(formatMeta(token.Meta));
  }, [token]);

  const { submit, busy, error } = useSubmit(async () => {
    // Management tokens carry neither policies nor roles (the agent refuses them).
    const Policies = type === 'management' ? [] : chosen;
    const Roles = type === 'management' ? [] : chosenRoles.map((ID) => ({ ID }));
    const Meta = parseMeta(meta);
    if (token !== undefined) {
      // The whole token goes back (Nomad's update replaces every mutable field).
      const { SecretID: _secret, ...rest } = token;
      await api().updateToken({ ...rest, Name: name, Type: type, Policies, Roles, Meta });
      navigate(`/tokens/${encodeURIComponent(token.AccessorID)}`);
    } else {
      const res = await api().createToken({
        Name: name,
        Type: type,
        Global: global,
        Policies,
        Roles,
        Meta,
        ...(ttl.trim() ? { ExpirationTTL: ttl.trim() } : {}),
      });
      setCreated(res.data);
    }
  });

  if (created !== undefined) {
    return (
      <section class="narrow">
        <h1>Token created</h1>
        <div class="once" role="status">
          <p>
            <strong>Copy the Secret ID now.</strong> It is shown only this once; the UI will not show it again.
          </p>
          <p>
            <code class="secret" id="new-secret">
              {created.SecretID}
            </code>{' '}
            <CopyButton text={created.SecretID} label="Copy Secret ID" />
          </p>
        </div>
        <p>
          Accessor ID <code>{created.AccessorID}</code> —{' '}
          <a href={href(`/tokens/${encodeURIComponent(created.AccessorID)}`)}>open the token</a>
        </p>
      </section>
    );
  }
  if (editing && existing.loading && token === undefined) return <Loading what="the token" />;
  return (
    <section class="narrow">
      <p class="crumbs">
        <a href={href('/tokens')}>Tokens</a> /
      </p>
      <h1>{editing ? `Edit ${token?.Name || 'token'}` : 'Create token'}</h1>
      <ErrorBox error={existing.error} />
      <form onSubmit={submit}>
        <label>
          Name
          <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Type</legend>
          {(['client', 'management'] as const).map((t) => (
            <label key={t} class="inline">
              <input type="radio" name="type" value={t} checked={type === t} onChange={() => setType(t)} /> {t}
            </label>
          ))}
        </fieldset>
        {!editing && (
          <>
            <label class="inline">
              <input type="checkbox" name="global" checked={global} onChange={(e) => setGlobal(e.currentTarget.checked)} /> Global
              (replicated to every region; written in the authoritative region)
            </label>
            <label>
              <span>
                Time to live <small class="muted">Go duration, e.g. 8h; empty = never expires</small>
              </span>
              <input name="ttl" value={ttl} spellcheck={false} onInput={(e) => setTtl(e.currentTarget.value)} />
            </label>
          </>
        )}
        {type === 'client' && (
          <>
            <PolicyPicker chosen={chosen} onChange={setChosen} />
            <RolePicker chosen={chosenRoles} onChange={setChosenRoles} />
          </>
        )}
        <label>
          <span>
            Meta <small class="muted">one key=value per line</small>
          </span>
          <textarea name="meta" rows={3} spellcheck={false} value={meta} onInput={(e) => setMeta(e.currentTarget.value)} />
        </label>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {editing ? 'Save' : 'Create'}
        </button>
      </form>
    </section>
  );
}
