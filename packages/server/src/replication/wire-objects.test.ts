import type { ACLPolicy, ACLToken } from '@tollgate/state';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import type { WatchEvent, WatchEvent__Output } from '../generated/tollgate/v1/WatchEvent.js';
import { LOADER_OPTIONS, PROTO_FILES } from '../grpc/proto-definitions.js';
import { policyFromWire, policyToWire, tokenFromWire, tokenToWire } from './wire-objects.js';

const definition = protoLoader.loadSync([...PROTO_FILES], LOADER_OPTIONS);
const watch = (definition['tollgate.v1.Replication'] as protoLoader.ServiceDefinition)['Watch']!;

/** Serializes and deserializes a Watch batch exactly as grpc-js does on a real stream. */
function roundTrip(ev: WatchEvent): WatchEvent__Output {
  return watch.responseDeserialize(watch.responseSerialize(ev)) as WatchEvent__Output;
}
const viaToken = (t: ACLToken): ACLToken => tokenFromWire(roundTrip({ batch: { upsert_tokens: [tokenToWire(t)] } }).batch!.upsert_tokens[0]!);
const viaPolicy = (p: ACLPolicy): ACLPolicy => policyFromWire(roundTrip({ batch: { upsert_policies: [policyToWire(p)] } }).batch!.upsert_policies[0]!);

const management: ACLToken = {
  AccessorID: 'a1',
  SecretID: 's1',
  Name: 'Bootstrap Token',
  Type: 'management',
  Policies: null,
  Global: true,
  Hash: 'aGFzaA==',
  CreateTime: '2024-05-01T10:00:00.123456789Z',
  ExpirationTime: null,
  ExpirationTTL: 0,
  CreateIndex: 3,
  ModifyIndex: 9,
};

describe('wire objects', () => {
  it('names the oneof member that is set', () => {
    expect(roundTrip({ heartbeat: { index: 7, time_ms: 1_700_000_000_000 } })).toMatchObject({
      event: 'heartbeat',
      heartbeat: { index: 7, time_ms: 1_700_000_000_000 },
    });
  });

  it('round-trips the lifecycle fields, and reads a token without them (an older peer) as the defaults', () => {
    const t: ACLToken = { ...management, ParentAccessorID: 'p-1', Orphan: true, Meta: { team: 'payments', env: 'prod' }, ExplicitMaxTTL: 7.2e12, Period: 3.6e12 };
    expect(viaToken(t)).toEqual(t);
    const back = viaToken(management);
    for (const k of ['ParentAccessorID', 'Orphan', 'Meta', 'ExplicitMaxTTL', 'Period']) expect(back).not.toHaveProperty(k);
  });

  it('round-trips a management token with Policies null and no expiry', () => {
    const back = viaToken(management);
    expect(back).toEqual(management);
  });

  it('round-trips a client token with policies, an expiry and a TTL in nanoseconds', () => {
    const t: ACLToken = {
      ...management,
      Type: 'client',
      Policies: ['read', 'write'],
      ExpirationTime: '2024-05-02T10:00:00Z',
      ExpirationTTL: 86_400_000_000_000,
    };
    expect(viaToken(t)).toEqual(t);
  });

  it('keeps an empty policy list distinct from null', () => {
    const t: ACLToken = { ...management, Type: 'client', Policies: [] };
    expect(viaToken(t).Policies).toEqual([]);
  });

  it('round-trips a policy', () => {
    const p: ACLPolicy = { Name: 'ops', Description: 'd', Rules: 'namespace "*" { policy = "read" }', Hash: 'x', CreateIndex: 2, ModifyIndex: 4 };
    expect(viaPolicy(p)).toEqual(p);
  });

  it('round-trips a policy with a JobACL, and one without keeps it absent (JSON null)', () => {
    const p: ACLPolicy = {
      Name: 'wi',
      Description: '',
      Rules: '',
      JobACL: { Namespace: 'default', JobID: 'web', Group: 'g', Task: '' },
      Hash: 'y',
      CreateIndex: 5,
      ModifyIndex: 5,
    };
    expect(viaPolicy(p)).toEqual(p);
    const plain = viaPolicy({ Name: 'ops', Description: '', Rules: '', Hash: 'x', CreateIndex: 1, ModifyIndex: 1 });
    expect(plain.JobACL ?? null).toBeNull();
  });
});
