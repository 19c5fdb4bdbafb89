// `npm run bench`: the same fan-out workload against four systems, interleaved over several runs.
// Env: BENCH_CLIENTS (1000), BENCH_RATE msg/s (20), BENCH_SECONDS (10), BENCH_RUNS (5),
// BENCH_CLIENT_PROCS (2), BENCH_SYSTEMS (comma list of keys, default the four compared; the
// key `dws-redis-stream-writes` adds this library with `directWrites: false`, for an A/B run),
// BENCH_BURST (messages of the unthrottled burst after the paced window, 300; 0 to skip),
// BENCH_OUT (docs/benchmarks.md; "-" to skip writing), BENCH_CPU_PROF (dir for server .cpuprofile),
// BENCH_NODE_OPTIONS (more options for the server processes, e.g. --perf-basic-prof for `perf`).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { startInstance } from '../test/support/app-process.js';
import { redisCli } from '../test/support/redis-cli.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { cpuTimesOf, rssOf } from '../test/support/proc-stats.js';
import { TOPIC, benchPayload, median } from './common.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const C = Number(process.env.BENCH_CLIENTS ?? 1000);
const R = Number(process.env.BENCH_RATE ?? 20);
const D = Number(process.env.BENCH_SECONDS ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CLIENT_PROCS = Number(process.env.BENCH_CLIENT_PROCS ?? 2);
const OUT = process.env.BENCH_OUT ?? 'docs/benchmarks.md';
const BASELINE_SECONDS = Number(process.env.BENCH_BASELINE_SECONDS ?? 3);
const BURST = Number(process.env.BENCH_BURST ?? 300);
/** Publish requests in flight during the burst. */
const BURST_CONCURRENCY = 16;
/** When set, every server process writes a V8 CPU profile (.cpuprofile) into this directory. */
const PROF_DIR = process.env.BENCH_CPU_PROF;
/** Every server process: a full GC on SIGWINCH (bench/gc-on-signal.mjs), the profiler if asked. */
const serverEnv: Record<string, string> = {
  NODE_OPTIONS: [
    '--expose-gc',
    `--import ${root}bench/gc-on-signal.mjs`,
    PROF_DIR ? `--import ${root}bench/cpu-profile.mjs` : '',
    process.env.BENCH_NODE_OPTIONS ?? '',
  ].join(' '),
};
const SECRET = 'bench-session-secret-0123456789ab'; // 32 chars
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Server {
  pid: number;
  port: number;
  stop(): Promise<unknown>;
}
interface System {
  key: string;
  label: string;
  usesRedis: boolean;
  clientKind: 'dws' | 'sio' | 'raw';
  start(redisUrl: string): Promise<Server[]>;
  wsUrl(port: number): string;
  publish(port: number, payload: unknown): Promise<unknown>;
  /** Runs only when BENCH_SYSTEMS names it (a variant for an A/B run, not a compared system). */
  optIn?: true;
}

const children = new Set<ChildProcess>();
process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited(child);
  clearTimeout(timer);
}

/** Starts `bench/<file>` under the swc loader and waits for "BENCH_READY <port>". */
async function startBenchServer(file: string, env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ['--import', './scripts/register-swc.js', file], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '', ...serverEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /BENCH_READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${file} exited ${code}: ${stderr}`)));
  });
  return { pid: child.pid!, port, stop: () => stopChild(child) };
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${url} → ${res.status}: ${await res.text()}`);
  return res.json();
}

/** An app instance (test/support/instance/main.ts) as a bench server. */
async function startDws(env: Record<string, string>): Promise<Server> {
  const instance = await startInstance({ DWS_SESSION_SECRET: SECRET, ...serverEnv, ...env });
  return { pid: instance.pid, port: instance.port, stop: () => instance.kill() };
}

const benchPublish = (port: number, payload: unknown) =>
  postJson(`http://127.0.0.1:${port}/publish`, { topic: TOPIC, payload });

const DWS_REDIS = 'nestjs-distributed-ws, Redis Streams, K=2';

