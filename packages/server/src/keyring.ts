import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { ConfigError } from './errors.js';

/**
 * The key that encrypts SecretIDs at rest. Configured (`acl.encryption_key`,
 * required when several agents share a region) or, by default, generated once
 * into `<data_dir>/server/keyring` with mode 0600. The key file is the one
 * secret on disk: back it up with the data dir, and keep it out of the LevelDB
 * files themselves so a copied database alone reveals no token.
 */
export async function loadOrCreateKey(file: string, configured: Buffer | undefined): Promise<Buffer> {
  if (configured !== undefined) return configured;
  try {
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    if (key.length !== 32) throw new ConfigError(`${file}: keyring must hold base64 of 32 bytes`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  // 'wx': never overwrite a key another process just wrote.
  await writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}
