import { TollgateClient } from '@tollgate/client';
import type { CliIo } from './cli-io.js';
import type { CommandContext, CommandSpec } from './command.js';
import { COMMANDS, GROUPS, childrenOf } from './command-tree.js';
import { CliUsageError } from './errors.js';
import { parseFlags } from './flags.js';
import type { ParsedFlags } from './flags.js';
import { CLIENT_FLAGS } from './general-flags.js';
import { commandHelp, groupHelp } from './help.js';

const HELP_ARGS = new Set(['-h', '-help', '--help']);
const VERSION_ARGS = new Set(['-v', '-version', '--version']);

/**
 * Runs one `tollgate` command line and resolves to its exit code: 0 on
 * success, 1 on any error (the message is on stderr). Never calls
 * `process.exit`, so it can run in-process in tests.
 *
 * @param argv the arguments after `tollgate`, e.g. `['acl', 'token', 'self']`.
 * @param io the process boundary; each missing part defaults to the real
 *   process (stdout, stderr, stdin, env).
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const cio: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    // Only touch process.stdin when nothing else is given: creating it keeps
    // the event loop alive in some environments.
    get stdin() {
      return io.stdin ?? process.stdin;
    },
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  };
  const out = (s: string) => void cio.stdout.write(`${s}\n`);
  const err = (s: string) => void cio.stderr.write(`${s}\n`);

  // Walk the tree as far as the words name a group or a command.
  const words: string[] = [];
  let i = 0;
  const known = (name: string) => COMMANDS.some((c) => c.name === name) || GROUPS.some((g) => g.name === name);
  while (i < argv.length && known([...words, argv[i]].join(' '))) words.push(argv[i++] as string);
  const name = words.join(' ');
  const rest = argv.slice(i);
  const cmd = COMMANDS.find((c) => c.name === name);

  if (cmd === undefined) {
    const group = GROUPS.find((g) => g.name === name) ?? (GROUPS[0] as (typeof GROUPS)[number]);
    const help = groupHelp(group, childrenOf(group.name));
    const first = rest[0];
    if (first !== undefined && HELP_ARGS.has(first)) {
      out(help);
      return 0;
    }
    if (name === '' && first !== undefined && VERSION_ARGS.has(first)) return main(['version'], io);
    if (first !== undefined) err(`Unknown command: ${[...words, first].join(' ')}\n`);
    err(help);
    return 1;
  }
  return runCommand(cmd, rest, cio, out, err);
}

async function runCommand(
  cmd: CommandSpec,
  rest: readonly string[],
  io: CliIo,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  let flags: ParsedFlags;
  if (cmd.passThrough) {
    const end = rest.indexOf('--');
    const flagPart = end === -1 ? rest : rest.slice(0, end);
    if (flagPart.some((a) => HELP_ARGS.has(a))) {
      out(commandHelp(cmd));
      return 0;
    }
    flags = { ...parseFlags([], []), args: rest };
  } else {
    try {
      flags = parseFlags(rest, cmd.clientFlags ? [...CLIENT_FLAGS, ...cmd.flags] : cmd.flags);
    } catch (e) {
      if (!(e instanceof CliUsageError)) throw e;
      err(e.message);
      err(commandHelp(cmd));
      return 1;
    }
    if (flags.help) {
      out(commandHelp(cmd));
      return 0;
    }
  }

  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
  const ctx: CommandContext = {
    io,
    flags,
    args: flags.args,
    out,
    err,
    usageError(msg) {
      err(msg);
      err(`For additional help try 'tollgate ${cmd.name} -h'`);
      return 1;
    },
    fail(prefix, e) {
      err(`${prefix}: ${message(e)}`);
      return 1;
    },
    client() {
      try {
        return new TollgateClient({
          address: flags.string('address'),
          token: flags.string('token'),
          region: flags.string('region'),
          caCert: flags.string('ca-cert'),
          clientCert: flags.string('client-cert'),
          clientKey: flags.string('client-key'),
          tlsServerName: flags.string('tls-server-name'),
          ...(flags.bool('tls-skip-verify') ? { tlsSkipVerify: true } : {}),
          env: io.env,
        });
      } catch (e) {
        err(`Error initializing client: ${message(e)}`);
        return undefined;
      }
    },
  };
  try {
    return await cmd.run(ctx);
  } catch (e) {
    // Commands report expected failures themselves; this is the last net.
    err(`Error: ${message(e)}`);
    return 1;
  }
}

