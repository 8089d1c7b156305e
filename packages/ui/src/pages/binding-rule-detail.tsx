import { api } from '../api';
import { DetailTitle, ErrorBox, Facts, Loading, useLoad, useTitle } from '../components';
import { href, navigate } from '../router';

/** A binding rule: its auth method, selector and what it binds. */
export function BindingRuleDetailPage({ id }: { id: string }) {
  useTitle(`Binding rule ${id.slice(0, 8)}`);
  const rule = useLoad(() => api().readBindingRule(id), [id]);
  const r = rule.data?.data;
  return (
    <section>
      <p class="crumbs">
        <a href={href('/binding-rules')}>Binding rules</a> /
      </p>
      <ErrorBox error={rule.error} />
      {rule.loading && r === undefined && <Loading what="the binding rule" />}
      {r && (
        <>
          <DetailTitle
            title={r.Description || `Binding rule ${r.ID.slice(0, 8)}`}
            editPath={`/binding-rules/${encodeURIComponent(r.ID)}/edit`}
            remove={{
              label: 'Delete',
              confirm: 'Delete binding rule',
              question: <>Delete this binding rule? Logins through {r.AuthMethod} stop getting what it binds; tokens already made keep it.</>,
              onConfirm: async () => {
                await api().deleteBindingRule(r.ID);
                navigate('/binding-rules');
              },
            }}
          />
          <Facts
            rows={[
              ['ID', <code>{r.ID}</code>],
              ['Auth method', <a href={href(`/auth-methods/${encodeURIComponent(r.AuthMethod)}`)}>{r.AuthMethod}</a>],
              ['Selector', r.Selector ? <code>{r.Selector}</code> : <span class="muted">none (every login matches)</span>],
              ['Bind type', r.BindType],
              ['Bind name', <BindName type={r.BindType} name={r.BindName} />],
              ['Create / modify index', `${r.CreateIndex} / ${r.ModifyIndex}`],
            ]}
          />
        </>
      )}
    </section>
  );
}

/** A policy bound by name links to it; an interpolated name (`${value.team}`) is shown as written. */
function BindName({ type, name }: { type: string; name: string }) {
  if (type === 'management') return <span class="muted">— (management token)</span>;
  if (type === 'policy' && !name.includes('${')) return <a href={href(`/policies/${encodeURIComponent(name)}`)}>{name}</a>;
  return <code>{name}</code>;
}
