import type { CommandGroup, CommandSpec } from './command.js';
import { CLIENT_FLAGS } from './general-flags.js';
import type { FlagSpec } from './flags.js';

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((l) => (l === '' ? l : pad + l))
    .join('\n');
}

function flagBlock(flags: readonly FlagSpec[]): string {
  return flags
    .map((f) => {
      const head = `-${f.name}${f.kind === 'bool' ? '' : `=${f.placeholder ?? '""'}`}`;
      return `  ${head}\n${indent(f.help, 4)}`;
    })
    .join('\n\n');
}

/** The `-h` text of a command, laid out like `nomad`'s help. */
export function commandHelp(cmd: CommandSpec): string {
  const parts = [`Usage: ${cmd.usage}`, indent(cmd.description, 2)];
  if (cmd.clientFlags) parts.push('General Options:', flagBlock(CLIENT_FLAGS));
  if (cmd.flags.length > 0) parts.push(`${cmd.optionsTitle ?? 'Options'}:`, flagBlock(cmd.flags));
  return parts.join('\n\n');
}

/** The help of a group: its description and the list of its direct subcommands. */
export function groupHelp(group: CommandGroup, children: readonly { word: string; synopsis: string }[]): string {
  const w = Math.max(0, ...children.map((c) => c.word.length));
  const list = children.map((c) => `    ${c.word.padEnd(w)}    ${c.synopsis}`).join('\n');
  const usage = group.name === '' ? 'tollgate' : `tollgate ${group.name}`;
  return [`Usage: ${usage} <subcommand> [options] [args]`, indent(group.description, 2), `Subcommands:\n${list}`].join(
    '\n\n',
  );
}
