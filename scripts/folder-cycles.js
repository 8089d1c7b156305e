#!/usr/bin/env node
// Import cycles between folders: `madge --circular` finds cycles between
// files (type-only imports included, see .madgerc); this finds them between
// the folders of a package's src/ (http → forwarding → http is a layering
// loop even when no two files import each other). Exit 1 on any.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import madge from 'madge';

const roots = process.argv.slice(2);
const config = JSON.parse(readFileSync(new URL('../.madgerc', import.meta.url), 'utf8'));
const res = await madge(roots, { ...config, baseDir: process.cwd() });
const graph = res.obj();

/** `packages/server/src/http/request.ts` → `packages/server/src/http`; tests do not count. */
const folderOf = (file) => dirname(file);
const edges = new Map();
for (const [file, deps] of Object.entries(graph)) {
  if (file.endsWith('.test.ts')) continue;
  const from = folderOf(file);
  for (const dep of deps) {
    const to = folderOf(dep);
    // Same-folder imports are not edges, and neither are imports of or from
    // a package's src/ root: the root holds the composition (agent.ts wires
    // the subsystems) and the shared kernel (errors.ts, logger.ts) that every
    // folder may use; file-level cycles through it are madge's to find.
    if (to === from || from.endsWith('/src') || to.endsWith('/src')) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from).has(to)) edges.get(from).set(to, `${file} → ${dep}`);
  }
}

// Tarjan's strongly connected components: every component of more than one
// folder is a cycle.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
function strong(v) {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) {
      low.set(v, Math.min(low.get(v), idx.get(w)));
    }
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1) cycles.push(comp);
  }
}
for (const v of edges.keys()) if (!idx.has(v)) strong(v);

if (cycles.length === 0) {
  console.log(`No folder cycles in ${roots.join(', ')}`);
} else {
  console.error(`✖ Found ${cycles.length} folder cycle(s):`);
  for (const comp of cycles) {
    const set = new Set(comp);
    console.error(`- ${comp.join(' ↔ ')}`);
    for (const from of comp) {
      for (const [to, via] of edges.get(from) ?? []) if (set.has(to)) console.error(`    ${via}`);
    }
  }
  process.exitCode = 1;
}
