import type { TollgateClient } from '@tollgate/client';
import type { CliIo } from './cli-io.js';
import type { FlagSpec, ParsedFlags } from './flags.js';

/**
 * One runnable command, e.g. `acl token create`. The dispatcher parses the
 * flags from `flags` (plus the general `-address`/`-region`/`-token` when
 * `clientFlags` is set), handles `-h`, and calls `run`.
 */
export interface CommandSpec {
  /** Words after `tollgate`, e.g. `acl token create`. */
  readonly name: string;
  /** One line for the parent's subcommand list. */
  readonly synopsis: string;
  /** The usage line without `Usage: `, e.g. `tollgate acl token info <accessor_id>`. */
  readonly usage: string;
  /** Paragraphs shown under the usage line. */
  readonly description: string;
  /** Title of the command's own flag section, e.g. `Create Options`. */
  readonly optionsTitle?: string;
  readonly flags: readonly FlagSpec[];
  /** Accepts the general client flags (`-address`, `-region`, `-token`). */
  readonly clientFlags: boolean;
  /**
   * The arguments are handed to `run` untouched (only `-h` is caught); for
   * `agent`, whose flags belong to the server. `flags` then only feeds `-h`.
   */
  readonly passThrough?: boolean;
  /** Runs the command; resolves to the process exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** What a command's `run` gets: parsed input and the ways to answer. */
export interface CommandContext {
  readonly io: CliIo;
  readonly flags: ParsedFlags;
  readonly args: readonly string[];
  /** Writes a line to stdout. */
  out(text: string): void;
  /** Writes a line to stderr. */
  err(text: string): void;
  /** Prints `message` and the `-h` hint to stderr; returns exit code 1. */
  usageError(message: string): number;
  /** Prints `<prefix>: <error message>` to stderr; returns exit code 1. */
  fail(prefix: string, error: unknown): number;
  /**
   * A client built from `-address`/`-token`/`-region` and the environment, or
   * `undefined` after printing `Error initializing client: …`.
   */
  client(): TollgateClient | undefined;
}

/** A node of the command tree that only groups subcommands (`acl`, `acl token`). */
export interface CommandGroup {
  readonly name: string;
  readonly synopsis: string;
  readonly description: string;
}
