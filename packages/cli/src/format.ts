/**
 * Text layouts of the `nomad` CLI (its `formatKV` / `formatList` helpers,
 * built on ryanuber/columnize), so output lines up exactly like the seeds.
 */

const EMPTY = '<none>';

function cell(value: string): string {
  const v = value.trim();
  return v === '' ? EMPTY : v;
}

// Width in code points, not UTF-16 units, so `🤞` counts as one like Go's rune count.
function width(s: string): number {
  return [...s].length;
}

/**
 * Key/value block: `<key padded to the longest key> = <value>`, one per line;
 * empty values print as `<none>`.
 * @example formatKV([['Name', 'x'], ['Create Index', '7']]) // "Name         = x\nCreate Index = 7"
 */
export function formatKV(rows: readonly (readonly [string, string])[]): string {
  const keys = rows.map(([k]) => k.trim());
  const w = Math.max(0, ...keys.map(width));
  return rows
    .map(([, v], i) => {
      const k = keys[i] as string;
      return `${k}${' '.repeat(w - width(k))} = ${cell(v)}`;
    })
    .join('\n');
}

/**
 * Table: the first row is the header; columns are padded and separated by two
 * spaces, the last column is not padded, empty cells print as `<none>`.
 */
export function formatList(rows: readonly (readonly string[])[]): string {
  const cells = rows.map((r) => r.map(cell));
  const cols = Math.max(0, ...cells.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, c) => Math.max(0, ...cells.map((r) => width(r[c] ?? ''))));
  return cells
    .map((r) =>
      r
        .map((v, c) => (c === r.length - 1 ? v : v + ' '.repeat((widths[c] ?? 0) - width(v))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Prints an RFC 3339 timestamp the way Go's `time.Time.String()` prints a UTC
 * time: `2020-01-23 18:51:33.446571 +0000 UTC`, with the fraction's trailing
 * zeros trimmed (and no dot when it is zero). The fraction is taken from the
 * text, not from a `Date`, so nanosecond precision survives. Non-UTC offsets
 * are converted to UTC. Text that is not RFC 3339 is returned unchanged.
 */
export function formatGoTime(rfc3339: string): string {
  const m = RFC3339.exec(rfc3339);
  if (m === null) return rfc3339;
  let [, date, clock] = m as unknown as [string, string, string];
  const fraction = (m[3] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = (m[4] as string).toUpperCase();
  if (zone !== 'Z') {
    const utc = new Date(`${date}T${clock}${zone}`);
    if (Number.isNaN(utc.getTime())) return rfc3339;
    const iso = utc.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
    date = iso.slice(0, 10);
    clock = iso.slice(11, 19);
  }
  return `${date} ${clock}${fraction === '' ? '' : `.${fraction}`} +0000 UTC`;
}

/** Go's `%v` of a string slice: `[a b]`, `[]` when empty. */
export function formatGoSlice(values: readonly string[] | null | undefined): string {
  return `[${(values ?? []).join(' ')}]`;
}

/** `-json` output: Go's `json.MarshalIndent(v, "", "    ")`. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 4);
}
