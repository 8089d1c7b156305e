import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreRefusedError } from './errors.js';

/**
 * What may happen to the directory on open:
 * - `if-empty`: create a new store only when the directory is missing or
 *   empty; open an existing one otherwise;
 * - `never`: the caller knows a store was initialized here before (its
 *   keyring or marker exists), so an empty or missing directory is an
 *   error, not a reason to start afresh.
 */
export type StoreCreateMode = 'if-empty' | 'never';

/**
 * Decides, before LevelDB touches anything, whether the directory at `path`
 * may be opened, and whether LevelDB may create a store there.
 *
 * Why: LevelDB's `createIfMissing` over a directory whose `CURRENT` is gone
 * (a half-restored backup, an operator's `rm`) writes a new manifest and
 * then deletes every table file it does not reference — the whole state,
 * unrecoverably. So a store is created only in an empty directory; files
 * without `CURRENT` are refused with the path named and nothing changed.
 *
 * @returns `true` when LevelDB should create a new store (empty directory).
 * @throws StoreRefusedError when the directory cannot be opened as it is.
 */
export async function checkStoreDir(path: string, mode: StoreCreateMode): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    entries = [];
  }
  if (entries.length === 0) {
    if (mode === 'never') {
      throw new StoreRefusedError(
        `state store at ${path} was initialized before but the directory is empty or missing: restore it from a backup (a new store is never created in its place)`,
      );
    }
    return true;
  }
  if (!entries.includes('CURRENT')) {
    const tables = entries.filter((e) => /\.(ldb|sst|log)$/.test(e) || e.startsWith('MANIFEST-'));
    throw new StoreRefusedError(
      `state store at ${path} cannot be opened as it is: ${join(path, 'CURRENT')} is missing while the directory holds ` +
        `${entries.length} file(s)${tables.length > 0 ? ` (${tables.slice(0, 3).join(', ')}${tables.length > 3 ? ', …' : ''})` : ''}; ` +
        'nothing was changed — restore CURRENT (it names the newest MANIFEST-* file) or the whole directory from a backup',
    );
  }
  return false;
}
