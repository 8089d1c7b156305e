/**
 * Nomad's light HIL templating of `BindName` and `TokenNameFormat`:
 * `${name}` is replaced by the variable's value; nothing else (functions,
 * arithmetic) is supported. Variables are `value.<claim name>` and, in
 * token names, `auth_method_type` and `auth_method_name`.
 */

const VARIABLE = /\$\{([^{}$]*)\}/g;

/**
 * The variable names a template uses, or `undefined` when it is malformed
 * (a `${` without its `}`, or an empty `${}`).
 */
export function templateVariables(template: string): string[] | undefined {
  const names: string[] = [];
  for (const m of template.matchAll(VARIABLE)) {
    const name = (m[1] ?? '').trim();
    if (name === '') return undefined;
    names.push(name);
  }
  if (template.replace(VARIABLE, '').includes('${')) return undefined;
  return names;
}

/** Why a template cannot be interpolated: unknown variable or malformed. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/**
 * Replaces every `${name}` with `vars[name]` (lower-cased when `lowercase`,
 * as Nomad does for bind names).
 * @throws TemplateError for a malformed template or an unknown variable;
 *   the message names the variable, never a value.
 */
export function interpolate(template: string, vars: Readonly<Record<string, string>>, lowercase: boolean): string {
  if (templateVariables(template) === undefined) throw new TemplateError('malformed ${…} template');
  return template.replace(VARIABLE, (_all, raw: string) => {
    const name = raw.trim();
    const v = Object.hasOwn(vars, name) ? vars[name] : undefined;
    if (v === undefined) throw new TemplateError(`unknown variable ${JSON.stringify(name.slice(0, 64))}`);
    return lowercase ? v.toLowerCase() : v;
  });
}
