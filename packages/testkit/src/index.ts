/**
 * Test helpers shared by the packages' unit tests and the e2e suite: real
 * etcd processes, an OIDC provider over HTTPS, a TCP proxy that can cut a
 * link, in-process agents, token fixtures and polling. A workspace package
 * of its own so none of it ships in `@tollgate/server`'s `dist`; packages
 * depend on it as a devDependency, from their tests only.
 *
 * The `RegionLog` conformance suite is `@tollgate/testkit/region-log`, the
 * OIDC provider `@tollgate/testkit/oidc` (subpaths, so a test that needs
 * neither does not load vitest suites or `oidc-provider`).
 */
export { etcdSkipReason, findEtcd, freePort, startEtcd } from './etcd-process.js';
export type { EtcdProcess, StartEtcdOptions } from './etcd-process.js';
export { startTcpProxy } from './tcp-proxy.js';
export type { TcpProxy } from './tcp-proxy.js';
export { httpCall, startTestAgent } from './test-agent.js';
export type { HttpAnswer, TestAgent } from './test-agent.js';
export { clientTokenFixture } from './token-fixture.js';
export { until } from './until.js';
