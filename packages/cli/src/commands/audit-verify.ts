import { readFile } from 'node:fs/promises';
import type { CommandSpec } from '../command.js';
import { readFileOrStdin } from '../read-input.js';

/** What `audit verify` uses of `@tollgate/server`. */
interface ServerAudit {
  verifyAuditLog(
    files: readonly { name: string; text: string }[],
    opts: { auditKey?: Buffer | undefined; mixed?: boolean },
  ):
    | { ok: true; lines: number; signaturesChecked: boolean; skipped: number }
    | { ok: false; file: string; line: number; problem: string };
  deriveAuditKey(encryptionKey: Buffer, region: string): Buffer;
}

// Loaded lazily, as for `tollgate agent`: other commands start without the
// server. The annotation checks the server's exports against what is used.
async function loadServer(): Promise<ServerAudit> {
  const mod: ServerAudit = await import('@tollgate/server');
  return mod;
}

/** `tollgate audit verify [-key-file=F] FILE…`: checks an audit log's hash chain. */
export const auditVerifyCommand: CommandSpec = {
  name: 'audit verify',
  synopsis: 'Verify the hash chain of an audit log',
  usage: 'tollgate audit verify [options] <file>...',
  description:
    'Verify checks that an audit log is as the agent wrote it: every line carries\n' +
    'the SHA-256 of the line before it and a sequence number, and every header is\n' +
    'signed. It prints the first line that was edited, removed or reordered, or\n' +
    '"ok, N lines". Give a rotated set oldest first (audit.log.2 audit.log.1\n' +
    'audit.log) to check it as one chain. Exit code 0 = ok, 1 = tampered or\n' +
    'unreadable.\n\n' +
    'Header signatures are checked with -key-file: the region\'s encryption key\n' +
    '(<data_dir>/server/keyring, or a file holding acl.encryption_key).',
  optionsTitle: 'Verify Options',
  flags: [
    { name: 'key-file', kind: 'string', placeholder: '<path>', help: 'File with the region\'s encryption key (base64), to check header signatures.' },
    { name: 'mixed', kind: 'bool', help: 'Skip lines that are not audit lines (an audit log written to stdout\nwith the agent\'s own log).' },
  ],
  clientFlags: false,
  async run(ctx) {
    if (ctx.args.length === 0) return ctx.usageError('This command takes at least one file');
    const server = await loadServer();
    const files: { name: string; text: string }[] = [];
    for (const name of ctx.args) {
      try {
        files.push({ name, text: await readFileOrStdin(name, ctx.io) });
      } catch (err) {
        return ctx.fail('Error reading audit log', err);
      }
    }
    let auditKey: Buffer | undefined;
    const keyFile = ctx.flags.string('key-file');
    if (keyFile !== undefined) {
      let key: Buffer;
      try {
        key = Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64');
      } catch (err) {
        return ctx.fail('Error reading key file', err);
      }
      if (key.length !== 32) {
        ctx.err(`Error reading key file: ${keyFile} must hold base64 of 32 bytes`);
        return 1;
      }
      const region = /"type":"audit-header".*?"region":"([^"]*)"/.exec(files.map((f) => f.text).join('\n'))?.[1];
      if (region === undefined) {
        ctx.err('Error: no header in the given files names the region; cannot derive the audit key');
        return 1;
      }
      auditKey = server.deriveAuditKey(key, region);
    }
    const res = server.verifyAuditLog(files, { auditKey, mixed: ctx.flags.bool('mixed') });
    if (!res.ok) {
      ctx.out(`${res.file}:${res.line}: ${res.problem}`);
      return 1;
    }
    const notes: string[] = [];
    if (!res.signaturesChecked) notes.push('header signatures not checked (no -key-file)');
    if (res.skipped > 0) notes.push(`${res.skipped} other lines skipped`);
    ctx.out(`ok, ${res.lines} lines${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`);
    return 0;
  },
};
