import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routes (`#/tokens/…`): the agent serves plain files, so every page
 * is index.html and needs no server-side fallback.
 */
export function currentPath(): string {
  const p = window.location.hash.replace(/^#/, '');
  return p === '' ? '/' : p;
}

/** The current route path, re-rendering on navigation. */
export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const on = (): void => setPath(currentPath());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return path;
}

/** `href` of a route, for links. */
export function href(path: string): string {
  return `#${path}`;
}

export function navigate(path: string): void {
  window.location.hash = path;
}

/** Matches `/tokens/:id` against `/tokens/abc`; params are URI-decoded. */
export function matchRoute(pattern: string, path: string): Record<string, string> | undefined {
  const [pathOnly = ''] = path.split('?');
  const want = pattern.split('/');
  const got = pathOnly.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) {
      if (g === '') return undefined;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return undefined;
      }
    } else if (w !== g) return undefined;
  }
  return params;
}
