import type { ComponentChildren } from 'preact';
import { api } from '../api';
import { ErrorBox, useLoad } from '../components';
import { href } from '../router';

/** A fieldset of checkboxes choosing some of `options` (policies, roles). */
function NamePicker(props: {
  legend: string;
  name: string;
  options: ReadonlyArray<{ value: string; label: string }> | undefined;
  error?: unknown;
  chosen: readonly string[];
  onChange: (chosen: string[]) => void;
  none: ComponentChildren;
}) {
  const { chosen, onChange } = props;
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      <ErrorBox error={props.error} />
      {props.options?.length === 0 && <p class="muted">{props.none}</p>}
      <div class="checks">
        {props.options?.map((o) => (
          <label key={o.value} class="inline">
            <input
              type="checkbox"
              name={props.name}
              value={o.value}
              checked={chosen.includes(o.value)}
              onChange={(e) => onChange(e.currentTarget.checked ? [...chosen, o.value] : chosen.filter((c) => c !== o.value))}
            />{' '}
            {o.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** Picks policies by name, from the agent's list. */
export function PolicyPicker({ chosen, onChange }: { chosen: readonly string[]; onChange: (chosen: string[]) => void }) {
  const policies = useLoad(() => api().listPolicies(), []);
  return (
    <NamePicker
      legend="Policies"
      name="policy"
      options={policies.data?.data.map((p) => ({ value: p.Name, label: p.Name }))}
      error={policies.error}
      chosen={chosen}
      onChange={onChange}
      none={
        <>
          No policies yet — <a href={href('/policies/new')}>create one</a>.
        </>
      }
    />
  );
}

/** Picks roles, by ID (a renamed role stays picked), from the agent's list. */
export function RolePicker({ chosen, onChange }: { chosen: readonly string[]; onChange: (chosen: string[]) => void }) {
  const roles = useLoad(() => api().listRoles(), []);
  return (
    <NamePicker
      legend="Roles"
      name="role"
      options={roles.data?.data.map((r) => ({ value: r.ID, label: r.Name }))}
      error={roles.error}
      chosen={chosen}
      onChange={onChange}
      none={
        <>
          No roles yet — <a href={href('/roles/new')}>create one</a>.
        </>
      }
    />
  );
}
