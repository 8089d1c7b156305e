import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FetchImplementation } from 'jose';

/** Largest identity-provider answer read (JWKS, discovery document). */
export const MAX_PROVIDER_RESPONSE_BYTES = 1024 * 1024;

/**
 * A `fetch` for jose's remote key sets (and discovery documents) that
 * trusts `caPem` when given (the method's `JWKSCACert` / `DiscoveryCaPem`),
 * else the system CAs; reads at most `MAX_PROVIDER_RESPONSE_BYTES`; follows
 * no redirect; is cancelled by the signal jose passes (its timeout).
 */
export function providerFetch(caPem: string | undefined): FetchImplementation {
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const u = new URL(url);
      const send = u.protocol === 'https:' ? httpsRequest : u.protocol === 'http:' ? httpRequest : undefined;
      if (send === undefined) {
        reject(new Error(`unsupported URL scheme ${u.protocol}`));
        return;
      }
      const headers: Record<string, string> = {};
      options.headers.forEach((v, k) => {
        headers[k] = v;
      });
      const req = send(u, { method: 'GET', headers, signal: options.signal, ...(caPem !== undefined && caPem !== '' ? { ca: caPem } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_PROVIDER_RESPONSE_BYTES) {
            res.destroy(new Error(`identity provider answer larger than ${MAX_PROVIDER_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers: h }));
        });
      });
      req.on('error', reject);
      req.end();
    });
}
