import { describe, expect, it } from 'vitest';
import { resolveClientOptions } from './client-options.js';
import { resolveClientTls } from './client-tls.js';

describe('client TLS settings', () => {
  it('takes each setting from the option, then TOLLGATE_*, then NOMAD_*', () => {
    const env = {
      TOLLGATE_CACERT: '/t/ca.pem',
      NOMAD_CACERT: '/n/ca.pem',
      NOMAD_CLIENT_CERT: '/n/cli.pem',
      NOMAD_CLIENT_KEY: '/n/cli-key.pem',
      NOMAD_TLS_SERVER_NAME: 'server.global.tollgate',
      NOMAD_SKIP_VERIFY: 'true',
    };
    expect(resolveClientTls({}, env)).toEqual({
      caCert: '/t/ca.pem',
      clientCert: '/n/cli.pem',
      clientKey: '/n/cli-key.pem',
      tlsServerName: 'server.global.tollgate',
      tlsSkipVerify: true,
    });
    expect(resolveClientTls({ caCert: '/o/ca.pem', tlsSkipVerify: false }, env)).toMatchObject({ caCert: '/o/ca.pem' });
    expect(resolveClientTls({ tlsSkipVerify: false }, env).tlsSkipVerify).toBeUndefined();
    expect(resolveClientTls({}, { TOLLGATE_SKIP_VERIFY: '0', NOMAD_SKIP_VERIFY: '1' }).tlsSkipVerify).toBeUndefined();
    expect(resolveClientTls({}, {})).toEqual({});
  });

  it('needs a client certificate and key together', () => {
    expect(() => resolveClientTls({ clientCert: '/a.pem' }, {})).toThrow('client-cert and client-key must be given together');
  });

  it('keeps the global fetch without TLS settings, and names an unreadable CA file', () => {
    expect(resolveClientOptions({ env: {} }).fetch).toBe(globalThis.fetch);
    expect(() => resolveClientOptions({ env: { TOLLGATE_CACERT: '/nonexistent/ca.pem' } })).toThrow('ca-cert: cannot read /nonexistent/ca.pem (ENOENT)');
  });
});
