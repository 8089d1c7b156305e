import { tokenizeHcl } from './hcl-tokens';
import type { HclToken } from './hcl-tokens';

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
