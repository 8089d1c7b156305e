import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** Why a TLS peer or an RPC connection was refused (a metric label; never carries names from the peer). */
export type TlsRefusalReason =
  | 'handshake_failed'
  | 'handshake_timeout'
  | 'not_a_server_cert'
  | 'wrong_region'
  | 'too_many_connections';

/** TLS metrics of one agent, registered on its registry. */
export interface TlsMetrics {
  /** A connection refused: `inbound` on the RPC port, `outbound` to another region's agent. */
  refused(direction: 'inbound' | 'outbound', reason: TlsRefusalReason): void;
  /** The agent's certificate (after start and every reload). */
  setCertExpiry(notAfter: Date): void;
}

/** Registers `tollgate_tls_refusals_total{direction,reason}` and `tollgate_tls_cert_expiry_timestamp_seconds`. */
export function registerTlsMetrics(registry: Registry): TlsMetrics {
  const refusals = new Counter({
    name: 'tollgate_tls_refusals_total',
    help: 'TLS/RPC connections refused: inbound on the RPC port (no or foreign certificate, not a server certificate, handshake timeout, per-client limit) and outbound (a peer without the expected server.<region>.tollgate name).',
    labelNames: ['direction', 'reason'],
    registers: [registry],
  });
  const expiry = new Gauge({
    name: 'tollgate_tls_cert_expiry_timestamp_seconds',
    help: "Unix time at which the agent's TLS certificate expires.",
    registers: [registry],
  });
  return {
    refused: (direction, reason) => refusals.inc({ direction, reason }),
    setCertExpiry: (notAfter) => expiry.set(notAfter.getTime() / 1000),
  };
}

/** Metrics that count nothing (agents and tests without a registry). */
export const noopTlsMetrics: TlsMetrics = { refused: () => undefined, setCertExpiry: () => undefined };
