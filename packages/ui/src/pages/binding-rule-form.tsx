import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox, Loading, useLoad, useSubmit, useTitle } from '../components';
import { href, navigate } from '../router';

const BIND_TYPES = ['role', 'policy', 'management'] as const;

/**
 * Create or edit a binding rule: the auth method (fixed once created), a
 * selector over the mapped claims (`value.<name>`, `list.<name>`; checked
 * by the agent), and the role or policy to bind (the name may interpolate
 * `${value.<name>}`), or a management token.
 */
export function BindingRuleFormPage({ id }: { id?: string }) {
  const editing = id !== undefined;
  useTitle(editing ? 'Edit binding rule' : 'Create binding rule');
  const methods = useLoad(() => api().listAuthMethods(), []);
  const existing = useLoad(() => (id === undefined ? Promise.resolve(undefined) : api().readBindingRule(id)), [id]);
  const [authMethod, setAuthMethod] = useState('');
  const [description, setDescription] = useState('');
  const [selector, setSelector] = useState('');
  const [bindType, setBindType] = useState<string>('role');
  const [bindName, setBindName] = useState('');
  const r = existing.data?.data;
  useEffect(() => {
    if (r === undefined) return;
    setAuthMethod(r.AuthMethod);
    setDescription(r.Description);
    setSelector(r.Selector);
    setBindType(r.BindType);
    setBindName(r.BindName);
  }, [r]);
  // Create: the first method until one is picked.
  const method = authMethod || methods.data?.data[0]?.Name || '';

  const { submit, busy, error } = useSubmit(async () => {
    const body = { AuthMethod: method, Description: description, Selector: selector.trim(), BindType: bindType, BindName: bindType === 'management' ? '' : bindName.trim() };
    const res = r !== undefined ? await api().updateBindingRule({ ...body, ID: r.ID }) : await api().createBindingRule(body);
    navigate(`/binding-rules/${encodeURIComponent(res.data.ID)}`);
  });

  if (editing && existing.loading && r === undefined) return <Loading what="the binding rule" />;
  return (
    <section class="narrow">
      <p class="crumbs">
        <a href={href('/binding-rules')}>Binding rules</a> /
      </p>
      <h1>{editing ? 'Edit binding rule' : 'Create binding rule'}</h1>
      <ErrorBox error={existing.error} />
      <ErrorBox error={methods.error} title="Auth methods:" />
      {!editing && methods.data?.data.length === 0 && (
        <p class="muted">
          No auth methods yet — <a href={href('/auth-methods/new')}>create one</a> first.
        </p>
      )}
      <form onSubmit={submit}>
        <label>
          Auth method
          <select name="authMethod" value={method} disabled={editing} onChange={(e) => setAuthMethod(e.currentTarget.value)}>
            {editing && <option value={method}>{method}</option>}
            {!editing &&
              methods.data?.data.map((m) => (
                <option key={m.Name} value={m.Name}>
                  {m.Name} ({m.Type})
                </option>
              ))}
          </select>
        </label>
        <label>
          Description
          <input name="description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        <label>
          <span>
            Selector <small class="muted">go-bexpr over the mapped claims, e.g. <code>"engineering" in list.groups</code>; empty = every login</small>
          </span>
          <textarea name="selector" rows={3} spellcheck={false} value={selector} onInput={(e) => setSelector(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Bind type</legend>
          {BIND_TYPES.map((t) => (
            <label key={t} class="inline">
              <input type="radio" name="bindType" value={t} checked={bindType === t} onChange={() => setBindType(t)} /> {t}
            </label>
          ))}
        </fieldset>
        {bindType !== 'management' && (
          <label>
            <span>
              Bind name <small class="muted">the {bindType}'s name; may use <code>{'${value.team}'}</code></small>
            </span>
            <input name="bindName" spellcheck={false} value={bindName} onInput={(e) => setBindName(e.currentTarget.value)} />
          </label>
        )}
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {editing ? 'Save binding rule' : 'Create binding rule'}
        </button>
      </form>
    </section>
  );
}
