import { useEffect, useState } from 'preact/hooks';

// The SecretID lives in sessionStorage only: it is gone when the tab
// closes, never in a URL, a cookie or localStorage.
const KEY = 'tollgate.secretId';
const listeners = new Set<() => void>();

/** The signed-in SecretID, or undefined (anonymous). */
export function currentSecret(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the SecretID for this tab and tells every view. */
export function signIn(secret: string): void {
  sessionStorage.setItem(KEY, secret);
  listeners.forEach((l) => l());
}

/** Forgets the SecretID; the UI goes on as the anonymous token. */
export function signOut(): void {
  sessionStorage.removeItem(KEY);
  listeners.forEach((l) => l());
}

/** The current SecretID, re-rendering on sign in and out. */
export function useSecret(): string | undefined {
  const [secret, setSecret] = useState(currentSecret());
  useEffect(() => {
    const l = (): void => setSecret(currentSecret());
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return secret;
}
