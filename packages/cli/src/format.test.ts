import { describe, expect, it } from 'vitest';
import { formatGoSlice, formatGoTime, formatJson, formatKV, formatList } from './format.js';

describe('formatGoTime', () => {
  it.each([
    ['2020-01-23T18:51:33.446571Z', '2020-01-23 18:51:33.446571 +0000 UTC'],
    ['2017-09-11T17:38:10.999089612Z', '2017-09-11 17:38:10.999089612 +0000 UTC'],
    ['2024-05-06T07:08:09.120Z', '2024-05-06 07:08:09.12 +0000 UTC'],
    ['2024-05-06T07:08:09.000Z', '2024-05-06 07:08:09 +0000 UTC'],
    ['2024-05-06T07:08:09Z', '2024-05-06 07:08:09 +0000 UTC'],
    ['2024-05-06T09:08:09.5+02:00', '2024-05-06 07:08:09.5 +0000 UTC'],
    ['2024-01-01T00:30:00-01:00', '2024-01-01 01:30:00 +0000 UTC'],
  ])('prints %s as Go would: %s', (input, expected) => {
    expect(formatGoTime(input)).toBe(expected);
  });

  it('returns text that is not RFC 3339 unchanged', () => {
    expect(formatGoTime('yesterday')).toBe('yesterday');
  });
});

describe('formatKV', () => {
  it('pads keys to the longest and prints empty values as <none>', () => {
    expect(
      formatKV([
        ['Name', 'x'],
        ['Create Index', '7'],
        ['Description', '  '],
      ]),
    ).toBe('Name         = x\nCreate Index = 7\nDescription  = <none>');
  });
});

describe('formatList', () => {
  it('pads every column but the last, two spaces apart, with <none> for empty cells', () => {
    expect(
      formatList([
        ['Name', 'Description'],
        ['anonymous', 'Anonymous policy'],
        ['app1', ''],
      ]),
    ).toBe('Name       Description\nanonymous  Anonymous policy\napp1       <none>');
  });

  it('counts an emoji as one column', () => {
    expect(formatList([['Name', 'Type'], ['🤞', 'client']])).toBe('Name  Type\n🤞     client');
  });
});

describe('formatGoSlice and formatJson', () => {
  it('prints string slices like Go\'s %v', () => {
    expect(formatGoSlice(['app1', 'app2'])).toBe('[app1 app2]');
    expect(formatGoSlice([])).toBe('[]');
    expect(formatGoSlice(null)).toBe('[]');
  });

  it('indents JSON by four spaces like json.MarshalIndent', () => {
    expect(formatJson({ a: [1] })).toBe('{\n    "a": [\n        1\n    ]\n}');
  });
});
