import { randomBytes } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import { relative, isAbsolute } from 'node:path';
import { ConfigError } from './errors.js';
import type { Logger } from './logger.js';
import { createDurably, pathExists } from './state-marker.js';

/** Where the region key came from. */
export type KeySource = 'config' | 'key-file' | 'data-dir-keyring';

/** Options of {@link loadRegionKey}. */
export interface RegionKeyOptions {
  /** `acl.encryption_key` (already decoded). */
  readonly configured: Buffer | undefined;
  /** `acl.encryption_key_file`: a file outside the data dir, mode 0600 or stricter. */
  readonly keyFile: string | undefined;
  /** The default keyring, `<data_dir>/server/keyring`. */
  readonly defaultKeyring: string;
  /** The data dir, to warn when the key sits inside it. */
  readonly dataDir: string;
  /** The state store directory: no new key is ever made beside existing data. */
  readonly storeDir: string;
  readonly log: Logger;
}

/**
 * The region key: it seals SecretIDs and authenticates every stored token and
 * policy record. In order of preference:
 *
 * 1. `acl.encryption_key_file` — the production setup: a file outside the
 *    data dir (so a backup of the data dir does not carry its key), readable
 *    by the agent's user only;
 * 2. `acl.encryption_key` in the config;
 * 3. `<data_dir>/server/keyring`, generated once (mode 0600) — convenient for
 *    dev and labs; the agent warns at every start that the key sits with the
 *    data.
 *
 * A key file readable or writable by group or others is refused. A new key
 * is made durable (file and directory fsynced) before the store opens, and
 * never beside an existing store, whose records only the old key opens.
 */
export async function loadRegionKey(opts: RegionKeyOptions): Promise<{ key: Buffer; source: KeySource }> {
  if (opts.keyFile !== undefined) {
    if (inside(opts.dataDir, opts.keyFile)) {
      opts.log.warn(
        { keyFile: opts.keyFile, dataDir: opts.dataDir },
        'acl.encryption_key_file lies inside data_dir: a backup of the data dir carries its key; keep the key file elsewhere',
      );
    }
    return { key: await readKeyFile(opts.keyFile, 'acl.encryption_key_file'), source: 'key-file' };
  }
  if (opts.configured !== undefined) return { key: opts.configured, source: 'config' };
  const key = await loadOrCreateKey(opts.defaultKeyring, undefined, opts.storeDir);
  opts.log.warn(
    { keyring: opts.defaultKeyring },
    'the region key sits in the data dir (default keyring): a backup of the data dir carries its key; for production set acl.encryption_key_file to a file outside data_dir',
  );
  return { key, source: 'data-dir-keyring' };
}

/**
 * Reads a base64 key file (32 bytes), refusing one whose mode lets group or
 * others read or write it: the key opens every stored SecretID and signs
 * every record.
 */
export async function readKeyFile(file: string, what: string): Promise<Buffer> {
  const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(`${what}: cannot read ${file}: ${err.code ?? String(err)}`);
  });
  try {
    const st = await fh.stat();
    if ((st.mode & 0o077) !== 0) {
      throw new ConfigError(
        `${what}: ${file} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; a key file must not be accessible by group or others (chmod 600 ${file})`,
      );
    }
    const key = Buffer.from((await fh.readFile('utf8')).trim(), 'base64');
    if (key.length !== 32) throw new ConfigError(`${what}: ${file} must hold base64 of 32 bytes`);
    return key;
  } finally {
    await fh.close();
  }
}

/**
 * The default keyring: read `file` if it exists (mode checked, see
 * {@link readKeyFile}), else generate a key into it. `configured` wins when
 * given. Refuses to make a new key when `storeDir` already holds files.
 */
export async function loadOrCreateKey(file: string, configured: Buffer | undefined, storeDir?: string): Promise<Buffer> {
  if (configured !== undefined) return configured;
  if (await pathExists(file)) return readKeyFile(file, 'keyring');
  if (storeDir !== undefined && (await nonEmpty(storeDir))) {
    throw new ConfigError(
      `${file} is missing but ${storeDir} holds a state store sealed with it: restore the keyring file, or set acl.encryption_key_file`,
    );
  }
  const key = randomBytes(32);
  // 'wx': never overwrite a key another process just wrote.
  await createDurably(file, key.toString('base64') + '\n');
  return key;
}

/** Whether `path` lies inside directory `dir`. */
function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

async function nonEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length > 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
