import { randomBytes } from 'node:crypto';
import { access, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigError } from './errors.js';

/**
 * The key that encrypts SecretIDs at rest. Configured (`acl.encryption_key`,
 * required when several agents share a region) or, by default, generated once
 * into `<data_dir>/server/keyring` with mode 0600. The key file is the one
 * secret on disk: back it up with the data dir, and keep it out of the LevelDB
 * files themselves so a copied database alone reveals no token.
 *
 * A new key is made durable (file and directory fsynced) before the store is
 * opened, so a crash right after the first start cannot leave sealed tokens
 * without their key; and no new key is made beside an existing store, whose
 * tokens only the old key can open.
 */
export async function loadOrCreateKey(file: string, configured: Buffer | undefined, storeDir?: string): Promise<Buffer> {
  if (configured !== undefined) return configured;
  try {
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    if (key.length !== 32) throw new ConfigError(`${file}: keyring must hold base64 of 32 bytes`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (storeDir !== undefined && (await exists(join(storeDir, 'CURRENT')))) {
    throw new ConfigError(
      `${file} is missing but ${storeDir} holds a state store sealed with it: restore the keyring file, or set acl.encryption_key`,
    );
  }
  const key = randomBytes(32);
  // 'wx': never overwrite a key another process just wrote.
  const fh = await open(file, 'wx', 0o600);
  try {
    await fh.writeFile(key.toString('base64') + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return key;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
