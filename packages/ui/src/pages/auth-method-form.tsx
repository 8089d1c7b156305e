import { useEffect, useState } from 'preact/hooks';
import type { AclAuthMethodConfig } from '@tollgate/client';
import { api } from '../api';
import { ErrorBox, Loading, useLoad, useSubmit, useTitle } from '../components';
import { href, navigate } from '../router';

const EXAMPLES: Record<string, string> = {
  JWT: JSON.stringify({ JWKSURL: 'https://idp.example.com/.well-known/jwks.json', BoundIssuer: ['https://idp.example.com'], BoundAudiences: ['tollgate'], ClaimMappings: { team: 'team' } }, null, 2),
  OIDC: JSON.stringify(
    { OIDCDiscoveryURL: 'https://idp.example.com', OIDCClientID: 'tollgate', AllowedRedirectURIs: ['http://localhost:4649/oidc/callback'], ListClaimMappings: { groups: 'groups' } },
    null,
    2,
  ),
};

/**
 * Create or edit an auth method. `Config` is JSON (as `tollgate acl
 * auth-method create -config=@file.json`), except the OIDC client secret:
 * it has its own masked field, is sent only when typed, and is never read
 * back (the agent answers `redacted`; sending `redacted` keeps it).
 */
export function AuthMethodFormPage({ name: editName }: { name?: string }) {
  const editing = editName !== undefined;
  useTitle(editing ? `Edit ${editName}` : 'Create auth method');
  const existing = useLoad(() => (editName === undefined ? Promise.resolve(undefined) : api().readAuthMethod(editName)), [editName]);
  const [name, setName] = useState(editName ?? '');
  const [type, setType] = useState('JWT');
  const [displayName, setDisplayName] = useState('');
  const [locality, setLocality] = useState('local');
  const [maxTtl, setMaxTtl] = useState('1h');
  const [nameFormat, setNameFormat] = useState('');
  const [isDefault, setDefault] = useState(false);
  const [config, setConfig] = useState(editing ? '' : (EXAMPLES.JWT ?? ''));
  const [secret, setSecret] = useState('');
  const m = existing.data?.data;
  useEffect(() => {
    if (m === undefined) return;
    setType(m.Type);
    setDisplayName(m.DisplayName ?? '');
    setLocality(m.TokenLocality);
    setMaxTtl(m.MaxTokenTTL);
    setNameFormat(m.TokenNameFormat);
    setDefault(m.Default);
    // The secret stays out of the editable JSON (it reads `redacted` anyway).
    const { OIDCClientSecret: _secret, ...rest } = m.Config;
    setConfig(JSON.stringify(rest, null, 2));
  }, [m]);

  const { submit, busy, error } = useSubmit(async () => {
    let parsed: AclAuthMethodConfig;
    try {
      parsed = JSON.parse(config || '{}') as AclAuthMethodConfig;
    } catch (err) {
      throw new Error(`Config is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('Config must be a JSON object');
    if ('OIDCClientSecret' in parsed) throw new Error('Put the OIDC client secret in its own field (it is masked), not in the Config JSON');
    // Typed: sent; not typed on an edit: `redacted` keeps the stored one.
    const OIDCClientSecret = secret !== '' ? secret : editing && type === 'OIDC' ? 'redacted' : undefined;
    const body = {
      Name: name.trim(),
      Type: type,
      DisplayName: displayName,
      TokenLocality: locality,
      MaxTokenTTL: maxTtl.trim(),
      TokenNameFormat: nameFormat,
      Default: isDefault,
      Config: { ...parsed, ...(OIDCClientSecret === undefined ? {} : { OIDCClientSecret }) },
    };
    const res = editing ? await api().updateAuthMethod(body) : await api().createAuthMethod(body);
    setSecret('');
    navigate(`/auth-methods/${encodeURIComponent(res.data.Name)}`);
  });

  if (editing && existing.loading && m === undefined) return <Loading what="the auth method" />;
  return (
    <section class="narrow">
      <p class="crumbs">
        <a href={href('/auth-methods')}>Auth methods</a> /
      </p>
      <h1>{editing ? `Edit ${editName}` : 'Create auth method'}</h1>
      <ErrorBox error={existing.error} />
      <form onSubmit={submit}>
        {!editing && (
          <label>
            Name
            <input name="name" required spellcheck={false} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
        )}
        <fieldset>
          <legend>Type</legend>
          {['JWT', 'OIDC'].map((t) => (
            <label key={t} class="inline">
              <input
                type="radio"
                name="type"
                value={t}
                checked={type === t}
                disabled={editing}
                onChange={() => {
                  // The example follows the type until the operator writes their own.
                  if (Object.values(EXAMPLES).includes(config)) setConfig(EXAMPLES[t] ?? '');
                  setType(t);
                }}
              />{' '}
              {t}
            </label>
          ))}
        </fieldset>
        <label>
          Display name
          <input name="displayName" value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Token locality</legend>
          {['local', 'global'].map((l) => (
            <label key={l} class="inline">
              <input type="radio" name="locality" value={l} checked={locality === l} onChange={() => setLocality(l)} /> {l}
            </label>
          ))}
        </fieldset>
        <label>
          <span>
            Max token TTL <small class="muted">Go duration, e.g. 1h</small>
          </span>
          <input name="maxTokenTTL" spellcheck={false} value={maxTtl} onInput={(e) => setMaxTtl(e.currentTarget.value)} />
        </label>
        <label>
          <span>
            Token name format <small class="muted">empty = the agent's default</small>
          </span>
          <input name="tokenNameFormat" spellcheck={false} value={nameFormat} onInput={(e) => setNameFormat(e.currentTarget.value)} />
        </label>
        <label class="inline">
          <input type="checkbox" name="default" checked={isDefault} onChange={(e) => setDefault(e.currentTarget.checked)} /> Default method of its
          type
        </label>
        <label>
          Config (JSON)
          <textarea name="config" rows={10} spellcheck={false} value={config} onInput={(e) => setConfig(e.currentTarget.value)} />
        </label>
        {type === 'OIDC' && (
          <label>
            <span>
              OIDC client secret{' '}
              <small class="muted">{editing ? 'empty = keep the stored secret; it is never shown' : 'sent once; it is never shown again'}</small>
            </span>
            <input name="clientSecret" type="password" autocomplete="off" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
          </label>
        )}
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {editing ? 'Save auth method' : 'Create auth method'}
        </button>
      </form>
    </section>
  );
}
