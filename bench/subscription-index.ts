// `npm run bench:index`: cost of SubscriptionIndex.forEachMatching as the index grows.
// Grid: {10, 1 000, 100 000} distinct exact topics × {0, 100, 10 000} wildcard patterns.
// Each lookup is on an exact topic that has one subscriber; the wildcard patterns are spread
// over other branches of the tree ("+" and "#" at several depths) so the walk has to skip
// them. The number printed is ns per lookup, best of 5 timed rounds after a warm-up.
import { SubscriptionIndex } from '../lib/topics/subscription-index.js';

const EXACT = [10, 1_000, 100_000];
const WILDCARDS = [0, 100, 10_000];
const LOOKUPS = 200_000;

function build(
  exact: number,
  wildcards: number,
): { index: SubscriptionIndex<number>; topics: string[] } {
  const index = new SubscriptionIndex<number>();
  const topics: string[] = [];
  for (let i = 0; i < exact; i++) {
    const topic = `orders/${i}/status`;
    topics.push(topic);
    index.add(topic, i);
  }
  for (let w = 0; w < wildcards; w++) {
    // Half the patterns live in the same "orders" branch (so the walk descends next to them),
    // half in other branches; a handful actually match the looked-up topics.
    const shape = w % 4;
    const filter =
      shape === 0
        ? `orders/${w}/+`
        : shape === 1
          ? `orders/+/history/${w}`
          : shape === 2
            ? `chat/${w}/#`
            : `news/+/${w}`;
    index.add(filter, -1 - w);
  }
  return { index, topics };
}

function measure(index: SubscriptionIndex<number>, topics: string[]): number {
  let visits = 0;
  const visit = () => void visits++;
  const run = () => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < LOOKUPS; i++) index.forEachMatching(topics[i % topics.length], visit);
    return Number(process.hrtime.bigint() - start) / LOOKUPS;
  };
  run(); // warm-up (JIT)
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) best = Math.min(best, run());
  if (visits === 0) throw new Error('no lookup matched: the benchmark is broken');
  return best;
}

const rows: string[] = [];
for (const exact of EXACT) {
  const cells: string[] = [];
  for (const wildcards of WILDCARDS) {
    const { index, topics } = build(exact, wildcards);
    cells.push(measure(index, topics).toFixed(0));
  }
  rows.push(`| ${exact.toLocaleString('en')} | ${cells.join(' | ')} |`);
}
console.log(
  `SubscriptionIndex.forEachMatching, ns per lookup (Node ${process.version}, ${LOOKUPS} lookups/round, best of 5)\n\n` +
    `| exact topics \\ wildcard patterns | ${WILDCARDS.map((w) => w.toLocaleString('en')).join(' | ')} |\n` +
    `|---:|${WILDCARDS.map(() => '---:').join('|')}|\n` +
    rows.join('\n'),
);
