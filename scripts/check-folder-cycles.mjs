// Folder-level cycles in lib/: dependency-cruiser checks cycles between files; two folders that
// import each other through different files are a cycle too (docs/architecture.md).
// Usage: node scripts/check-folder-cycles.mjs [--json]   (run from the repository root)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(
  new URL('../node_modules/dependency-cruiser/bin/dependency-cruise.mjs', import.meta.url),
);
const graph = JSON.parse(
  execFileSync(
    process.execPath,
    [cli, 'lib', '--config', '.dependency-cruiser.cjs', '--collapse', '^lib/[^/]+/', '-T', 'json'],
    { maxBuffer: 64 << 20, encoding: 'utf8' },
  ),
);
const folder = (path) => (/^lib\/[^/]+\/$/.test(path) ? path : null);
const edges = new Map();
for (const module of graph.modules) {
  const from = folder(module.source);
  if (!from) continue;
  const targets = module.dependencies
    .map((d) => folder(d.resolved))
    .filter((to) => to && to !== from);
  edges.set(from, new Set(targets));
}

// Tarjan: every strongly connected component of more than one folder is a cycle.
const cycles = [];
const index = new Map();
const low = new Map();
const stack = [];
let next = 0;
function visit(node) {
  index.set(node, next);
  low.set(node, next++);
  stack.push(node);
  for (const to of edges.get(node) ?? []) {
    if (!index.has(to)) {
      visit(to);
      low.set(node, Math.min(low.get(node), low.get(to)));
    } else if (stack.includes(to)) low.set(node, Math.min(low.get(node), index.get(to)));
  }
  if (low.get(node) !== index.get(node)) return;
  const component = [];
  let member;
  do component.push((member = stack.pop()));
  while (member !== node);
  if (component.length > 1) cycles.push(component.sort());
}
for (const node of edges.keys()) if (!index.has(node)) visit(node);

if (process.argv.includes('--json')) console.log(JSON.stringify(cycles));
else if (cycles.length === 0) console.log(`✔ no folder-level cycles (${edges.size} folders)`);
else for (const cycle of cycles) console.error(`✘ folder-level cycle: ${cycle.join(' ↔ ')}`);
process.exitCode = cycles.length === 0 ? 0 : 1;
