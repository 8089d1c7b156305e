import { X509Certificate, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as h2connect } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy } from '@tollgate/testkit';
import type { TcpProxy } from '@tollgate/testkit';
import { api, eventually, freePort, startAgent, startCluster } from './testkit.js';
import type { Cluster, RunningAgent } from './testkit.js';
import { makeTlsLab } from './tls-kit.js';
import type { TlsLab } from './tls-kit.js';
import { tlsFetch } from '../packages/client/src/client-tls.js';
import { createCa } from '../packages/server/src/tls/cert-authority.js';

/** Value of a Prometheus sample (0 when absent), matched on its name and every label given. */
async function metric(addr: string, f: typeof fetch, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = (await api(addr, 'GET', '/v1/metrics?format=prometheus', { fetch: f })).text;
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.split(' ').at(-1));
  }
  return total;
}

/** The fingerprint of the certificate a TLS server on `port` presents to a new connection. */
function servedFingerprint(port: number, lab: TlsLab, client?: { cert: string; key: string }, alpn?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(lab.caFile),
      servername: 'localhost',
      ...(alpn === undefined ? {} : { ALPNProtocols: [alpn] }),
      ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
    });
    s.once('secureConnect', () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.destroy();
    });
    s.once('error', reject);
  });
}

/** Opens an HTTP/2 session to an RPC port and makes one gRPC call; resolves with how it ended. */
function rawGrpcCall(session: ClientHttp2Session, path: string, body: Buffer): Promise<string> {
  return new Promise((resolve) => {
    session.on('error', (err: Error) => resolve(`session error: ${err.message}`));
    const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    req.on('response', () => undefined);
    req.on('trailers', (t) => resolve(`grpc-status ${String(t['grpc-status'])}`));
    req.on('error', (err: Error) => resolve(`stream error: ${err.message}`));
    req.on('close', () => resolve('closed'));
    const header = Buffer.alloc(5);
    header.writeUInt32BE(body.length, 1);
    req.end(Buffer.concat([header, body]));
  });
}

