/** end ≤ middle × factor + slackBytes */
export interface Bound {
  factor: number;
  slackBytes: number;
}

/** What one soak run does. The short CI run and `npm run soak` differ only in these numbers. */
export interface SoakConfig {
  /** App instances (each its own process, all on one Redis). */
  instances: number;
  /** SDK clients, spread over `clientProcesses` child processes. */
  clients: number;
  clientProcesses: number;
  /** Length of the publishing (and chaos) phase, in seconds. */
  seconds: number;
  /** Messages per second published in total, by all the publishers together. */
  rate: number;
  /** Instance SIGKILLs (each followed by a restart on the same port), spread over the run. */
  instanceKills: number;
  /** Rounds of killing the instances' Redis connections, at random times. */
  redisKills: number;
  /** Exact topics `orders/<n>/status`; each client holds one of them (client index mod this). */
  exactTopics: number;
  /** Topics `news/w<n>` that the wildcard `news/+` spans. */
  wildcardTopics: number;
  /** The instances' `retentionMs`: how long a client may be away and still resume. */
  retentionMs: number;
  /** Resource samples (RSS, Redis memory, client states) are taken this often, in ms. */
  sampleEveryMs: number;
  /**
   * Flatness bounds, checked between the middle sample (the one closest to the later of half the
   * run and retentionMs + 30 s, when the streams have reached their steady length) and the end:
   * end ≤ middle × factor + slackBytes. Null: only print the numbers.
   */
  flatness: {
    /** Sum of the instances' RSS (restarts make single instances jump both ways). */
    rss: Bound;
    /** The streams' own memory: what a log that is not trimmed would grow. */
    streams: Bound;
    /** Redis `used_memory` (client buffers of mass resumes included). */
    usedMemory: Bound;
  } | null;
  /** Print progress lines to stdout. */
  verbose: boolean;
}

const MiB = 1024 * 1024;

/** The long run of `npm run soak`; every field can be overridden by an env var (see below). */
export const LONG_SOAK: SoakConfig = {
  instances: 3,
  clients: 2000,
  clientProcesses: 4,
  seconds: 300,
  rate: 40,
  instanceKills: 10,
  redisKills: 20,
  exactTopics: 10,
  wildcardTopics: 3,
  // Short enough that the streams reach their steady length in the first half of the run (Redis
  // memory can then be checked for flatness), long enough that clients away for the longest
  // measured outage (45 s, docs/reliability.md) plus a stale position (up to a heartbeat, 25 s)
  // still resume: past that they are told `window`, correctly.
  retentionMs: 120_000,
  sampleEveryMs: 10_000,
  flatness: {
    rss: { factor: 1.25, slackBytes: 32 * MiB },
    // Trimming is approximate (whole stream nodes of 100 entries): the length saw-tooths by up
    // to 16 × 100 entries around its steady value. An untrimmed log doubles from middle to end.
    streams: { factor: 1.5, slackBytes: 256 * 1024 },
    usedMemory: { factor: 1.25, slackBytes: 4 * MiB },
  },
  verbose: true,
};

/** The short run in `npm test` (test/e2e/soak.e2e-spec.ts). */
export const SHORT_SOAK: SoakConfig = {
  ...LONG_SOAK,
  clients: 200,
  clientProcesses: 2,
  seconds: 20,
  rate: 80,
  instanceKills: 2,
  redisKills: 4,
  sampleEveryMs: 2000,
  flatness: null,
  verbose: false,
};

/**
 * `base` with the env overrides applied: SOAK_CLIENTS, SOAK_CLIENT_PROCS, SOAK_SECONDS,
 * SOAK_RATE, SOAK_KILLS, SOAK_REDIS_KILLS, SOAK_RETENTION_MS.
 * @throws Error when an override is not a positive integer (0 allowed for the kill counts).
 */
export function soakConfigFromEnv(
  base: SoakConfig,
  env: NodeJS.ProcessEnv = process.env,
): SoakConfig {
  const read = (name: string, fallback: number, min = 1): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}".`);
    }
    return value;
  };
  return {
    ...base,
    clients: read('SOAK_CLIENTS', base.clients),
    clientProcesses: read('SOAK_CLIENT_PROCS', base.clientProcesses),
    seconds: read('SOAK_SECONDS', base.seconds),
    rate: read('SOAK_RATE', base.rate),
    instanceKills: read('SOAK_KILLS', base.instanceKills, 0),
    redisKills: read('SOAK_REDIS_KILLS', base.redisKills, 0),
    retentionMs: read('SOAK_RETENTION_MS', base.retentionMs),
  };
}
