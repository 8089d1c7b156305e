import { readFileSync } from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';

/** TLS settings of a client, as Nomad's `-ca-cert`, `-client-cert`, `-client-key`, `-tls-server-name`, `-tls-skip-verify`. */
export interface ClientTlsOptions {
  /** PEM file of the CA that signed the agent's certificate. @default `TOLLGATE_CACERT`, else `NOMAD_CACERT` */
  caCert?: string;
  /** PEM client certificate (for `tls.verify_https_client`). @default `TOLLGATE_CLIENT_CERT`, else `NOMAD_CLIENT_CERT` */
  clientCert?: string;
  /** PEM key of `clientCert`. @default `TOLLGATE_CLIENT_KEY`, else `NOMAD_CLIENT_KEY` */
  clientKey?: string;
  /** Name to send as SNI and to check in the agent's certificate. @default `TOLLGATE_TLS_SERVER_NAME`, else `NOMAD_TLS_SERVER_NAME`, else the address's host */
  tlsServerName?: string;
  /** Do not verify the agent's certificate (debugging only). @default `TOLLGATE_SKIP_VERIFY`, else `NOMAD_SKIP_VERIFY`, else false */
  tlsSkipVerify?: boolean;
}

/** The TLS settings after the environment fallbacks; `undefined` fields are unset. */
export type ResolvedClientTls = Readonly<ClientTlsOptions>;

/** Applies the TOLLGATE_* then NOMAD_* fallbacks to each TLS field. Empty strings count as unset. */
export function resolveClientTls(opts: ClientTlsOptions, env: NodeJS.ProcessEnv): ResolvedClientTls {
  const pick = (explicit: string | undefined, name: string): string | undefined =>
    [explicit, env[`TOLLGATE_${name}`], env[`NOMAD_${name}`]].find((v) => v !== undefined && v !== '');
  const skip = opts.tlsSkipVerify ?? parseBool(pick(undefined, 'SKIP_VERIFY'));
  const out: ClientTlsOptions = {};
  const caCert = pick(opts.caCert, 'CACERT');
  const clientCert = pick(opts.clientCert, 'CLIENT_CERT');
  const clientKey = pick(opts.clientKey, 'CLIENT_KEY');
  const tlsServerName = pick(opts.tlsServerName, 'TLS_SERVER_NAME');
  if (caCert !== undefined) out.caCert = caCert;
  if (clientCert !== undefined) out.clientCert = clientCert;
  if (clientKey !== undefined) out.clientKey = clientKey;
  if (tlsServerName !== undefined) out.tlsServerName = tlsServerName;
  if (skip) out.tlsSkipVerify = true;
  if ((out.clientCert === undefined) !== (out.clientKey === undefined)) {
    throw new TypeError('client-cert and client-key must be given together');
  }
  return out;
}

/** Whether any TLS setting differs from Node's defaults (so a dedicated connection pool is needed). */
export function hasCustomTls(t: ResolvedClientTls): boolean {
  return t.caCert !== undefined || t.clientCert !== undefined || t.tlsServerName !== undefined || t.tlsSkipVerify === true;
}

/**
 * A fetch whose HTTPS connections use the given CA, client certificate, server
 * name and verification setting (undici's own fetch with a dispatcher of its
 * own, so nothing process-wide changes).
 * @throws TypeError naming a file that cannot be read.
 */
export function tlsFetch(t: ResolvedClientTls): typeof fetch {
  const read = (file: string, flag: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new TypeError(`${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const dispatcher = new Agent({
    connect: {
      ...(t.caCert === undefined ? {} : { ca: read(t.caCert, 'ca-cert') }),
      ...(t.clientCert === undefined ? {} : { cert: read(t.clientCert, 'client-cert'), key: read(t.clientKey!, 'client-key') }),
      ...(t.tlsServerName === undefined ? {} : { servername: t.tlsServerName }),
      rejectUnauthorized: t.tlsSkipVerify !== true,
    },
  });
  return ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) =>
    undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}

function parseBool(v: string | undefined): boolean {
  if (v === undefined) return false;
  // Go's strconv.ParseBool, as Nomad reads NOMAD_SKIP_VERIFY.
  return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);
}
