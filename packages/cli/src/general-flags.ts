import type { FlagSpec } from './flags.js';

/** Flags every command that talks to an agent accepts (Nomad's "General Options"). */
export const CLIENT_FLAGS: readonly FlagSpec[] = [
  {
    name: 'address',
    kind: 'string',
    placeholder: '<addr>',
    help:
      'The address of the Tollgate agent.\n' +
      'Overrides the TOLLGATE_ADDR (then NOMAD_ADDR) environment variable if set.\n' +
      'Default = http://127.0.0.1:4646',
  },
  {
    name: 'region',
    kind: 'string',
    placeholder: '<region>',
    help:
      'The region of the Tollgate agents to forward commands to.\n' +
      'Overrides the TOLLGATE_REGION (then NOMAD_REGION) environment variable if set.\n' +
      "Defaults to the agent's local region.",
  },
  {
    name: 'token',
    kind: 'string',
    placeholder: '<secret-id>',
    help:
      'The SecretID of an ACL token to use to authenticate API requests with.\n' +
      'Overrides the TOLLGATE_TOKEN (then NOMAD_TOKEN) environment variable if set.',
  },
  {
    name: 'ca-cert',
    kind: 'string',
    placeholder: '<path>',
    help:
      'Path to a PEM encoded CA cert file to use to verify the Tollgate server SSL\n' +
      'certificate. Overrides the TOLLGATE_CACERT (then NOMAD_CACERT) environment variable if set.',
  },
  {
    name: 'client-cert',
    kind: 'string',
    placeholder: '<path>',
    help:
      'Path to a PEM encoded client certificate for TLS authentication to the Tollgate\n' +
      'server. Must also specify -client-key. Overrides TOLLGATE_CLIENT_CERT (then NOMAD_CLIENT_CERT).',
  },
  {
    name: 'client-key',
    kind: 'string',
    placeholder: '<path>',
    help:
      'Path to an unencrypted PEM encoded private key matching the client certificate\n' +
      'from -client-cert. Overrides TOLLGATE_CLIENT_KEY (then NOMAD_CLIENT_KEY).',
  },
  {
    name: 'tls-server-name',
    kind: 'string',
    placeholder: '<value>',
    help:
      'The server name to use as the SNI host when connecting via TLS.\n' +
      'Overrides TOLLGATE_TLS_SERVER_NAME (then NOMAD_TLS_SERVER_NAME).',
  },
  {
    name: 'tls-skip-verify',
    kind: 'bool',
    help:
      'Do not verify TLS certificate. This is highly not recommended. Verification\n' +
      'will also be skipped if TOLLGATE_SKIP_VERIFY (then NOMAD_SKIP_VERIFY) is set.',
  },
];

/** The `-json` flag of the commands that print an API object. */
export const JSON_FLAG: FlagSpec = {
  name: 'json',
  kind: 'bool',
  help: 'Output the response in JSON format.',
};

/**
 * `-filter` of the list commands: a go-bexpr expression sent as the API's
 * `?filter=` (Nomad's `acl … list` commands have no such flag; Tollgate
 * adds it because the API has it).
 */
export const FILTER_FLAG: FlagSpec = {
  name: 'filter',
  kind: 'string',
  placeholder: '<expression>',
  help: 'Only list entries matching this filter expression (go-bexpr syntax),\ne.g. \'Name contains "ci"\'.',
};

/** The client query option for a `-filter` value (none when absent or empty). */
export function filterOption(expression: string | undefined): { filter?: string } {
  return expression === undefined || expression === '' ? {} : { filter: expression };
}

/** `-role-id` and `-role-name` of `acl token create|update` (nomad's flags; each repeatable). */
export const ROLE_LINK_FLAGS: readonly FlagSpec[] = [
  { name: 'role-id', kind: 'list', help: 'ID of a role to use for this token. May be specified multiple times.' },
  { name: 'role-name', kind: 'list', help: 'Name of a role to use for this token. May be specified multiple times.' },
];

/** `-meta key=value` (repeatable): a token's metadata. */
export const META_FLAG: FlagSpec = {
  name: 'meta',
  kind: 'list',
  placeholder: 'key=value',
  help: 'Sets a metadata key on the token (shown in the audit log). May be specified multiple times.',
};

/** The `Meta` of `-meta key=value` flags; `undefined` when none is given. Throws on a flag without `=`. */
export function metaOf(values: readonly string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const meta: Record<string, string> = {};
  for (const kv of values) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new TypeError(`-meta must be key=value (got "${kv}")`);
    Object.defineProperty(meta, kv.slice(0, eq), { value: kv.slice(eq + 1), enumerable: true, writable: true, configurable: true });
  }
  return meta;
}
