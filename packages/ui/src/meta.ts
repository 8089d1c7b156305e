/**
 * A token's Meta as the create/edit form writes it: one `key=value` per
 * line (the value may contain `=`; blank lines are skipped). A line without
 * `=` or with an empty key, or a key given twice, is refused with its line
 * number; the agent checks the limits (key and value sizes, key count).
 */
export function parseMeta(text: string): Record<string, string> {
  const meta: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? '' : line.slice(0, eq).trim();
    if (key === '') throw new Error(`Meta line ${i + 1}: expected key=value, got "${line}"`);
    if (Object.hasOwn(meta, key)) throw new Error(`Meta line ${i + 1}: key "${key}" given twice`);
    meta[key] = line.slice(eq + 1).trim();
  });
  return meta;
}

/** The form's text for a token's Meta, keys sorted. */
export function formatMeta(meta: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(meta ?? {})
    .sort()
    .map((k) => `${k}=${meta![k]}`)
    .join('\n');
}
