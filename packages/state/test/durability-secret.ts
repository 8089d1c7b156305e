import { createHash } from 'node:crypto';

/** The SecretID the durability child gives the token with this accessor (UUID-shaped). */
export function secretFor(accessor: string): string {
  const h = createHash('sha256').update(`secret:${accessor}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
