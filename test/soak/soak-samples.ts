import { redisCli } from '../support/redis-cli.js';
import type { Bound, SoakConfig } from './soak-config.js';

/** Resources at one moment of a run. */
export interface ResourceSample {
  /** Seconds since the publishing started (negative: before). */
  at: number;
  label: string;
  /** RSS in bytes of each slot's instance process, with its pid (a restart changes it). */
  instances: { pid: number; rss: number }[];
  /** Redis `used_memory`, bytes. */
  redisUsedMemory: number;
  /** Entries in all the streams, and the streams' own memory (`MEMORY USAGE`), bytes. */
  streamEntries: number;
  streamBytes: number;
  /** Clients in state `connected`, and how many are on each instance slot. */
  connected: number;
  perSlot: number[];
}

/** `used_memory` from `INFO memory`, in bytes. */
export async function redisUsedMemory(port: number): Promise<number> {
  const info = await redisCli(port, ['INFO', 'memory']);
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

// Every stream key: entries and exact memory, in one round trip.
const STREAMS_SCRIPT = `local cursor, entries, bytes = '0', 0, 0
repeat
  local page = redis.call('SCAN', cursor, 'TYPE', 'stream', 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    entries = entries + redis.call('XLEN', key)
    bytes = bytes + redis.call('MEMORY', 'USAGE', key, 'SAMPLES', 0)
  end
until cursor == '0'
return {entries, bytes}`;

/** What the backplane's streams hold: entries and bytes, summed over every stream key. */
export async function redisStreams(
  port: number,
): Promise<{ streamEntries: number; streamBytes: number }> {
  const [entries, bytes] = (await redisCli(port, ['EVAL', STREAMS_SCRIPT, '0'])).split('\n');
  return { streamEntries: Number(entries), streamBytes: Number(bytes) };
}

const MiB = 1024 * 1024;
export const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

/** One line per sample: time, RSS per instance (MiB), Redis memory, clients per instance. */
export function formatSamples(samples: ResourceSample[]): string[] {
  return samples.map(
    (s) =>
      `${s.label.padEnd(6)} ${s.at.toFixed(0).padStart(4)} s  RSS MiB ${s.instances
        .map((i) => mib(i.rss).padStart(6))
        .join(
          ' ',
        )}  Redis used_memory ${mib(s.redisUsedMemory)} MiB, streams ${s.streamEntries} entries ${mib(s.streamBytes)} MiB  clients ${s.perSlot.join(
        '/',
      )} (${s.connected} connected)`,
  );
}

/** The sample whose time is closest to `at`. */
export function closestTo(samples: ResourceSample[], at: number): ResourceSample {
  return samples.reduce((best, s) => (Math.abs(s.at - at) < Math.abs(best.at - at) ? s : best));
}

/** The flatness bounds that `end` breaks, compared with `middle` (none: flat enough). */
export function flatnessProblems(
  bounds: NonNullable<SoakConfig['flatness']>,
  middle: ResourceSample,
  end: ResourceSample,
): string[] {
  const checks: [string, Bound, (s: ResourceSample) => number][] = [
    ["the instances' RSS", bounds.rss, (s) => s.instances.reduce((n, i) => n + i.rss, 0)],
    ['the Redis streams', bounds.streams, (s) => s.streamBytes],
    ['Redis used_memory', bounds.usedMemory, (s) => s.redisUsedMemory],
  ];
  return checks.flatMap(([what, bound, of]) => {
    const limit = of(middle) * bound.factor + bound.slackBytes;
    return of(end) > limit
      ? [`${what} grew from ${of(middle)} bytes (middle) to ${of(end)} (end), over ${limit}`]
      : [];
  });
}
