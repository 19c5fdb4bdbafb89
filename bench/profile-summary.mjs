// Where a process's CPU went, from a V8 .cpuprofile (bench/cpu-profile.mjs), by what the library
// was doing: `node bench/profile-summary.mjs <file.cpuprofile> [fromUs toUs]`. fromUs/toUs are
// CLOCK_MONOTONIC microseconds (process.hrtime in any process of the machine; bench:failover
// prints each wave's), to keep only the samples of one wave. Each sample is charged to the
// innermost frame of its stack that a rule below names; the rest is "other" (top self time listed).
import { readFileSync } from 'node:fs';

const [file, from, to] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const fromUs = from === undefined ? -Infinity : Number(from);
const toUs = to === undefined ? Infinity : Number(to);

/** [category, test(callFrame)], innermost match wins; the order breaks ties within one frame. */
const RULES = [
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['idle', (f) => f.functionName === '(idle)'],
  ['token HMAC (issue/verify)', (f) => /session-token\.ts$/.test(f.url)],
  [
    'welcome (open a connection)',
    (f) => f.functionName === 'open' && /connection-opener/.test(f.url),
  ],
  [
    'upgrade/handshake (http, ws)',
    (f) =>
      /ws\/lib\/websocket-server\.js$/.test(f.url) ||
      f.functionName === 'parserOnIncoming' ||
      f.functionName === 'onParserExecute',
  ],
  ['resume: claim (verification)', (f) => /session-verification|session-generations/.test(f.url)],
  ['resume: takeover (rename, publish)', (f) => /session-takeover/.test(f.url)],
  [
    'resume: replay read (window)',
    (f) => /replay-window|replay-reads|replay-reader|session-replay/.test(f.url),
  ],
  ['resume: answer (encode, write)', (f) => /live-handover/.test(f.url)],
  ['resume: admission queue', (f) => /resume-admission/.test(f.url)],
  [
    'live delivery (fan-out, writes)',
    (f) => /connection-registry\.ts$/.test(f.url) && f.functionName === 'deliver',
  ],
  ['broker: reader/publisher (ioredis)', (f) => /redis-streams|ioredis|redis-parser/.test(f.url)],
  ['client frames (parse, route)', (f) => /frame-router|codec\.ts/.test(f.url)],
  [
    'socket close/cleanup',
    (f) => /connection-registry\.ts$/.test(f.url) && f.functionName === 'remove',
  ],
  ['program (native, unattributed)', (f) => f.functionName === '(program)'],
];

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const categoryOf = new Map();
function category(id) {
  if (categoryOf.has(id)) return categoryOf.get(id);
  const frame = byId.get(id).callFrame;
  const rule = RULES.find(([, test]) => test(frame));
  const found = rule ? rule[0] : parent.has(id) ? category(parent.get(id)) : 'other';
  categoryOf.set(id, found);
  return found;
}

const totals = new Map();
const self = new Map();
let t = profile.startTime;
let kept = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i];
  if (t < fromUs || t > toUs) continue;
  const dt = profile.timeDeltas[i + 1] ?? 0;
  const id = profile.samples[i];
  const c = category(id);
  totals.set(c, (totals.get(c) ?? 0) + dt);
  const f = byId.get(id).callFrame;
  const key = `${c} | ${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt);
  kept += dt;
}
const busy = kept - (totals.get('idle') ?? 0);
const ms = (us) => (us / 1000).toFixed(0).padStart(7);
const pct = (us) => `${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)} %`;
process.stdout.write(`${file}: ${ms(kept)} ms sampled, ${ms(busy)} ms busy (not idle)\n`);
for (const [c, us] of [...totals].sort((a, b) => b[1] - a[1])) {
  process.stdout.write(`  ${ms(us)} ms ${c === 'idle' ? '       ' : pct(us)}  ${c}\n`);
}
process.stdout.write('  top self time:\n');
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  process.stdout.write(`  ${ms(us)} ms ${pct(us)}  ${key}\n`);
}
