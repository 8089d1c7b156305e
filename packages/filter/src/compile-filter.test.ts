import { describe, expect, it } from 'vitest';
import { FilterError, bool, compileFilter, list, map, number, string, struct } from '@tollgate/filter';

const SCHEMA = struct({
  Name: string,
  Type: string,
  Policies: list(string),
  Global: bool,
  CreateIndex: number,
  Meta: map(string),
  Roles: list(struct({ ID: string, Name: string })),
  JobACL: struct({ Namespace: string, JobID: string }),
});

const CI = {
  Name: 'ci-runner',
  Type: 'client',
  Policies: ['ops', 'read'],
  Global: true,
  CreateIndex: 7,
  Meta: { team: 'infra', empty: '' },
  Roles: [{ ID: 'r1', Name: 'deployers' }],
  JobACL: { Namespace: 'default', JobID: 'web' },
};
const ADMIN = {
  Name: 'Bootstrap Token',
  Type: 'management',
  Policies: null,
  Global: false,
  CreateIndex: 1,
  Meta: {},
  Roles: [],
  JobACL: null,
};
const ITEMS = [CI, ADMIN];

function names(expr: string): string[] {
  const f = compileFilter(expr, SCHEMA);
  return ITEMS.filter(f).map((i) => i.Name);
}

function failure(expr: string): string {
  try {
    compileFilter(expr, SCHEMA);
  } catch (err) {
    expect(err).toBeInstanceOf(FilterError);
    expect((err as FilterError).code).toBe('TOLLGATE_FILTER_INVALID');
    return (err as Error).message;
  }
  throw new Error(`expected ${expr} to be refused`);
}

describe('compileFilter: operators', () => {
  it.each([
    ['Name == "ci-runner"', ['ci-runner']],
    ['Name != "ci-runner"', ['Bootstrap Token']],
    ['Type == management', ['Bootstrap Token']],
    ['Type == `management`', ['Bootstrap Token']],
    ['Name contains "ci"', ['ci-runner']],
    ['Name not contains "ci"', ['Bootstrap Token']],
    ['"ops" in Policies', ['ci-runner']],
    ['"ops" not in Policies', ['Bootstrap Token']],
    ['Policies contains "read"', ['ci-runner']],
    ['Policies is empty', ['Bootstrap Token']],
    ['Policies is not empty', ['ci-runner']],
    ['Roles is empty', ['Bootstrap Token']],
    ['Name matches "^ci-"', ['ci-runner']],
    ['Name matches "Token$"', ['Bootstrap Token']],
    ['Name not matches "^ci-"', ['Bootstrap Token']],
    ['Global == true', ['ci-runner']],
    ['Global == false', ['Bootstrap Token']],
    ['Global != T', ['Bootstrap Token']],
    ['CreateIndex == 7', ['ci-runner']],
    ['CreateIndex != 7', ['Bootstrap Token']],
  ])('%s', (expr, expected) => {
    expect(names(expr)).toEqual(expected);
  });
});

describe('compileFilter: combinations', () => {
  it.each([
    ['Name contains "ci" and "ops" in Policies', ['ci-runner']],
    ['Name contains "ci" and "nope" in Policies', []],
    ['Type == management or "ops" in Policies', ['ci-runner', 'Bootstrap Token']],
    ['not Type == management', ['ci-runner']],
    ['not not Type == management', ['Bootstrap Token']],
    ['not (Type == management or Global == true)', []],
    ['(Type == client)', ['ci-runner']],
    // and binds tighter than or
    ['Type == client and Global == false or CreateIndex == 1', ['Bootstrap Token']],
    ['Type == client and (Global == false or CreateIndex == 7)', ['ci-runner']],
    ['  Name=="ci-runner"  ', ['ci-runner']],
  ])('%s', (expr, expected) => {
    expect(names(expr)).toEqual(expected);
  });
});

