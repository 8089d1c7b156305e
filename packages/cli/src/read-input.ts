import { readFile } from 'node:fs/promises';
import type { CliIo } from './cli-io.js';

// Go's os.PathError texts for the errors an operator is likely to hit; the
// CLI prints them like `nomad` does (`open x.hcl: no such file or directory`).
const GO_ERRNO: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
};

/**
 * Reads a whole file as UTF-8 text, or all of stdin when `path` is `-`.
 * @throws Error whose message reads like Go's: `open <path>: <reason>`
 *   (`read <path>: is a directory` for a directory).
 */
export async function readFileOrStdin(path: string, io: CliIo): Promise<string> {
  if (path === '-') return readAll(io.stdin);
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const reason = GO_ERRNO[code];
    if (reason === undefined) throw err;
    throw new Error(`${code === 'EISDIR' ? 'read' : 'open'} ${path}: ${reason}`, { cause: err });
  }
}

/** Drains a text or byte stream into one UTF-8 string. */
export async function readAll(stream: AsyncIterable<string | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
