import { useEffect, useRef, useState } from 'preact/hooks';
import type { PolicyValidation } from '@tollgate/client';
import { api } from '../api';
import { ErrorBox, Loading, useLoad, useTitle } from '../components';
import { HclView } from '../hcl-highlight';
import { href, navigate } from '../router';

const EXAMPLE = `namespace "default" {
  policy = "read"
}
`;

/**
 * Create or edit a policy. The rules are validated on the agent as you type
 * (`POST /v1/validate/acl-policy`: the agent's own parser, nothing written)
 * and the error's line and column are shown; saving writes through the
 * agent, which forwards to the authoritative region from a follower.
 */
export function PolicyEditorPage({ name: editName }: { name?: string }) {
  const editing = editName !== undefined;
  useTitle(editing ? `Edit ${editName}` : 'Create policy');
  const existing = useLoad(() => (editName === undefined ? Promise.resolve(undefined) : api().readPolicy(editName)), [editName]);
  const [name, setName] = useState(editName ?? '');
  const [description, setDescription] = useState('');
  const [rules, setRules] = useState(editing ? '' : EXAMPLE);
  const [check, setCheck] = useState<{ result?: PolicyValidation; error?: unknown; pending: boolean }>({ pending: false });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const p = existing.data?.data;
  useEffect(() => {
    if (p === undefined) return;
    setDescription(p.Description);
    setRules(p.Rules);
  }, [p]);

  // Validate 300 ms after the last keystroke; a newer answer replaces an older one.
  useEffect(() => {
    let live = true;
    setCheck((c) => ({ ...c, pending: true }));
    const timer = setTimeout(() => {
      api()
        .validatePolicy({ Name: name, Description: description, Rules: rules })
        .then(
          (res) => live && setCheck({ result: res.data, pending: false }),
          (err: unknown) => live && setCheck({ error: err, pending: false }),
        );
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [name, description, rules]);

  const goToError = (): void => {
    const pos = check.result?.Position;
    const el = area.current;
    if (!pos || !el) return;
    const lines = rules.split('\n');
    const offset = lines.slice(0, pos.Line - 1).reduce((n, l) => n + l.length + 1, 0) + Math.max(0, pos.Column - 1);
    el.focus();
    el.setSelectionRange(offset, offset);
  };

  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api().writePolicy({ Name: name, Description: description, Rules: rules });
      navigate(`/policies/${encodeURIComponent(name)}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (editing && existing.loading && p === undefined) return <Loading what="the policy" />;
  const r = check.result;
  return (
    <section>
      <p class="crumbs">
        <a href={href('/policies')}>Policies</a> /
      </p>
      <h1>{editing ? `Edit ${editName}` : 'Create policy'}</h1>
      <ErrorBox error={existing.error} />
      <form onSubmit={(e) => void save(e)} class="editor">
        <div class="editor-fields">
          <label>
            Name
            <input name="name" value={name} required readOnly={editing} spellcheck={false} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label>
            Description
            <input name="description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          </label>
        </div>
        <div class="editor-panes">
          <label>
            Rules (HCL or JSON)
            <textarea
              ref={area}
              name="rules"
              rows={16}
              spellcheck={false}
              value={rules}
              aria-describedby="validation"
              aria-invalid={r !== undefined && !r.Valid}
              onInput={(e) => setRules(e.currentTarget.value)}
            />
          </label>
          <div>
            <span class="label">Preview</span>
            <HclView text={rules} errorLine={r?.Position?.Line} label="Rules preview" />
          </div>
        </div>
        <div id="validation" class="validation" aria-live="polite">
          {check.pending && <span class="muted">Checking…</span>}
          {!check.pending && r?.Valid === true && <span class="valid">✓ Valid: the agent's parser accepts these rules.</span>}
          {!check.pending && r !== undefined && !r.Valid && (
            <div class="error" role="alert">
              {r.Position && (
                <button type="button" class="link" onClick={goToError}>
                  Line {r.Position.Line}, column {r.Position.Column}
                </button>
              )}
              <pre class="error-text">{r.Error}</pre>
            </div>
          )}
          {!check.pending && <ErrorBox error={check.error} title="Validation unavailable:" />}
        </div>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Save policy
        </button>
      </form>
    </section>
  );
}
