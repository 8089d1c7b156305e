// @ts-check
// Port checks before anything is started, so a second lab (or a stray agent)
// is reported by name instead of as an agent's EADDRINUSE stack.
import { createServer } from 'node:net';
import { LabError } from './errors.js';

/**
 * Whether `port` on 127.0.0.1 can be listened on right now.
 *
 * @param {number} port
 * @returns {Promise<boolean>}
 */
export function isPortFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port the OS calls free on 127.0.0.1 (racy by nature; used at once). */
export function freePort() {
  return /** @type {Promise<number>} */ (
    new Promise((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen({ host: '127.0.0.1', port: 0 }, () => {
        const addr = srv.address();
        const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
        srv.close(() => resolve(port));
      });
    })
  );
}

/**
 * Throws TOLLGATE_LAB_PORT_IN_USE naming every busy port, what it was for,
 * and the flag that moves it (`--ports` for the regions' ports, which the HA
 * ports derive from; `flag` where another one moves it).
 *
 * @param {ReadonlyArray<{ port: number, what: string, flag?: string }>} wanted
 */
export async function assertPortsFree(wanted) {
  const busy = [];
  /** @type {string[]} */
  const flags = [];
  for (const w of wanted) {
    if (await isPortFree(w.port)) continue;
    busy.push(`${w.port} (${w.what})`);
    const flag = w.flag ?? '--ports=G,E,U';
    if (!flags.includes(flag)) flags.push(flag);
  }
  if (busy.length > 0) {
    throw new LabError(
      'TOLLGATE_LAB_PORT_IN_USE',
      `port${busy.length > 1 ? 's' : ''} in use: ${busy.join(', ')}. Is another lab running? ` +
        `Stop it, or choose other ports with ${flags.join(' and ')}.`,
    );
  }
}
