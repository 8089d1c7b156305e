import { readFileSync } from 'node:fs';
import type { CommandSpec } from '../command.js';

/**
 * The CLI package's version, read from its package.json at run time (the file
 * sits two levels up from both `src/commands` and `dist/commands`).
 */
export function cliVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const version = (pkg as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}

/** `tollgate version`: prints `Tollgate v<version>`. */
export const versionCommand: CommandSpec = {
  name: 'version',
  synopsis: 'Prints the Tollgate version',
  usage: 'tollgate version',
  description: 'Version prints the version of this Tollgate CLI.',
  flags: [],
  clientFlags: false,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    ctx.out(`Tollgate v${cliVersion()}`);
    return 0;
  },
};
