import type { AgentHealth } from './agent-context.js';

/**
 * What `/v1/agent/health` reports for an agent in lifecycle state `status`
 * whose region log reports `degradedReason` (HA: etcd unreachable).
 * Degraded still answers 200: reads and authorization go on, so load
 * balancers keep the agent; writes fail.
 */
export function agentHealth(status: string, degradedReason: string | undefined): AgentHealth {
  if (status !== 'running') return { ok: false, status: 'draining', message: `agent is ${status}` };
  if (degradedReason !== undefined) {
    return { ok: true, status: 'degraded', message: `${degradedReason}: writes are refused; reads and authorization are served from local state` };
  }
  return { ok: true, status: 'serving', message: 'ok' };
}
