import { hostname } from 'node:os';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { ResolvedAgentConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { deriveAuditKey } from './audit-key.js';
import { FileSink, StreamSink } from './audit-sink.js';
import { AuditWriter } from './audit-writer.js';
import { RequestAuditor } from './request-auditor.js';
import type { AuditTokenSource } from './request-auditor.js';

/** What `openAuditLog` needs from the agent. */
export interface AuditLogOptions {
  readonly config: ResolvedAgentConfig['audit'];
  /** The file, or `stdout` (`audit.path`, defaulted by the agent). */
  readonly path: string;
  /** The region's SecretID encryption key; the audit key is derived from it. */
  readonly encryptionKey: Buffer;
  readonly region: string;
  /** The HTTP port, to tell agents on one host apart in the `agent` field. */
  readonly httpPort: number;
  readonly log: Logger;
  readonly registry: Registry;
  readonly tokens: () => AuditTokenSource;
  /** Where `path = "stdout"` writes. @default process.stdout */
  readonly stdout?: NodeJS.WritableStream;
}

/**
 * Opens the audit log (file or stdout), writes its start header, and
 * returns the auditor the HTTP layer logs through. Registers
 * `tollgate_audit_failing`, `tollgate_audit_queue_lines` and
 * `tollgate_audit_dropped_lines`.
 * @throws AuditUnavailableError when the header cannot be written: the agent does not start.
 */
export async function openAuditLog(o: AuditLogOptions): Promise<RequestAuditor> {
  const auditKey = deriveAuditKey(o.encryptionKey, o.region);
  const agent = `${hostname()}:${o.httpPort}`;
  const log = o.log.child({ component: 'audit' });
  const sink = o.path === 'stdout' ? new StreamSink(o.stdout ?? process.stdout) : new FileSink(o.path);
  const writer = new AuditWriter({
    sink,
    auditKey,
    region: o.region,
    agent,
    failOpen: o.config.failOpen,
    rotateBytes: o.config.rotateBytes,
    rotateMaxFiles: o.config.rotateMaxFiles,
    queueLines: o.config.queueLines,
    log,
  });
  await writer.open();
  const registers = [o.registry];
  new Gauge({
    name: 'tollgate_audit_failing',
    help: '1 while the audit log cannot be written (fail-closed: audited requests get 503).',
    registers,
    collect() {
      this.set(writer.failure === undefined ? 0 : 1);
    },
  });
  new Gauge({
    name: 'tollgate_audit_queue_lines',
    help: 'Audit lines waiting to be written.',
    registers,
    collect() {
      this.set(writer.queued);
    },
  });
  new Gauge({
    name: 'tollgate_audit_dropped_lines',
    help: 'Audit lines dropped since start (fail_open only, while the log could not be written and the queue was full).',
    registers,
    collect() {
      this.set(writer.dropped);
    },
  });
  log.info({ path: o.path, failOpen: o.config.failOpen, rotateBytes: o.config.rotateBytes }, 'audit log open');
  return new RequestAuditor({ writer, auditKey, region: o.region, agent, tokens: o.tokens });
}
