import { describe, expect, it } from 'vitest';
import { AgentMetrics } from './metrics.js';

const ROUTE = '/v1/acl/authorize';

// The HTTP and check series of a registry's exposition, as `name{labels, sorted} → value`.
async function httpSeries(m: AgentMetrics): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await m.registry.metrics()).split('\n')) {
    if (!line.startsWith('tollgate_http_request') && !line.startsWith('tollgate_authorize_checks')) continue;
    const match = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (match === null) throw new Error(`unexpected line: ${line}`);
    const labels = (match[2] as string).split(',').sort().join(',');
    out.set(`${match[1]}{${labels}}`, Number(match[3]));
  }
  return out;
}

// Sums are added in another order by the tally (per scrape, not per request): equal up to rounding.
function expectSameSeries(got: Map<string, number>, want: Map<string, number>): void {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [series, value] of want) {
    if (series.includes('_sum')) expect(Math.abs((got.get(series) ?? NaN) - value), series).toBeLessThanOrEqual(1e-12 * Math.max(1, value));
    else expect(got.get(series), series).toBe(value);
  }
}

// Deterministic pseudo-random numbers in [0, 1) (an LCG): a failure is reproducible.
function rng(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('RouteTally (metrics added at scrape time)', () => {
  it('gives the exposition that inc/observe per request gives, across scrapes and mixed with direct observations', async () => {
    const tallied = new AgentMetrics('global');
    const direct = new AgentMetrics('global');
    const tally = tallied.routeTally('POST', ROUTE);
    const r = rng(7);
    // Bucket bounds exactly, 0, values past the last bound (only in +Inf), and random latencies.
    const edges = [0, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 5.0001, 42];
    const codes = [200, 200, 200, 400, 403, 413, 429, 503];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 400; i++) {
        const seconds = i < edges.length ? (edges[i] as number) : r() ** 4 * 2;
        const code = codes[Math.floor(r() * codes.length)] as number;
        tally.record(code, seconds);
        direct.httpRequests.inc({ method: 'POST', route: ROUTE, code });
        direct.httpDuration.observe({ route: ROUTE }, seconds);
        // The Fastify route observes the same series per request (a `?region=` check).
        if (i % 50 === 0) {
          for (const m of [tallied, direct]) {
            m.httpRequests.inc({ method: 'POST', route: ROUTE, code: 200 });
            m.httpDuration.observe({ route: ROUTE }, 0.003);
          }
        }
      }
      expectSameSeries(await httpSeries(tallied), await httpSeries(direct));
    }
    // Another route's series stays its own.
    for (const m of [tallied, direct]) m.httpDuration.observe({ route: '/v1/acl/tokens' }, 0.02);
    expectSameSeries(await httpSeries(tallied), await httpSeries(direct));
  });

  it('shows no series before the first request, and a code only once it was answered', async () => {
    const m = new AgentMetrics('global');
    const tally = m.routeTally('POST', ROUTE);
    expect([...(await httpSeries(m)).keys()].filter((s) => s.includes('authorize'))).toEqual([]);
    tally.record(403, 0.002);
    const series = await httpSeries(m);
    expect(series.get(`tollgate_http_requests_total{code="403",method="POST",region="global",route="${ROUTE}"}`)).toBe(1);
    expect([...series.keys()].some((s) => s.includes('code="200"'))).toBe(false);
    expect(series.get(`tollgate_http_request_duration_seconds_bucket{le="0.001",region="global",route="${ROUTE}"}`)).toBe(0);
    expect(series.get(`tollgate_http_request_duration_seconds_bucket{le="0.0025",region="global",route="${ROUTE}"}`)).toBe(1);
    expect(series.get(`tollgate_http_request_duration_seconds_count{region="global",route="${ROUTE}"}`)).toBe(1);
    // Read twice without requests in between: nothing is added twice.
    expect(await httpSeries(m)).toEqual(series);
  });

  it('adds the authorize tally to tollgate_authorize_checks_total when it is read', async () => {
    const m = new AgentMetrics('global');
    const allowed = 'tollgate_authorize_checks_total{region="global",result="allowed"}';
    const denied = 'tollgate_authorize_checks_total{region="global",result="denied"}';
    m.authorizeTally.allowed += 3;
    let series = await httpSeries(m);
    expect(series.get(allowed)).toBe(3);
    expect(series.has(denied)).toBe(false);
    m.authorizeTally.allowed += 2;
    m.authorizeTally.denied += 4;
    series = await httpSeries(m);
    expect(series.get(allowed)).toBe(5);
    expect(series.get(denied)).toBe(4);
    expect((await httpSeries(m)).get(allowed)).toBe(5);
  });
});
