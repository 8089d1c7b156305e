/** The agent's health as `/v1/agent/health` reports it. */
export interface AgentHealth {
  readonly ok: boolean;
  /**
   * `serving`, or `degraded`: etcd unreachable (reads only; ok), or the audit
   * log cannot be written (fail-closed: not ok, ACL requests get 503;
   * `audit.fail_open`: ok, served unaudited).
   */
  readonly status: 'serving' | 'degraded' | 'draining';
  readonly message: string;
}

/**
 * What `/v1/agent/health` reports for an agent in lifecycle state `status`
 * whose region log reports `degradedReason` (HA: etcd unreachable) and whose
 * audit log (if any) may be failing. Degraded by etcd still answers 200:
 * reads and authorization go on, so load balancers keep the agent; writes
 * fail. A failing audit log under fail-closed is not ok (503): the agent
 * answers no ACL request; under `audit.fail_open` it is ok but degraded.
 */
export function agentHealth(
  status: string,
  degradedReason: string | undefined,
  audit?: { readonly failure: string | undefined; readonly failOpen: boolean },
): AgentHealth {
  if (status !== 'running') return { ok: false, status: 'draining', message: `agent is ${status}` };
  const auditFailure = audit?.failure;
  if (auditFailure !== undefined) {
    return audit?.failOpen === true
      ? { ok: true, status: 'degraded', message: `audit log cannot be written (${auditFailure}): requests are served unaudited (audit.fail_open)` }
      : { ok: false, status: 'degraded', message: `audit log cannot be written (${auditFailure}): audited requests are refused with 503` };
  }
  if (degradedReason !== undefined) {
    return { ok: true, status: 'degraded', message: `${degradedReason}: writes are refused; reads and authorization are served from local state` };
  }
  return { ok: true, status: 'serving', message: 'ok' };
}
