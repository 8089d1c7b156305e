// @ts-check
// The files the loopback lab writes into its base dir: one agent config per
// region and the Prometheus scrape targets.

/**
 * An HCL string literal. JSON's escapes (\" \\ \n \uXXXX) are valid HCL.
 *
 * @param {string} s
 */
const str = (s) => JSON.stringify(s);

/**
 * One region's agent config, with Nomad's keys. `peers` maps every *other*
 * region to its RPC address, as `server.region_peers`; `replicationToken` is
 * set on followers only.
 *
 * @param {{
 *   region: string,
 *   dataDir: string,
 *   httpPort: number,
 *   rpcPort: number,
 *   authoritativeRegion: string,
 *   peers: Record<string, string | readonly string[]>,
 *   replicationToken?: string,
 *   logLevel?: string,
 *   tls?: { caFile: string, certFile: string, keyFile: string },
 * }} c
 * @returns {string}
 */
export function agentHcl(c) {
  const peers = Object.entries(c.peers)
    .map(([region, addr]) => `    ${str(region)} = [${(typeof addr === 'string' ? [addr] : addr).map(str).join(', ')}]`)
    .join('\n');
  return [
    `# Written by scripts/lab.js on every start; edits are overwritten.`,
    `region    = ${str(c.region)}`,
    `data_dir  = ${str(c.dataDir)}`,
    `bind_addr = "127.0.0.1"`,
    `log_level = ${str(c.logLevel ?? 'info')}`,
    ``,
    `ports {`,
    `  http = ${c.httpPort}`,
    `  rpc  = ${c.rpcPort}`,
    `}`,
    ``,
    `server {`,
    `  authoritative_region = ${str(c.authoritativeRegion)}`,
    `  region_peers = {`,
    peers,
    `  }`,
    `}`,
    ``,
    `acl {`,
    `  enabled = true`,
    ...(c.replicationToken === undefined ? [] : [`  replication_token = ${str(c.replicationToken)}`]),
    `}`,
    ``,
    ...(c.tls === undefined
      ? []
      : [
          `tls {`,
          `  http                   = true`,
          `  rpc                    = true`,
          `  ca_file                = ${str(c.tls.caFile)}`,
          `  cert_file              = ${str(c.tls.certFile)}`,
          `  key_file               = ${str(c.tls.keyFile)}`,
          `  verify_server_hostname = true`,
          `}`,
          ``,
        ]),
  ].join('\n');
}

/**
 * Prometheus file-based service discovery targets (`file_sd_configs`) for
 * the agents' HTTP addresses. Every series already carries the agent's
 * `region` label, so the targets add none (a target `region` label would
 * clash with it and be renamed `exported_region`).
 *
 * @param {readonly string[]} hostPorts e.g. `127.0.0.1:4646`
 */
export function prometheusTargets(hostPorts) {
  return `${JSON.stringify([{ targets: [...hostPorts], labels: { lab: 'loopback' } }], null, 2)}\n`;
}
