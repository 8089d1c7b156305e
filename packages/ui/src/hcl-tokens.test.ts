import { describe, expect, it } from 'vitest';
import { tokenizeHcl } from './hcl-tokens';

describe('tokenizeHcl', () => {
  it('keeps the text whole and names what it highlights', () => {
    const text = '# read\nnamespace "default" {\n  policy = "read"\n  capabilities = ["submit-job", 3]\n}\n';
    const tokens = tokenizeHcl(text);
    expect(tokens.map((t) => t.text).join('')).toBe(text);
    const kind = (s: string) => tokens.find((t) => t.text === s)?.kind;
    expect(kind('# read')).toBe('comment');
    expect(kind('namespace')).toBe('block');
    expect(kind('"default"')).toBe('string');
    expect(kind('policy')).toBe('key');
    expect(kind('capabilities')).toBe('key');
    expect(kind('3')).toBe('number');
    expect(kind('{')).toBe('punct');
  });

  it('survives an unterminated string and markup-like text (rendered as text, never HTML)', () => {
    const text = 'agent { policy = "<script>alert(1)</script>\n';
    const tokens = tokenizeHcl(text);
    expect(tokens.map((t) => t.text).join('')).toBe(text);
    expect(tokens.find((t) => t.text.startsWith('"<script>'))?.kind).toBe('string');
  });
});