/** This library on two instances over Redis; `options` go to `DistributedWsModule.forRoot`. */
function dwsRedis(key: string, label: string, options?: object): System {
  const env: Record<string, string> = options ? { DWS_OPTIONS: JSON.stringify(options) } : {};
  return {
    key,
    label,
    usesRedis: true,
    clientKind: 'dws',
    start: (url) => Promise.all([1, 2].map(() => startDws({ BROKER: url, ...env }))),
    wsUrl: (port) => `ws://127.0.0.1:${port}/ws`,
    publish: benchPublish,
  };
}

const SYSTEMS: System[] = [
  {
    key: 'dws-memory',
    label: 'nestjs-distributed-ws, memory broker, K=1',
    usesRedis: false,
    clientKind: 'dws',
    start: async () => [await startDws({ BROKER: 'memory://' })],
    wsUrl: (port) => `ws://127.0.0.1:${port}/ws`,
    publish: benchPublish,
  },
  dwsRedis('dws-redis', DWS_REDIS),
  {
    ...dwsRedis('dws-redis-stream-writes', `${DWS_REDIS}, directWrites: false`, {
      directWrites: false,
    }),
    optIn: true,
  },
  {
    key: 'socketio-redis',
    label: 'Socket.IO 4.8 + redis-streams-adapter, K=2',
    usesRedis: true,
    clientKind: 'sio',
    start: (url) =>
      Promise.all([1, 2].map(() => startBenchServer('bench/socketio-server.ts', { BROKER: url }))),
    wsUrl: (port) => `http://127.0.0.1:${port}`,
    publish: benchPublish,
  },
  {
    key: 'raw-ws',
    label: 'raw ws, one process, broadcast loop',
    usesRedis: false,
    clientKind: 'raw',
    start: async () => [await startBenchServer('bench/raw-ws-server.ts', {})],
    wsUrl: (port) => `ws://127.0.0.1:${port}/ws`,
    publish: benchPublish,
  },
];

interface ClientReport {
  received: number;
  unique: number;
  duplicates: number;
  latenciesUs: number[];
}

