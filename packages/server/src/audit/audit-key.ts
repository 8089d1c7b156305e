import { createHash, createHmac, hkdfSync } from 'node:crypto';

/** Prefix of every HMAC'd value in an audit line, as in Vault's audit devices. */
export const HMAC_PREFIX = 'hmac-sha256:';

/**
 * The region's audit key: HKDF-SHA256 of the region's SecretID encryption key
 * (`acl.encryption_key`, or `<data_dir>/server/keyring`) with the region name
 * in the info string. Derived, not stored: the agents of an HA region share
 * the encryption key and so hash alike, nothing new must be backed up, and
 * whoever holds the encryption key can already open every SecretID, so the
 * derivation reveals nothing more. Different regions get different keys, so a
 * line copied out of one region's log cannot be matched in another's.
 */
export function deriveAuditKey(encryptionKey: Buffer, region: string): Buffer {
  return Buffer.from(hkdfSync('sha256', encryptionKey, 'tollgate-audit', `tollgate audit hmac v1 region=${region}`, 32));
}

/** `hmac-sha256:<hex>` of a secret under the audit key: how a secret appears in an audit line. */
export function hmacSecret(auditKey: Buffer, secret: string): string {
  return HMAC_PREFIX + createHmac('sha256', auditKey).update(secret, 'utf8').digest('hex');
}

/** A short, public identifier of an audit key (first 16 hex of its SHA-256), written into headers. */
export function auditKeyId(auditKey: Buffer): string {
  return createHash('sha256').update(auditKey).digest('hex').slice(0, 16);
}