describe('compileFilter: selectors', () => {
  it.each([
    ['Meta.team == "infra"', ['ci-runner']],
    ['Meta["team"] == infra', ['ci-runner']],
    ['"/Meta/team" == "infra"', ['ci-runner']],
    ['"team" in Meta', ['ci-runner']],
    ['Meta is empty', ['Bootstrap Token']],
    ['Meta.empty is empty', ['ci-runner', 'Bootstrap Token']],
    ['JobACL.Namespace == "default"', ['ci-runner']],
    ['Roles.0.Name == "deployers"', ['ci-runner']],
    ['Policies.1 == "read"', ['ci-runner']],
  ])('%s', (expr, expected) => {
    expect(names(expr)).toEqual(expected);
  });

  it('treats an absent map key, list index or null parent as not present, as go-bexpr does', () => {
    expect(names('Meta.owner == "x"')).toEqual([]);
    expect(names('Meta.owner != "x"')).toEqual(['ci-runner', 'Bootstrap Token']);
    expect(names('Meta.owner is empty')).toEqual(['ci-runner', 'Bootstrap Token']);
    expect(names('JobACL.Namespace != "default"')).toEqual(['Bootstrap Token']);
    expect(names('Roles.3.Name == "x"')).toEqual([]);
    expect(names('"x" not in Policies')).toEqual(['ci-runner', 'Bootstrap Token']);
  });
});

describe('compileFilter: values', () => {
  it('resolves Go escapes in double-quoted strings and keeps raw strings as written', () => {
    const s = struct({ Name: string });
    expect(compileFilter('Name == "a\\tb\\u00e9\\x41"', s)({ Name: 'a\tbéA' })).toBe(true);
    expect(compileFilter('Name == `a\\tb`', s)({ Name: 'a\\tb' })).toBe(true);
    expect(compileFilter('Name == `say "hi"`', s)({ Name: 'say "hi"' })).toBe(true);
  });

  it('compares numbers numerically, negative and fractional ones too', () => {
    const s = struct({ N: number });
    expect(compileFilter('N == -1.5', s)({ N: -1.5 })).toBe(true);
    expect(compileFilter('N == 10', s)({ N: 10.0 })).toBe(true);
    expect(compileFilter('N == "10"', s)({ N: 10 })).toBe(true);
  });

  it('runs RE2 regular expressions in linear time (a classic catastrophic pattern is quick)', () => {
    const f = compileFilter('Name matches "(a+)+$"', SCHEMA);
    const start = process.hrtime.bigint();
    expect(f({ ...CI, Name: `${'a'.repeat(5000)}!` })).toBe(false);
    // Not a timing assertion on performance: a backtracking engine would not return at all.
    expect(process.hrtime.bigint() - start).toBeGreaterThan(0n);
  });
});

describe('compileFilter: refusals', () => {
  it.each([
    ['Nme == "x"', 'unknown field "Nme" in selector Nme'],
    ['JobACL.Job == "x"', 'unknown field "Job" in selector JobACL.Job'],
    ['SecretID == "x"', 'unknown field "SecretID" in selector SecretID'],
    ['Name.x == "y"', 'selector Name.x: cannot select "x" inside a string field'],
    ['Policies.x == "y"', 'selector Policies.x: "x" is not a list index'],
    ['Name matches "("', 'invalid regular expression "("'],
    ['CreateIndex matches "1"', 'operator "matches" is not supported on number field CreateIndex'],
    ['Global is empty', 'operator "is empty" is not supported on bool field Global'],
    ['Policies == "ops"', 'operator "==" is not supported on list field Policies'],
    ['"x" in Roles', 'operator "in" is not supported on list field Roles'],
    ['CreateIndex contains "1"', 'operator "contains" is not supported on number field CreateIndex'],
    ['CreateIndex == seven', 'value "seven" is not a number (field CreateIndex)'],
    ['Global == yes', 'value "yes" is not a boolean (field Global)'],
    ['Name == "a\\qb"', 'invalid string literal: unknown escape \\q'],
  ])('%s', (expr, message) => {
    expect(failure(expr)).toContain(message);
  });

  it.each([
    'Name ==',
    'Name = "x"',
    '== "x"',
    'Name == "x" and',
    'Name == "x" xor Type == y',
    '(Name == "x"',
    'Name == "x")',
    'Name == "unterminated',
    'Name == 12abc',
    'not(Name == "x")',
    'Name is',
    'Name like "x"',
    'Name == "x" AND Type == y',
  ])('refuses the syntax error in %s with its column', (expr) => {
    expect(failure(expr)).toMatch(/syntax error|unterminated|invalid number/);
  });

  it('refuses empty, overlong and absurdly nested expressions without throwing anything else', () => {
    expect(failure('   ')).toBe('filter expression is empty');
    expect(failure(`Name == "${'x'.repeat(5000)}"`)).toContain('longer than 4096');
    expect(failure(`${'('.repeat(2000)}Name == "x"${')'.repeat(2000)}`)).toMatch(/nested too deeply|syntax error/);
  });
});
