/**
 * Highlights policy rules (HCL or JSON) for reading: comments, strings,
 * block keywords, policy words, numbers, punctuation. Display only — the
 * agent's parser decides what the rules mean. Renders elements, never HTML
 * strings, so rules text cannot inject markup.
 */
const TOKEN = /(#[^\n]*|\/\/[^\n]*|\/\*[\s\S]*?\*\/)|("(?:[^"\\\n]|\\.)*"?)|\b(namespace|node_pool|host_volume|agent|node|operator|quota|plugin|variables|path)\b|\b(policy|capabilities)\b|(\b\d+\b)|([{}[\]=,:])/g;
const KINDS = ['comment', 'string', 'block', 'key', 'number', 'punct'] as const;

export interface HclToken {
  readonly text: string;
  readonly kind: (typeof KINDS)[number] | 'plain';
}

/** Splits rules text into highlighted tokens (the concatenated texts equal the input). */
export function tokenizeHcl(text: string): HclToken[] {
  const out: HclToken[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    const at = m.index;
    if (at > last) out.push({ text: text.slice(last, at), kind: 'plain' });
    const group = m.slice(1).findIndex((g) => g !== undefined);
    out.push({ text: m[0], kind: KINDS[group] ?? 'plain' });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), kind: 'plain' });
  return out;
}

/** Rules text with line numbers and highlighting; `errorLine` (1-based) is marked. */
export function HclView({ text, errorLine, label }: { text: string; errorLine?: number | undefined; label: string }) {
  const lines: HclToken[][] = [[]];
  // A final newline ends the last line; it does not start an empty one.
  if (text.endsWith('\n')) text = text.slice(0, -1);
  for (const tok of tokenizeHcl(text)) {
    const parts = tok.text.split('\n');
    parts.forEach((p, i) => {
      if (i > 0) lines.push([]);
      if (p !== '') lines[lines.length - 1]!.push({ text: p, kind: tok.kind });
    });
  }
  // An error at the end of the text (EOF) marks the last line.
  const marked = errorLine === undefined ? undefined : Math.min(errorLine, lines.length);
  return (
    <pre class="code" aria-label={label} tabIndex={0}>
      {lines.map((line, i) => (
        <span key={i} class={i + 1 === marked ? 'line error-line' : 'line'}>
          <span class="ln" aria-hidden="true">
            {i + 1}
          </span>
          {line.map((t, j) => (t.kind === 'plain' ? t.text : <span key={j} class={`hl-${t.kind}`}>{t.text}</span>))}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}
