// @ts-check
// What the lab prints once it is up: where everything is and what to try.
import { relative } from 'node:path';

/**
 * A path as the user should type it: relative to the current directory when
 * it is inside it, absolute otherwise.
 *
 * @param {string} p
 */
export function displayPath(p) {
  const rel = relative(process.cwd(), p);
  return rel !== '' && !rel.startsWith('..') ? rel : p;
}

/**
 * @param {{
 *   baseDir: string,
 *   regions: ReadonlyArray<{ name: string, http: string, rpc: string, log: string, authoritative: boolean, replicated: boolean | undefined }>,
 *   prometheus: { url: string } | { missing: true } | { disabled: true },
 *   managementToken: string,
 *   managementTokenFile: string,
 *   policyFile: string,
 *   ha?: { agents: ReadonlyArray<{ name: string, http: string }>, etcds: ReadonlyArray<{ region: string, endpoint: string }> },
 *   caFile?: string,
 * }} b
 */
export function banner(b) {
  const [global, eu, us] = b.regions;
  if (!global || !eu || !us) throw new RangeError('banner: expected three regions');
  const pad = (/** @type {string} */ s, /** @type {number} */ n) => s.padEnd(n);
  const lines = [
    '',
    `Tollgate lab is up (base dir ${displayPath(b.baseDir)}, logs in ${displayPath(b.baseDir)}/logs)`,
    '',
    `  ${pad('region', 9)} ${pad('HTTP', 24)} ${pad('RPC', 17)} notes`,
  ];
  for (const r of b.regions) {
    let note = r.authoritative ? 'authoritative' : 'follower';
    if (!r.authoritative) {
      note += r.replicated === true ? ', replicated' : ', not replicated yet (see /v1/acl/replication)';
    }
    lines.push(`  ${pad(r.name, 9)} ${pad(r.http, 24)} ${pad(r.rpc, 17)} ${note}`);
  }
  if (b.ha !== undefined && b.ha.etcds.length > 0) {
    lines.push('', '  HA (--ha): every region runs on its own etcd with a second agent');
    for (const r of b.regions) {
      const second = b.ha.agents.find((a) => a.name === r.name);
      const etcd = b.ha.etcds.find((e) => e.region === r.name);
      lines.push(`  ${pad(r.name, 9)} second agent ${pad(second?.http ?? '-', 24)} etcd ${etcd?.endpoint ?? '-'}`);
    }
    lines.push(`  leader, term, applied revision: curl -s${b.caFile === undefined ? '' : ` --cacert ${displayPath(b.caFile)}`} ${global.http}/v1/agent/ha`);
  }
  lines.push('');
  if ('url' in b.prometheus) {
    lines.push(`  Prometheus: ${b.prometheus.url}  (scrapes the agents every second)`);
    lines.push(`    lag:      ${b.prometheus.url}/graph?g0.expr=tollgate_replication_lag_seconds&g0.tab=0&g0.range_input=5m`);
  } else if ('missing' in b.prometheus) {
    lines.push('  Prometheus: not installed (apt-get install -y prometheus), so not started');
  } else {
    lines.push('  Prometheus: not started (--no-prometheus)');
  }
  const policy = displayPath(b.policyFile);
  // With TLS, the CLI reads the CA from the environment and curl gets --cacert.
  const ca = b.caFile === undefined ? undefined : displayPath(b.caFile);
  const curl = ca === undefined ? 'curl -s' : `curl -s --cacert ${ca}`;
  lines.push(
    '',
    `Management token (also in ${displayPath(b.managementTokenFile)}, mode 0600):`,
    `  ${b.managementToken}`,
    '',
    'Try (from the repository):',
    `  export TOLLGATE_TOKEN=${b.managementToken}`,
    ...(ca === undefined
      ? ['  # plaintext lab (--no-tls): HTTP and RPC are not encrypted']
      : [`  export TOLLGATE_CACERT=${ca}     # HTTPS with the lab CA (tls { http = true, rpc = true, verify_server_hostname = true })`]),
    `  TOLLGATE_ADDR=${global.http} npx tollgate acl token list`,
    '',
    `  # write a policy and a global token in ${eu.name} (forwarded to ${global.name}) ...`,
    `  TOLLGATE_ADDR=${eu.http} npx tollgate acl policy apply -description="Read jobs in default" readonly ${policy}`,
    `  TOLLGATE_ADDR=${eu.http} npx tollgate acl token create -name=demo -global -policy=readonly`,
    `  # ... and use it in ${us.name} (SECRET = the "Secret ID" printed above):`,
    `  TOLLGATE_ADDR=${us.http} TOLLGATE_TOKEN=SECRET npx tollgate acl token self`,
    `  ${curl} -H "X-Nomad-Token: SECRET" ${us.http}/v1/acl/authorize \\`,
    `    -d '{"Checks":[{"Resource":"namespace","Name":"default","Capability":"read-job"}]}'`,
    '',
    '  # replication state of a follower',
    `  ${curl} -H "X-Nomad-Token: $TOLLGATE_TOKEN" ${eu.http}/v1/acl/replication`,
    '',
    'Ctrl-C stops the lab; the next `npm start` reuses its state. See docs/lab.md.',
    '',
  );
  return lines.join('\n');
}
