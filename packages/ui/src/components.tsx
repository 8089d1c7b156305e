import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { apiMessage } from './api';
import { href } from './router';

/** An API error as the API worded it, announced to screen readers. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (error === undefined || error === null) return null;
  const { status, text } = apiMessage(error);
  return (
    <div class="error" role="alert">
      {title !== undefined && <strong>{title} </strong>}
      {status !== undefined && <span class="status">{status}</span>}
      <pre class="error-text">{text}</pre>
    </div>
  );
}

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  reload(): void;
}

/** Runs `load` when `deps` change; a newer load wins over an older one. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // `load` is a fresh closure each render; `deps` say when it means something new.
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Copies `text`; falls back to selecting it where the Clipboard API is not allowed (plain http). */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<string>('');
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('Copied');
    } catch {
      setDone('Select and copy the text by hand');
    }
  };
  return (
    <span class="copy">
      <button type="button" onClick={() => void copy()}>
        {label}
      </button>
      <span class="muted" role="status">
        {done}
      </span>
    </span>
  );
}

/**
 * A button that asks first, in a modal `<dialog>` (keyboard: focus goes to
 * Cancel, Escape cancels).
 */
export function ConfirmButton(props: { label: string; question: ComponentChildren; confirm: string; onConfirm: () => Promise<void> | void; danger?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      ref.current?.close();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class={props.danger ? 'danger' : ''} onClick={() => ref.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={ref} aria-label={props.label}>
        <p>{props.question}</p>
        <ErrorBox error={error} />
        <div class="actions">
          <button type="button" autofocus onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="button" class={props.danger ? 'danger' : 'primary'} disabled={busy} onClick={() => void run()}>
            {props.confirm}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** A definition list of label → value rows. */
export function Facts({ rows }: { rows: ReadonlyArray<readonly [string, ComponentChildren]> }) {
  return (
    <dl class="facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** An RFC 3339 time shown in the browser's locale, with the exact value on hover. */
export function Time({ value, empty = 'never' }: { value: string | null | undefined; empty?: string }) {
  if (value === null || value === undefined || value === '') return <span class="muted">{empty}</span>;
  const d = new Date(value);
  return <time dateTime={value} title={value}>{Number.isNaN(d.getTime()) ? value : d.toLocaleString()}</time>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

/** Sets the document title for a page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Tollgate`;
  }, [title]);
}

/**
 * A detail page's title with its Edit link and its destructive action
 * (delete, revoke) behind a confirmation.
 */
export function DetailTitle(props: {
  title: string;
  editPath: string;
  remove: { label: string; confirm: string; question: ComponentChildren; onConfirm: () => Promise<void> };
}) {
  return (
    <div class="title-row">
      <h1>{props.title}</h1>
      <div class="actions">
        <a class="button" href={href(props.editPath)}>
          Edit
        </a>
        <ConfirmButton danger {...props.remove} />
      </div>
    </div>
  );
}

/** A search form with one go-bexpr `filter` field; `onSearch` gets the trimmed expression. */
export function FilterSearch({ onSearch, example }: { onSearch: (filter: string) => void; example: ComponentChildren }) {
  const [filter, setFilter] = useState('');
  return (
    <form
      class="search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(filter.trim());
      }}
    >
      <FilterField value={filter} onInput={setFilter} example={example} />
      <button type="submit">Search</button>
    </form>
  );
}

/** A go-bexpr `filter` field for a list searched on the agent. */
export function FilterField({ value, onInput, example }: { value: string; onInput: (v: string) => void; example: ComponentChildren }) {
  return (
    <label>
      <span>
        Filter <small class="muted">go-bexpr, e.g. {example}</small>
      </span>
      <input name="filter" value={value} spellcheck={false} onInput={(e) => onInput(e.currentTarget.value)} />
    </label>
  );
}

/**
 * A form's submit: runs `action` once per submit, `busy` meanwhile, and
 * keeps its error to show (as the API words it).
 */
export function useSubmit(action: () => Promise<void>): { submit: (e: Event) => void; busy: boolean; error: unknown } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = (e: Event): void => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    action().then(
      () => setBusy(false),
      (err: unknown) => {
        setError(err);
        setBusy(false);
      },
    );
  };
  return { submit, busy, error };
}