/** A client process; `report()` asks for its counters, `stop()` closes its connections. */
async function startClients(kind: string, urls: string[], count: number, maxSeq: number) {
  const child = spawn(
    process.execPath,
    ['--import', './scripts/register-swc.js', 'bench/client.ts'],
    {
      cwd: root,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        KIND: kind,
        URLS: urls.join(','),
        COUNT: String(count),
        MAX_SEQ: String(maxSeq),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  let out = '';
  let onLine: ((line: string) => void) | null = null;
  child.stdout!.on('data', (c) => {
    out += c;
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      onLine?.(line);
    }
  });
  await new Promise<void>((resolve, reject) => {
    onLine = (line) => line === 'BENCH_READY' && resolve();
    child.once('exit', (code) => reject(new Error(`client exited ${code}: ${stderr}`)));
  });
  return {
    pid: child.pid!,
    /** Counters and latencies (`count`: counters only, cheap enough to poll). */
    report: (command: 'report' | 'count' = 'report') =>
      new Promise<ClientReport>((resolve) => {
        onLine = (line) => line.startsWith('{') && resolve(JSON.parse(line));
        child.stdin!.write(`${command}\n`);
      }),
    stop: async () => {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited(child);
      clearTimeout(timer);
    },
  };
}

async function redisCpuMs(port: number): Promise<number> {
  const info = await redisCli(port, ['INFO', 'cpu']);
  const get = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (get('used_cpu_sys') + get('used_cpu_user')) * 1000;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Result {
  deliveriesPerSec: number;
  lost: number;
  duplicated: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  cpuUsPerDelivery: number;
  /** The part of cpuUsPerDelivery spent in user mode (the rest is the kernel's socket writes). */
  userUsPerDelivery: number;
  netCpuUsPerDelivery: number;
  rssPerConnKB: number;
  serverCpuMs: number;
  redisCpuMs: number;
  publishHttpMs: number;
  burstDeliveriesPerSec: number;
  burstLost: number;
}

/** CPU the servers have used, in µs, and its user-mode part: one /proc read per server. */
function serverCpu(servers: Server[]): { us: number; userUs: number } {
  let us = 0;
  let userUs = 0;
  for (const server of servers) {
    const { userMs, sysMs } = cpuTimesOf(server.pid);
    us += (userMs + sysMs) * 1000;
    userUs += userMs * 1000;
  }
  return { us, userUs };
}

/**
 * Publishes `count` payloads to instance 1 at R msg/s and waits for every answer. Returns the
 * server CPU spent (µs), the elapsed time and the summed HTTP round trips.
 */
async function publishLoop(system: System, servers: Server[], count: number, measure = true) {
  const cpu0 = measure ? serverCpu(servers).us : 0;
  const start = performance.now();
  const inflight: Promise<unknown>[] = [];
  let httpMs = 0;
  for (let seq = 0; seq < count; seq++) {
    const wait = start + (seq * 1000) / R - performance.now();
    if (wait > 0) await sleep(wait);
    const t0 = performance.now();
    inflight.push(
      system
        .publish(servers[0].port, benchPayload(seq))
        .then(() => (httpMs += performance.now() - t0)),
    );
  }
  await Promise.all(inflight);
  await sleep(1000 / R);
  const ms = performance.now() - start;
  const cpuUs = measure ? serverCpu(servers).us - cpu0 : 0;
  return { cpuUs, ms, httpMs };
}

/**
 * Publishes BURST payloads (sequence numbers from `firstSeq`) as fast as the publish endpoint
 * takes them, and measures deliveries/s from the first publish to the last receipt (the clients
 * are polled every 100 ms; receipts stop when nothing arrives for 1 s, or after 60 s).
 */
async function burst(
  system: System,
  servers: Server[],
  procs: { report(command: 'count'): Promise<ClientReport> }[],
  firstSeq: number,
) {
  const count = async () =>
    (await Promise.all(procs.map((p) => p.report('count')))).reduce(
      (sum, r) => ({ received: sum.received + r.received, unique: sum.unique + r.unique }),
      { received: 0, unique: 0 },
    );
  const before = await count();
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < BURST) await system.publish(servers[0].port, benchPayload(firstSeq + next++));
  };
  const publishing = Promise.all(Array.from({ length: BURST_CONCURRENCY }, worker));
  let last = before;
  let lastAt = start;
  while (performance.now() - start < 60_000) {
    await sleep(100);
    const now = await count();
    if (now.received !== last.received) {
      last = now;
      lastAt = performance.now();
    } else if (now.received - before.received >= C * BURST || performance.now() - lastAt > 1000) {
      break;
    }
  }
  await publishing;
  return {
    deliveriesPerSec: ((last.received - before.received) * 1000) / (lastAt - start),
    lost: C * BURST - (last.unique - before.unique),
  };
}

/** Summed RSS of the servers, read after each ran a full GC (bench/gc-on-signal.mjs). */
async function rssAfterGc(servers: Server[]): Promise<number> {
  for (const server of servers) process.kill(server.pid, 'SIGWINCH');
  await sleep(500);
  return servers.reduce((s, srv) => s + rssOf(srv.pid), 0);
}

