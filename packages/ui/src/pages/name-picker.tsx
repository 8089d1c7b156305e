import type { ComponentChildren } from 'preact';
import { ErrorBox } from '../components';

/** A fieldset of checkboxes choosing some of `options` (policies, roles). */
export function NamePicker(props: {
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
