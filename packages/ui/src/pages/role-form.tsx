import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox, Loading, useLoad, useSubmit, useTitle } from '../components';
import { href, navigate } from '../router';
import { PolicyPicker } from './name-picker';

/**
 * Create a role or edit one: name, description and its policies (at least
 * one, each must exist — the agent says so otherwise). Written through this
 * agent, which forwards to the authoritative region from a follower.
 */
export function RoleFormPage({ id }: { id?: string }) {
  const editing = id !== undefined;
  useTitle(editing ? 'Edit role' : 'Create role');
  const existing = useLoad(() => (id === undefined ? Promise.resolve(undefined) : api().readRole(id)), [id]);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const role = existing.data?.data;
  useEffect(() => {
    if (role === undefined) return;
    setName(role.Name);
    setDescription(role.Description);
    setChosen(role.Policies.map((p) => p.Name));
  }, [role]);

  const { submit, busy, error } = useSubmit(async () => {
    const body = { Name: name.trim(), Description: description, Policies: chosen.map((Name) => ({ Name })) };
    const res = role !== undefined ? await api().updateRole({ ...body, ID: role.ID }) : await api().createRole(body);
    navigate(`/roles/${encodeURIComponent(res.data.ID)}`);
  });

  if (editing && existing.loading && role === undefined) return <Loading what="the role" />;
  return (
    <section class="narrow">
      <p class="crumbs">
        <a href={href('/roles')}>Roles</a> /
      </p>
      <h1>{editing ? `Edit ${role?.Name ?? 'role'}` : 'Create role'}</h1>
      <ErrorBox error={existing.error} />
      <form onSubmit={submit}>
        <label>
          Name
          <input name="name" required value={name} spellcheck={false} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Description
          <input name="description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        <PolicyPicker chosen={chosen} onChange={setChosen} />
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {editing ? 'Save role' : 'Create role'}
        </button>
      </form>
    </section>
  );
}
