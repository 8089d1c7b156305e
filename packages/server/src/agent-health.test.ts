import { describe, expect, it } from 'vitest';
import { agentHealth } from './agent-health.js';

describe('agentHealth', () => {
  it('serves while running, degraded (still ok) when the region log says why, and not ok otherwise', () => {
    expect(agentHealth('running', undefined)).toEqual({ ok: true, status: 'serving', message: 'ok' });
    expect(agentHealth('running', 'etcd unreachable')).toMatchObject({ ok: true, status: 'degraded', message: expect.stringContaining('etcd unreachable: writes are refused') });
    expect(agentHealth('draining', undefined)).toEqual({ ok: false, status: 'draining', message: 'agent is draining' });
  });
});