async function runOnce(system: System, redisPort: number, redisUrl: string): Promise<Result> {
  const servers = await system.start(redisUrl);
  try {
    await sleep(1000);
    const rss0 = await rssAfterGc(servers);
    // Baseline: the same publish loop with no subscriber, so the cost of the HTTP publish
    // requests and of idle work (broker polling, timers) can be subtracted from the window.
    await publishLoop(system, servers, R, false); // warm-up: JIT, route and connection set-up
    const base = await publishLoop(system, servers, Math.round(R * BASELINE_SECONDS));
    const urls = servers.map((s) => system.wsUrl(s.port));
    const total = Math.round(R * D);
    const clients = [];
    // Client processes take turns over the instances so each instance gets C/K connections.
    const perProc = Array.from(
      { length: CLIENT_PROCS },
      (_, i) => Math.floor(C / CLIENT_PROCS) + (i < C % CLIENT_PROCS ? 1 : 0),
    );
    for (let i = 0; i < CLIENT_PROCS; i++) {
      const rotated = urls.map((_, j) => urls[(i + j) % urls.length]);
      clients.push(startClients(system.clientKind, rotated, perProc[i], total + BURST + 10));
    }
    const procs = await Promise.all(clients);
    await sleep(1500);
    const rss1 = await rssAfterGc(servers);

    const { us: cpu0, userUs: user0 } = serverCpu(servers);
    const redis0 = system.usesRedis ? await redisCpuMs(redisPort) : 0;
    const windowStart = performance.now();
    const httpMs = (await publishLoop(system, servers, total, false)).httpMs;
    // Drain: wait until every client process stops receiving (bounded).
    let last = -1;
    for (let i = 0; i < 40; i++) {
      await sleep(250);
      const reports = await Promise.all(procs.map((p) => p.report()));
      const got = reports.reduce((s, r) => s + r.received, 0);
      if (got >= C * total || got === last) break;
      last = got;
    }
    const { us: cpu1, userUs: user1 } = serverCpu(servers);
    const windowMs = performance.now() - windowStart;
    const netCpu = cpu1 - cpu0 - (base.cpuUs / base.ms) * windowMs;
    const redis1 = system.usesRedis ? await redisCpuMs(redisPort) : 0;

    const reports = await Promise.all(procs.map((p) => p.report()));
    const burstResult = BURST > 0 ? await burst(system, servers, procs, total) : null;
    await Promise.all(procs.map((p) => p.stop()));
    const received = reports.reduce((s, r) => s + r.received, 0);
    const unique = reports.reduce((s, r) => s + r.unique, 0);
    const duplicated = reports.reduce((s, r) => s + r.duplicates, 0);
    const lat = Float64Array.from(reports.flatMap((r) => r.latenciesUs)).sort();
    return {
      deliveriesPerSec: received / D,
      lost: C * total - unique,
      duplicated,
      p50: percentile(lat, 50) / 1000,
      p95: percentile(lat, 95) / 1000,
      p99: percentile(lat, 99) / 1000,
      max: lat.length ? lat[lat.length - 1] / 1000 : Number.NaN,
      cpuUsPerDelivery: (cpu1 - cpu0) / Math.max(1, received),
      userUsPerDelivery: (user1 - user0) / Math.max(1, received),
      netCpuUsPerDelivery: netCpu / Math.max(1, received),
      rssPerConnKB: (rss1 - rss0) / C / 1024,
      serverCpuMs: (cpu1 - cpu0) / 1000,
      redisCpuMs: redis1 - redis0,
      publishHttpMs: httpMs / Math.max(1, total),
      burstDeliveriesPerSec: burstResult?.deliveriesPerSec ?? Number.NaN,
      burstLost: burstResult?.lost ?? Number.NaN,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

const selected = process.env.BENCH_SYSTEMS?.split(',');
const systems = SYSTEMS.filter((s) => (selected ? selected.includes(s.key) : !s.optIn));
const redis = await startRedisServer();
const results = new Map<string, Result[]>(systems.map((s) => [s.key, []]));
try {
  for (let run = 1; run <= RUNS; run++) {
    for (const system of systems) {
      process.stderr.write(`run ${run}/${RUNS}: ${system.label}… `);
      const result = await runOnce(system, redis.port, redis.url);
      results.get(system.key)!.push(result);
      process.stderr.write(
        `${fmt(result.deliveriesPerSec, 0)} deliveries/s, p50 ${fmt(result.p50)} ms, ${fmt(result.cpuUsPerDelivery, 2)} µs CPU/delivery (user ${fmt(result.userUsPerDelivery, 2)}, net ${fmt(result.netCpuUsPerDelivery, 2)}), burst ${fmt(result.burstDeliveriesPerSec, 0)} deliveries/s (lost ${result.burstLost})\n`,
      );
    }
  }
} finally {
  await redis.stop();
}

const header =
  '| System | deliveries/s | lost | dup | p50 ms | p95 ms | p99 ms | max ms | server CPU µs/delivery | of which user mode µs | net of publish+idle µs/delivery | server CPU ms | RSS KB/idle conn | Redis CPU ms | publish POST ms | burst deliveries/s | burst lost |\n' +
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
const rows = systems.map((system) => {
  const rs = results.get(system.key)!;
  const m = (f: (r: Result) => number) => median(rs.map(f));
  return `| ${system.label} | ${fmt(
    m((r) => r.deliveriesPerSec),
    0,
  )} | ${m((r) => r.lost)} | ${m((r) => r.duplicated)} | ${fmt(m((r) => r.p50))} | ${fmt(m((r) => r.p95))} | ${fmt(m((r) => r.p99))} | ${fmt(m((r) => r.max))} | ${fmt(
    m((r) => r.cpuUsPerDelivery),
    2,
  )} | ${fmt(
    m((r) => r.userUsPerDelivery),
    2,
  )} | ${fmt(
    m((r) => r.netCpuUsPerDelivery),
    2,
  )} | ${fmt(
    m((r) => r.serverCpuMs),
    0,
  )} | ${fmt(m((r) => r.rssPerConnKB))} | ${
    system.usesRedis
      ? fmt(
          m((r) => r.redisCpuMs),
          0,
        )
      : '–'
  } | ${fmt(
    m((r) => r.publishHttpMs),
    2,
  )} | ${fmt(
    m((r) => r.burstDeliveriesPerSec),
    0,
  )} | ${fmt(
    m((r) => r.burstLost),
    0,
  )} |`;
});
const table = [header, ...rows].join('\n');
const command = `BENCH_CLIENTS=${C} BENCH_RATE=${R} BENCH_SECONDS=${D} BENCH_RUNS=${RUNS} npm run bench`;
const machine = `${execFileSync('nproc').toString().trim()} cores (nproc), ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
console.log(`\n${command}\n${machine}\n\n${table}\n`);
/** Sections after this heading are kept (they come from `npm run bench:index`). */
const KEEP = '\n## SubscriptionIndex';
const kept = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
const tail = kept.includes(KEEP) ? kept.slice(kept.indexOf(KEEP)) : '';
if (OUT !== '-') {
  const write = async (text: string) =>
    writeFileSync(OUT, await format(text, { ...(await resolveConfig(OUT)), filepath: OUT }));
  await write(
    `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts). Do not edit the table by hand: rerun.

- Command: \`${command}\`
- Machine: ${machine}
- Workload: ${C} WebSocket clients (in ${CLIENT_PROCS} client processes, separate from the
  servers) spread evenly over the K server instances, all subscribed to \`${TOPIC}\`; one
  publisher POSTs to instance 1 at ${R} msg/s for ${D} s; payload ~170 bytes of JSON carrying
  a \`process.hrtime.bigint()\` send stamp. Median of ${RUNS} interleaved run(s).

**Read with care:** this machine has ${execFileSync('nproc').toString().trim()} cores and the client
processes share them with the servers and Redis, so deliveries/s is capped by the offered
load (R × C) and by the clients, not by the servers. Compare **server CPU µs per delivery**
and **latency at R=${R}**, not throughput.

${table}

Columns: *deliveries/s* = frames received by all clients / D; *lost* = R·D·C − distinct
(connection, message) receipts; *dup* = repeated receipts; latency is publish (stamp taken by
the publisher just before the POST) → receipt in the client process; *server CPU* = user+sys of
all server processes (\`/proc/<pid>/stat\`, 10 ms ticks) over the publish window and drain,
divided by deliveries (*server CPU ms* is the undivided total; *of which user mode* is the utime
part, the rest is kernel time, mostly the TCP write of each frame), and it includes the HTTP publish requests (*publish POST ms* is their
mean round trip); *net of publish+idle* subtracts the server CPU rate measured during a
${BASELINE_SECONDS} s baseline (same publish loop, same servers, after a 1 s warm-up, no client connected yet) times the
window length, so it approximates the fan-out cost alone; *RSS per idle connection* = (server RSS with C subscribed idle connections −
RSS before any connection) / C, each read after every server ran a full GC; *Redis CPU* = used_cpu_user+sys delta from \`INFO cpu\` over
the same window (Redis systems only); *burst* = after the paced window, ${BURST} more messages
published with ${BURST_CONCURRENCY} requests in flight, as fast as instance 1 takes them:
deliveries/s is receipts by all clients over the time from the first publish to the last receipt,
*burst lost* counts what never arrived. The clients share the cores with the servers, so the
burst measures the whole setup's capacity; what differs between rows is how much of the cores
each server leaves to the clients.
` + tail,
  );
  console.log(`Wrote ${OUT}`);
}
process.exit(0);
