import { useState } from 'preact/hooks';
import type { AuthorizeCheck, AuthorizeResponse } from '@tollgate/client';
import { api } from '../api';
import { ErrorBox, useLoad, useTitle } from '../components';

const RESOURCES = ['namespace', 'variable', 'node_pool', 'host_volume', 'agent', 'node', 'operator', 'quota', 'plugin'];
const EMPTY: AuthorizeCheck = { Resource: 'namespace', Name: 'default', Capability: 'read-job' };

/**
 * The check playground: `POST /v1/acl/authorize` made visual. Checks come
 * from a form or as JSON; the caller's own token is checked, or (with a
 * management token) one picked from the region's tokens or a pasted SecretID. Each answer shows Allowed/Denied and
 * the reason (policy, block, pattern).
 */
export function PlaygroundPage() {
  useTitle('Check playground');
  const [checks, setChecks] = useState<AuthorizeCheck[]>([{ ...EMPTY }]);
  const [mode, setMode] = useState<'form' | 'json'>('form');
  const [json, setJson] = useState('');
  const [secretId, setSecretId] = useState('');
  const [picked, setPicked] = useState('');
  // Management callers may pick any token of the region; others get a 403 and just the paste field.
  const tokens = useLoad(() => api().listTokens({ perPage: 500 }), []);
  const [answer, setAnswer] = useState<{ checks: AuthorizeCheck[]; res: AuthorizeResponse }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const set = (i: number, patch: Partial<AuthorizeCheck>): void => setChecks(checks.map((c, j) => (j === i ? { ...c, ...patch } : c)));
  const toJson = (): void => {
    setJson(JSON.stringify(checks, null, 2));
    setMode('json');
  };
  const run = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      let list = checks;
      if (mode === 'json') {
        const parsed: unknown = JSON.parse(json);
        list = (Array.isArray(parsed) ? parsed : (parsed as { Checks?: unknown }).Checks) as AuthorizeCheck[];
        if (!Array.isArray(list)) throw new Error('JSON: expected an array of checks or {"Checks": [...]}');
      }
      const clean = list.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== '' && v !== undefined)) as unknown as AuthorizeCheck);
      // A picked token is checked by its secret, read here (management) and
      // sent in the body only; it is never shown.
      const other = picked !== '' ? (await api().readToken(picked)).data.SecretID : secretId.trim();
      const res = await api().authorize(clean, { secretId: other });
      setAnswer({ checks: clean, res: res.data });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Check playground</h1>
      <p class="muted">
        Asks <code>POST /v1/acl/authorize</code> whether a token may do each thing, and why.
      </p>
      <form onSubmit={(e) => void run(e)}>
        {tokens.data && (
          <label>
            Token to check
            <select name="token" value={picked} onChange={(e) => setPicked(e.currentTarget.value)}>
              <option value="">my own token (or the Secret ID below)</option>
              {tokens.data.data.map((t) => (
                <option key={t.AccessorID} value={t.AccessorID}>
                  {t.Name || '(no name)'} — {t.AccessorID.slice(0, 8)} ({t.Type})
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          <span>
            Check another token's Secret ID <small class="muted">needs a management token; empty = your own token</small>
          </span>
          <input
            name="secretId"
            type="password"
            autocomplete="off"
            disabled={picked !== ''}
            value={secretId}
            onInput={(e) => setSecretId(e.currentTarget.value)}
          />
        </label>
        <div class="tabs" role="group" aria-label="Input">
          <button type="button" aria-pressed={mode === 'form'} onClick={() => setMode('form')}>
            Form
          </button>
          <button type="button" aria-pressed={mode === 'json'} onClick={toJson}>
            JSON
          </button>
        </div>
        {mode === 'form' ? (
          <fieldset>
            <legend>Checks</legend>
            {checks.map((c, i) => (
              <div class="check-row" key={i}>
                <label>
                  Resource
                  <select name={`resource-${i}`} value={c.Resource} onChange={(e) => set(i, { Resource: e.currentTarget.value })}>
                    {RESOURCES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </label>
                {c.Resource === 'variable' && (
                  <label>
                    Namespace
                    <input name={`namespace-${i}`} value={c.Namespace ?? ''} onInput={(e) => set(i, { Namespace: e.currentTarget.value })} />
                  </label>
                )}
                <label>
                  Name
                  <input name={`name-${i}`} value={c.Name ?? ''} onInput={(e) => set(i, { Name: e.currentTarget.value })} />
                </label>
                <label>
                  Capability
                  <input name={`capability-${i}`} value={c.Capability} onInput={(e) => set(i, { Capability: e.currentTarget.value })} />
                </label>
                <button type="button" aria-label={`Remove check ${i + 1}`} disabled={checks.length === 1} onClick={() => setChecks(checks.filter((_, j) => j !== i))}>
                  Remove
                </button>
              </div>
            ))}
            <button type="button" onClick={() => setChecks([...checks, { ...EMPTY }])}>
              Add check
            </button>
          </fieldset>
        ) : (
          <label>
            Checks as JSON
            <textarea name="json" rows={10} spellcheck={false} value={json} onInput={(e) => setJson(e.currentTarget.value)} />
          </label>
        )}
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Check
        </button>
      </form>
      {answer && (
        <>
          <h2>
            Results <span class="muted small">for accessor {answer.res.AccessorID}</span>
          </h2>
          <ol class="results">
            {answer.res.Results.map((r, i) => {
              const c = answer.checks[i];
              return (
                <li key={i} class={r.Allowed ? 'allowed' : 'denied'} data-allowed={String(r.Allowed)}>
                  <strong class="verdict">{r.Allowed ? 'Allowed' : 'Denied'}</strong>{' '}
                  <code>
                    {c?.Resource}
                    {c?.Namespace ? ` ${c.Namespace}` : ''}
                    {c?.Name ? ` "${c.Name}"` : ''} {c?.Capability}
                  </code>
                  <div class="reason">{r.Reason}</div>
                </li>
              );
            })}
          </ol>
        </>
      )}
    </section>
  );
}
