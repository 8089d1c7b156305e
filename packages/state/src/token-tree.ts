import type { ReadView } from './read-view.js';
import type { ACLToken } from './types.js';

/**
 * Every descendant of `roots` (children, their children, …) in breadth-first
 * order, roots excluded, each once. `follow` decides whether a descendant is
 * taken (and walked below); by default all are. Iterative, so a deep chain
 * cannot overflow the stack; a cycle (impossible through the API, but a
 * replicated or imported record could name any parent) ends at a node seen
 * before.
 */
export function descendantsOf(
  view: Pick<ReadView, 'childrenOf' | 'token'>,
  roots: Iterable<string>,
  follow: (t: ACLToken) => boolean = () => true,
): string[] {
  const seen = new Set<string>(roots);
  const out: string[] = [];
  const queue = [...seen];
  for (let i = 0; i < queue.length; i++) {
    for (const child of view.childrenOf(queue[i] as string)) {
      if (seen.has(child)) continue;
      seen.add(child);
      const t = view.token(child);
      if (t === undefined || !follow(t)) continue;
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}
