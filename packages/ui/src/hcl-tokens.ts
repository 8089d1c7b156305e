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