describe('three regions with TLS on everywhere', () => {
  const regions = ['global', 'eu-west', 'us-east'];
  let lab: TlsLab;
  let proxy: TcpProxy;
  let c: Cluster;
  const call: typeof api = (addr, method, path, o = {}) => api(addr, method, path, { ...o, fetch: lab.fetch });

  beforeAll(async () => {
    lab = makeTlsLab(regions);
    const globalRpc = await freePort();
    // eu-west reaches global only through a proxy that records every byte.
    proxy = await startTcpProxy(globalRpc, { record: true });
    c = await startCluster({
      regions,
      agentHcl: (r) => lab.hcl(r),
      fetch: lab.fetch,
      rpcPorts: { global: globalRpc },
      peerAddr: (from, to) => (from === 'eu-west' && to === 'global' ? `127.0.0.1:${proxy.port}` : undefined),
    });
  }, 90_000);
  afterAll(async () => {
    await c?.close();
    await proxy?.close();
    lab?.remove();
  });

  it('replicates and forwards over mTLS, and a recording proxy between two regions sees no SecretID or token', async () => {
    const eu = c.agent('eu-west');
    expect(eu.addr).toMatch(/^https:\/\//);
    // A global token and a policy written in eu-west go to global through the proxy.
    const created = await call(eu.addr, 'POST', '/v1/acl/token', { token: c.management, body: { Name: 'tls-1', Type: 'management', Global: true } });
    expect(created.status).toBe(200);
    const pol = await call(eu.addr, 'POST', '/v1/acl/policy/tls-readonly', {
      token: c.management,
      body: { Name: 'tls-readonly', Rules: 'namespace "default" { policy = "read" }' },
    });
    expect(pol.status).toBe(200);
    await c.waitReplicated();
    const inUs = await call(c.agent('us-east').addr, 'GET', '/v1/acl/token/self', { token: created.body.SecretID });
    expect(inUs.status).toBe(200);
    const bytes = proxy.recorded();
    // Replication and forwarding did go through the proxy.
    expect(bytes.length).toBeGreaterThan(5_000);
    for (const secret of [c.management, c.replicationToken, created.body.SecretID as string]) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
    expect(bytes.includes(Buffer.from('x-nomad-token'))).toBe(false);
    expect(bytes.includes(Buffer.from('tls-readonly'))).toBe(false);
  });

  it('completes no handshake on the RPC port for a client without a certificate, nor for a certificate that is not a server one', async () => {
    const g = c.agent('global');
    const port = Number(g.rpcAddr!.split(':')[1]);
    const noCert = h2connect(`https://127.0.0.1:${port}`, { ca: readFileSync(lab.caFile), servername: 'server.global.tollgate' });
    const outcome = await rawGrpcCall(noCert, '/tollgate.v1.Replication/Digest', Buffer.alloc(0));
    noCert.destroy();
    expect(outcome).not.toMatch(/grpc-status/);
    const cli = lab.issue('cli-probe', { kind: 'cli', region: 'global' });
    const cliSession = h2connect(`https://127.0.0.1:${port}`, {
      ca: readFileSync(lab.caFile),
      cert: readFileSync(cli.cert),
      key: readFileSync(cli.key),
      servername: 'server.global.tollgate',
    });
    const cliOutcome = await rawGrpcCall(cliSession, '/tollgate.v1.Replication/Digest', Buffer.alloc(0));
    cliSession.destroy();
    expect(cliOutcome).not.toMatch(/grpc-status/);
    await eventually(async () => (await metric(g.addr, lab.fetch, 'tollgate_tls_refusals_total', { direction: 'inbound', reason: 'handshake_failed' })) >= 1);
    await eventually(async () => (await metric(g.addr, lab.fetch, 'tollgate_tls_refusals_total', { direction: 'inbound', reason: 'not_a_server_cert' })) >= 1);
    expect(g.logs.some((l) => String(l.msg).startsWith('RPC connection refused') && l.reason === 'not_a_server_cert')).toBe(true);
    expect(await metric(g.addr, lab.fetch, 'tollgate_grpc_requests_total', { method: '/tollgate.v1.Replication/Digest' })).toBe(0);
  });

  it('serves a new certificate to the next connection after SIGHUP, without dropping the agent', async () => {
    const us = c.agent('us-east');
    const httpPort = Number(new URL(us.addr).port);
    const rpcPort = Number(us.rpcAddr!.split(':')[1]);
    const before = await servedFingerprint(httpPort, lab);
    // Replace the files in place, as a rotation does, then SIGHUP.
    const next = lab.issue('us-east-server', { kind: 'server', region: 'us-east' });
    const want = new X509Certificate(readFileSync(next.cert)).fingerprint256;
    expect(want).not.toBe(before);
    us.proc.kill('SIGHUP');
    await eventually(async () => (await servedFingerprint(httpPort, lab)) === want, 5_000);
    expect(await servedFingerprint(rpcPort, lab, lab.server('eu-west'), 'h2')).toBe(want);
    expect(us.proc.exitCode).toBeNull();
    // Still replicating.
    const t = await call(c.agent('global').addr, 'POST', '/v1/acl/token', { token: c.management, body: { Name: 'after-hup', Type: 'management', Global: true } });
    await c.waitReplicated(Number(t.headers.get('x-nomad-index')));
    expect(us.logs.some((l) => l.msg === 'TLS certificate reloaded')).toBe(true);
  });

  it("ends a revoked replication token's stream within 1 s, and nothing created after the revocation arrives", async () => {
    const g = c.agent('global');
    const r2 = await call(g.addr, 'POST', '/v1/acl/token', { token: c.management, body: { Name: 'repl-2', Type: 'management', Global: true } });
    expect(r2.status).toBe(200);
    await c.waitReplicated();
    const us = await c.restart('us-east', { replicationToken: r2.body.SecretID });
    try {
      await c.waitReplicated();
      const streaming = async (): Promise<boolean> =>
        ((await call(g.addr, 'GET', '/v1/acl/replication', { token: c.management })).body.Followers as Array<{ Region: string }>).some(
          (f) => f.Region === 'us-east',
        );
      await eventually(streaming);
      const t0 = Date.now();
      const del = await call(g.addr, 'DELETE', `/v1/acl/token/${r2.body.AccessorID}`, { token: c.management });
      expect(del.status).toBe(200);
      const after = await call(g.addr, 'POST', '/v1/acl/token', { token: c.management, body: { Name: 'after-revocation', Type: 'management', Global: true } });
      expect(after.status).toBe(200);
      await eventually(async () => !(await streaming()));
      // The stream was ended by the deletion's own commit (not by a later
      // check), and within 1 s of the request, by the agent's own clock: the
      // time this test then took to notice (HTTP polls on a loaded machine)
      // is not the agent's.
      const ended = (await eventually(() =>
        g.logs.find((l) => String(l.msg).startsWith('replication watch ended: replication token') && l.accessor === r2.body.AccessorID),
      ))!;
      expect(ended.revokedAtIndex).toBe(Number(del.headers.get('x-nomad-index')));
      expect(Date.parse(String(ended.time)) - t0).toBeLessThan(1_000);
      // The follower says why, and counts it.
      await eventually(async () => {
        const s = await call(us.addr, 'GET', '/v1/acl/replication', { token: c.management });
        return s.body.Sources?.[0]?.LastError?.Reason === 'permission_denied';
      });
      expect(await metric(us.addr, lab.fetch, 'tollgate_replication_errors_total', { reason: 'permission_denied' })).toBeGreaterThan(0);
      // Given time, the token created after the revocation still has not arrived.
      await new Promise((r) => setTimeout(r, 1_500));
      expect((await call(us.addr, 'GET', '/v1/acl/token/self', { token: after.body.SecretID })).status).toBe(403);
      expect((await call(g.addr, 'GET', '/v1/acl/token/self', { token: after.body.SecretID })).status).toBe(200);
    } finally {
      await c.restart('us-east');
    }
  });
});

describe('a follower facing a fake authoritative region', () => {
  let lab: TlsLab;
  const agents: RunningAgent[] = [];
  beforeAll(() => {
    lab = makeTlsLab(['global', 'eu-west']);
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    lab?.remove();
  });

  const otherCa = createCa({ commonName: 'Another CA' });
  const cases: Array<{ name: string; fakeTls: (l: TlsLab) => string; refusal: string; log: string }> = [
    {
      name: 'a certificate for server.eu-west.tollgate',
      fakeTls: (l) => {
        const s = l.server('eu-west');
        return `tls {\n  http = true\n  rpc = true\n  ca_file = "${l.caFile}"\n  cert_file = "${s.cert}"\n  key_file = "${s.key}"\n}\n`;
      },
      refusal: 'wrong_region',
      log: 'does not name server.global.tollgate',
    },
    {
      name: 'a certificate for server.global.tollgate from another CA',
      fakeTls: (l) => {
        const s = l.issue('global-other-ca', { kind: 'server', region: 'global', ca: otherCa });
        const otherCaFile = join(l.dir, 'other-ca.pem');
        writeFileSync(otherCaFile, otherCa.certPem);
        return `tls {\n  http = false\n  rpc = true\n  ca_file = "${otherCaFile}"\n  cert_file = "${s.cert}"\n  key_file = "${s.key}"\n}\n`;
      },
      refusal: 'handshake_failed',
      log: 'TLS handshake with peer',
    },
    { name: 'no TLS at all', fakeTls: () => '', refusal: 'handshake_failed', log: 'TLS handshake with peer' },
  ];

  for (const k of cases) {
    it(`with ${k.name}: gets nothing from the follower and changes nothing there`, async () => {
      // The fake holds the follower's real replication secret (bootstrapped
      // with it) and a forged management token it would gladly stream.
      const secret = randomUUID();
      const fake = await startAgent({ region: 'global', hcl: k.fakeTls(lab) });
      agents.push(fake);
      const fakeFetch = fake.addr.startsWith('https') ? lab.fetch : fetch;
      const boot = await api(fake.addr, 'POST', '/v1/acl/bootstrap', { body: { BootstrapSecret: secret }, fetch: fakeFetch });
      expect(boot.status).toBe(200);
      const forged = await api(fake.addr, 'POST', '/v1/acl/token', { token: secret, body: { Name: 'forged', Type: 'management', Global: true }, fetch: fakeFetch });
      expect(forged.status).toBe(200);
      const follower = await startAgent({
        region: 'eu-west',
        hcl:
          `server {\n  authoritative_region = "global"\n  region_peers = { "global" = ["${fake.rpcAddr}"] }\n}\n` +
          `acl {\n  replication_token = "${secret}"\n}\n` +
          lab.hcl('eu-west'),
      });
      agents.push(follower);
      await eventually(async () => (await metric(follower.addr, lab.fetch, 'tollgate_replication_errors_total')) >= 2, 15_000);
      // Nothing from the fake arrived: neither its forged token nor the bootstrap token.
      expect((await api(follower.addr, 'GET', '/v1/acl/token/self', { token: forged.body.SecretID, fetch: lab.fetch })).status).toBe(403);
      expect((await api(follower.addr, 'GET', '/v1/acl/token/self', { token: secret, fetch: lab.fetch })).status).toBe(403);
      // And the fake never got a call (so never saw the replication secret).
      expect(await metric(fake.addr, fakeFetch, 'tollgate_grpc_requests_total')).toBe(0);
      expect(fake.logs.some((l) => String(l.msg).startsWith('replication watch'))).toBe(false);
      // The follower says why, in its log and its metrics.
      await eventually(async () => (await metric(follower.addr, lab.fetch, 'tollgate_tls_refusals_total', { direction: 'outbound', reason: k.refusal })) > 0);
      expect(follower.logs.some((l) => String(l.msg).includes(k.log))).toBe(true);
      await follower.stop();
      await fake.stop();
    }, 60_000);
  }
});

describe('certificate files at start', () => {
  it('refuses to start with an expired certificate or a key of another certificate, naming the file', async () => {
    const lab = makeTlsLab([]);
    try {
      const expired = lab.issue('expired', { kind: 'server', days: 1, notBefore: new Date(Date.now() - 3 * 86_400_000) });
      const other = lab.issue('other', { kind: 'server' });
      const tlsBlock = (cert: string, key: string): string =>
        `tls {\n  http = true\n  rpc = true\n  ca_file = "${lab.caFile}"\n  cert_file = "${cert}"\n  key_file = "${key}"\n}\n`;
      await expect(startAgent({ hcl: tlsBlock(expired.cert, expired.key) })).rejects.toThrow(`Error starting agent: tls.cert_file ${expired.cert}: certificate expired on`);
      await expect(startAgent({ hcl: tlsBlock(expired.cert, other.key) })).rejects.toThrow(
        `Error starting agent: tls.key_file ${other.key}: the key does not match the certificate in ${expired.cert}`,
      );
    } finally {
      lab.remove();
    }
  }, 60_000);
});

describe('HTTPS client certificates', () => {
  it('with verify_https_client, serves only HTTPS clients presenting a certificate from the CA', async () => {
    const lab = makeTlsLab(['global']);
    const agent = await startAgent({ hcl: lab.hcl('global', '  verify_https_client = true\n') });
    try {
      const noCert = tlsFetch({ caCert: lab.caFile });
      await expect(api(agent.addr, 'GET', '/v1/agent/health', { fetch: noCert })).rejects.toThrow();
      const foreign = lab.issue('foreign-cli', { kind: 'cli', ca: createCa() });
      await expect(api(agent.addr, 'GET', '/v1/agent/health', { fetch: tlsFetch({ caCert: lab.caFile, clientCert: foreign.cert, clientKey: foreign.key }) })).rejects.toThrow();
      expect((await api(agent.addr, 'GET', '/v1/agent/health', { fetch: lab.fetch })).status).toBe(200);
    } finally {
      await agent.stop();
      lab.remove();
    }
  }, 60_000);
});

describe('oversized messages on the RPC port', () => {
  const MIB = 1024 * 1024;

  function rssBytes(pid: number): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(m![1]) * 1024;
  }

  /** 32 concurrent calls each declaring and streaming a 64 MiB message (one shared 1 MiB chunk, so the test stays small). */
  async function flood(url: string, opts: Parameters<typeof h2connect>[1]): Promise<string[]> {
    const chunk = Buffer.alloc(MIB, 0x41);
    return Promise.all(
      Array.from({ length: 32 }, () => {
        const session = h2connect(url, opts);
        return new Promise<string>((resolve) => {
          const done = (how: string): void => {
            session.destroy();
            resolve(how);
          };
          session.on('error', (e: Error) => done(`session error: ${e.message}`));
          const req = session.request({ ':method': 'POST', ':path': '/tollgate.v1.Forward/Http', 'content-type': 'application/grpc', te: 'trailers' });
          req.on('trailers', (t) => done(`grpc-status ${String(t['grpc-status'])}`));
          req.on('response', (h) => {
            if (h['grpc-status'] !== undefined) done(`grpc-status ${String(h['grpc-status'])}`);
          });
          req.on('error', (e: Error) => done(`stream error: ${e.message}`));
          req.on('close', () => done('closed'));
          const header = Buffer.alloc(5);
          header.writeUInt32BE(64 * MIB, 1);
          req.write(header);
          let sent = 0;
          const pump = (): void => {
            while (sent < 64 && !req.destroyed) {
              sent++;
              if (!req.write(chunk)) {
                req.once('drain', pump);
                return;
              }
            }
            if (!req.destroyed) req.end();
          };
          pump();
        });
      }),
    );
  }

  it('32 concurrent 64 MiB calls without a certificate or token leave RSS within 100 MB, with TLS on and off', async () => {
    const lab = makeTlsLab(['global']);
    const tlsAgent = await startAgent({ region: 'global', hcl: lab.hcl('global') });
    const plain = await startAgent({ region: 'global' });
    try {
      for (const [agent, url, opts] of [
        [tlsAgent, `https://${tlsAgent.rpcAddr}`, { ca: readFileSync(lab.caFile), servername: 'server.global.tollgate' }],
        [plain, `http://${plain.rpcAddr}`, {}],
      ] as const) {
        const before = rssBytes(agent.proc.pid!);
        const outcomes = await flood(url, opts);
        const after = rssBytes(agent.proc.pid!);
        // No call was served: each was refused at the handshake (TLS) or at
        // the message's declared size (plaintext: RESOURCE_EXHAUSTED, 8).
        if (agent === plain) expect(outcomes.every((o) => o === 'grpc-status 8')).toBe(true);
        else expect(outcomes.every((o) => !o.includes('grpc-status'))).toBe(true);
        expect(after - before).toBeLessThan(100 * MIB);
        expect(agent.proc.exitCode).toBeNull();
      }
    } finally {
      await tlsAgent.stop();
      await plain.stop();
      lab.remove();
    }
  }, 120_000);
});
