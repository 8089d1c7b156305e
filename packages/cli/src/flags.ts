import parser from 'yargs-parser';
import { CliUsageError } from './errors.js';

/**
 * One flag of a command. `string` keeps the last value given, `list` keeps
 * every value in order (`-policy=a -policy=b`), `bool` takes no separate value
 * (`-global`, or `-global=false`).
 */
export interface FlagSpec {
  readonly name: string;
  readonly kind: 'string' | 'bool' | 'list';
  /** Shown in help as `-name=<placeholder>`; defaults to `""` / `false`. */
  readonly placeholder?: string;
  /** Help text, one or more lines (indented by the help printer). */
  readonly help: string;
}

/** The outcome of parsing a command's arguments. */
export interface ParsedFlags {
  /** `-h`, `-help` or `--help` was among the flags. */
  readonly help: boolean;
  /** Arguments after the flags, in order. */
  readonly args: readonly string[];
  /** Whether the flag appeared at all (even with an empty value). */
  has(name: string): boolean;
  /** Last value of a string flag; `undefined` when not given. */
  string(name: string): string | undefined;
  /** A bool flag's value; false when not given. */
  bool(name: string): boolean;
  /** Every value of a list flag, in order; empty when not given. */
  list(name: string): string[];
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);
const HELP = new Set(['h', 'help']);

/**
 * Parses `args` the way Go's `flag` package (and so `nomad`) does: flags
 * first, `-name=value`, `-name value`, `--name value` all alike; parsing
 * stops at the first argument that is not a flag, or after `--`, and
 * everything from there on is positional.
 *
 * The Go rules yargs-parser does not know (undefined flags are errors, a
 * string flag always eats the next word even if it starts with `-`, a bool
 * flag never eats the next word, Go's boolean spellings) are applied in a
 * first pass that rewrites every flag to `--name=value`; yargs-parser then does
 * the typing and the repeated-flag arrays.
 *
 * @throws CliUsageError with Go's wording, e.g. `flag provided but not defined: -foo`.
 */
export function parseFlags(args: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const normalised: string[] = [];
  let help = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.length < 2 || !arg.startsWith('-')) break; // first positional (a lone `-` means stdin)
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    if (body === '' || body.startsWith('-') || body.startsWith('=')) {
      throw new CliUsageError(`bad flag syntax: ${arg}`);
    }
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);
    if (HELP.has(name) && !byName.has(name)) {
      help = true;
      continue;
    }
    const spec = byName.get(name);
    if (spec === undefined) throw new CliUsageError(`flag provided but not defined: -${name}`);
    if (spec.kind === 'bool') {
      let value = true;
      if (inline !== undefined) {
        if (GO_TRUE.has(inline)) value = true;
        else if (GO_FALSE.has(inline)) value = false;
        else throw new CliUsageError(`invalid boolean value "${inline}" for -${name}: parse error`);
      }
      normalised.push(`--${name}=${String(value)}`);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= args.length) throw new CliUsageError(`flag needs an argument: -${name}`);
      value = args[++i] as string;
    }
    normalised.push(`--${name}=${value}`);
  }
  const positional = args.slice(i);

  // Positionals never reach yargs-parser: the first pass already split them off.
  const parsed = parser(normalised, {
    string: specs.filter((s) => s.kind !== 'bool').map((s) => s.name),
    boolean: specs.filter((s) => s.kind === 'bool').map((s) => s.name),
    configuration: {
      'short-option-groups': false,
      'camel-case-expansion': false,
      'dot-notation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'boolean-negation': false,
      'duplicate-arguments-array': true,
      'flatten-duplicate-arrays': true,
    },
  });
  const seen = new Set(normalised.map((n) => n.slice(2, n.indexOf('='))));
  const raw = (name: string): unknown => (seen.has(name) ? parsed[name] : undefined);
  const all = (name: string): string[] => {
    const v = raw(name);
    if (v === undefined) return [];
    return (Array.isArray(v) ? v : [v]).map(String);
  };
  return {
    help,
    args: positional,
    has: (name) => seen.has(name),
    string: (name) => all(name).at(-1),
    bool: (name) => {
      const v = raw(name);
      return Array.isArray(v) ? v.at(-1) === true : v === true;
    },
    list: all,
  };
}
