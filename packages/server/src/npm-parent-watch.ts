/**
 * Stopping with the npm process that started us.
 *
 * `npm start` and `npx tollgate …` run their command through `sh -c`. npm
 * forwards SIGINT and SIGTERM to that shell, not to us, and the shell dies of
 * the signal without passing it on: we would be left running under PID 1.
 * So, when npm started this process (npm sets `npm_lifecycle_event` for run
 * scripts and `npx`), we watch our parent and treat its exit as SIGTERM.
 * Outside npm nothing is watched: an agent run by a shell, systemd or a
 * container keeps running however its parent fares.
 */

/** True when npm (`npm run`, `npm start`, `npx`) started this process or an ancestor. */
export function startedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_lifecycle_event !== undefined && env.npm_lifecycle_event !== '';
}

/**
 * Calls `onOrphaned` once when this process's parent exits (we are
 * re-parented), if npm started us; checks every `intervalMs`. The timer does
 * not keep the process alive. Returns a function that stops watching.
 */
export function stopWithNpmParent(
  onOrphaned: () => void,
  opts: { env?: NodeJS.ProcessEnv; intervalMs?: number } = {},
): () => void {
  if (!startedByNpm(opts.env)) return () => undefined;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onOrphaned();
  }, opts.intervalMs ?? 250);
  timer.unref();
  return () => clearInterval(timer);
}
