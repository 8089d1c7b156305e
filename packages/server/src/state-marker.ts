import { open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Name of the file in `<data_dir>/server/` that records that a state store
 * was initialized there. It lives beside (not inside) the store directory,
 * so deleting or losing the whole store is noticed at the next start even
 * when the key is configured rather than kept in the data dir's keyring.
 */
export const STATE_MARKER = 'state-initialized';

/** Whether `path` exists (other errors than ENOENT propagate). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Writes the marker once (file and directory fsynced); a no-op when it exists. */
export async function writeMarker(path: string): Promise<void> {
  if (await pathExists(path)) return;
  await createDurably(path, `${JSON.stringify({ created: new Date().toISOString() })}\n`);
}

/**
 * Creates `path` (mode 0600, never overwriting: `wx`) with `text`, then
 * fsyncs the file and its directory, so it survives a crash right after.
 */
export async function createDurably(path: string, text: string): Promise<void> {
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
