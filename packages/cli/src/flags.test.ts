import { describe, expect, it } from 'vitest';
import { CliUsageError } from './errors.js';
import { parseFlags } from './flags.js';
import type { FlagSpec } from './flags.js';

const SPECS: FlagSpec[] = [
  { name: 'name', kind: 'string', help: '' },
  { name: 'description', kind: 'string', help: '' },
  { name: 'policy', kind: 'list', help: '' },
  { name: 'global', kind: 'bool', help: '' },
  { name: 'json', kind: 'bool', help: '' },
];

describe('parseFlags', () => {
  it.each([
    [['-name=client1']],
    [['--name=client1']],
    [['-name', 'client1']],
    [['--name', 'client1']],
  ])('reads %j as name=client1', (args) => {
    const f = parseFlags(args, SPECS);
    expect(f.string('name')).toBe('client1');
    expect(f.has('name')).toBe(true);
    expect(f.args).toEqual([]);
  });

  it('keeps every value of a repeated list flag in order, and the last of a repeated string flag', () => {
    const f = parseFlags(['-policy=app1', '--policy', 'app2', '-name=a', '-name=b'], SPECS);
    expect(f.list('policy')).toEqual(['app1', 'app2']);
    expect(f.string('name')).toBe('b');
  });

  it('reports absent flags as undefined, false and empty', () => {
    const f = parseFlags([], SPECS);
    expect(f.string('name')).toBeUndefined();
    expect(f.bool('global')).toBe(false);
    expect(f.list('policy')).toEqual([]);
    expect(f.has('global')).toBe(false);
  });

  it('accepts Go boolean spellings and never lets a bool flag eat the next word', () => {
    expect(parseFlags(['-global'], SPECS).bool('global')).toBe(true);
    expect(parseFlags(['-global=false'], SPECS).bool('global')).toBe(false);
    expect(parseFlags(['--global=T'], SPECS).bool('global')).toBe(true);
    expect(parseFlags(['-global=0'], SPECS).has('global')).toBe(true);
    const f = parseFlags(['-global', 'false'], SPECS);
    expect(f.bool('global')).toBe(true);
    expect(f.args).toEqual(['false']);
  });

  it('keeps values verbatim: numbers stay strings and a value may start with a dash', () => {
    const f = parseFlags(['-name', '007', '-description', '-not-a-flag', 'x'], SPECS);
    expect(f.string('name')).toBe('007');
    expect(f.string('description')).toBe('-not-a-flag');
    expect(f.args).toEqual(['x']);
  });

  it('keeps unicode and spaces in values', () => {
    const f = parseFlags(['-name=🤞', '-description', 'Anonymous policy (full-access)'], SPECS);
    expect(f.string('name')).toBe('🤞');
    expect(f.string('description')).toBe('Anonymous policy (full-access)');
  });

  it('stops at the first positional argument, like Go, so later flags are arguments', () => {
    const f = parseFlags(['-json', 'a7bef400', '-global'], SPECS);
    expect(f.bool('json')).toBe(true);
    expect(f.bool('global')).toBe(false);
    expect(f.args).toEqual(['a7bef400', '-global']);
  });

  it('treats a lone dash as a positional (stdin) and ends flags at --', () => {
    expect(parseFlags(['-description', 'd', 'anonymous', '-'], SPECS).args).toEqual(['anonymous', '-']);
    expect(parseFlags(['--', '-name=x'], SPECS).args).toEqual(['-name=x']);
  });

  it('recognises -h, -help and --help', () => {
    for (const h of ['-h', '-help', '--help']) expect(parseFlags([h], SPECS).help).toBe(true);
    expect(parseFlags(['x', '-h'], SPECS).help).toBe(false);
  });

  it('rejects an undefined flag with Go\'s message', () => {
    expect(() => parseFlags(['-foo'], SPECS)).toThrow(new CliUsageError('flag provided but not defined: -foo'));
    expect(() => parseFlags(['--foo=1'], SPECS)).toThrow('flag provided but not defined: -foo');
  });

  it('rejects a string flag without its value', () => {
    expect(() => parseFlags(['-name'], SPECS)).toThrow('flag needs an argument: -name');
  });

  it('rejects a bad boolean value', () => {
    expect(() => parseFlags(['-global=yes'], SPECS)).toThrow('invalid boolean value "yes" for -global: parse error');
  });

  it('rejects malformed flag syntax', () => {
    expect(() => parseFlags(['---name=x'], SPECS)).toThrow('bad flag syntax: ---name=x');
    expect(() => parseFlags(['-=x'], SPECS)).toThrow(CliUsageError);
  });
});
