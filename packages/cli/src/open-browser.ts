import { spawn } from 'node:child_process';
import type { CliIo } from './cli-io.js';

/**
 * Whether a browser can be opened for the user: stdout is a terminal (a
 * person is there; never in scripts, CI or tests, whose output is a pipe),
 * not under CI, and a desktop exists (macOS, Windows, or an X11/Wayland
 * display on other systems).
 */
export function canOpenBrowser(io: CliIo, platform: NodeJS.Platform = process.platform): boolean {
  if ((io.stdout as { isTTY?: boolean }).isTTY !== true) return false;
  if (io.env.CI !== undefined && io.env.CI !== '' && io.env.CI !== 'false') return false;
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(io.env.DISPLAY) || Boolean(io.env.WAYLAND_DISPLAY);
}

/** Opens `url` in the desktop's browser, detached; failures are ignored (the URL is printed anyway). */
export function openBrowser(url: string, platform: NodeJS.Platform = process.platform): void {
  const [cmd, args] =
    platform === 'darwin' ? ['open', [url]] : platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener: the printed URL is the way.
  }
}
