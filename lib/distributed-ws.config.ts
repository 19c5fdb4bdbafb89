import { isBroker, isMemoryBroker } from './broker/broker.factory.js';
import {
  DEFAULT_OPTIONS,
  SESSION_TTL_MARGIN_MS,
  type DistributedWsOptions,
  type ResolvedDistributedWsOptions,
} from './distributed-ws.options.js';
import { metricsOptionsProblem } from './metrics.options.js';
import { serveOptionsProblem } from './serve.options.js';
import { rateLimitProblem, type RateLimitInput, type RateLimitOptions } from './auth.options.js';
import { randomBytes } from 'node:crypto';
import { DistributedWsConfigError } from './errors/config.error.js';

/** The module options with defaults applied, checked once at boot. */
export class RuntimeOptions {
  readonly options: ResolvedDistributedWsOptions;

  constructor(input: DistributedWsOptions = {}) {
    const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    // Checked field by field below, hence the cast.
    const merged = { ...DEFAULT_OPTIONS, ...defined } as unknown as ResolvedDistributedWsOptions;
    for (const key of [
      'shards',
      'retentionMs',
      'heartbeatIntervalMs',
      'maxPayload',
      'maxDepth',
      'maxTopicLength',
      'maxSubscriptions',
      'maxBufferedBytes',
      'maxReplay',
      'maxConnections',
      'authTimeoutMs',
      'presenceTtlMs',
      'maxPresenceInfoBytes',
      'maxPresenceInfoBytesPerConnection',
      'maxPresenceAnswerMembers',
      'presenceWindowMs',
      'maxPendingFrames',
      'maxPendingBytes',
      'maxReplayBytes',
      'maxConcurrentReplays',
      'replayDrainTimeoutMs',
    ] as const) {
      requireInteger(key, merged[key], 1);
    }
    requireInteger('replayCacheBytes', merged.replayCacheBytes, 0, '0 turns the replay window off');
    requireInteger(
      'publishReplicas',
      merged.publishReplicas,
      0,
      '0: acked once the Redis primary has it',
    );
    const waitMs = merged.publishReplicasTimeoutMs;
    if (!Number.isSafeInteger(waitMs) || waitMs <= 0 || waitMs >= 2000) {
      throw new DistributedWsConfigError(
        `option "publishReplicasTimeoutMs" must be a positive integer below 2000 (ms, the bound of a whole publish), got ${String(waitMs)}.`,
      );
    }
    if (merged.presenceTtlMs < 1000) {
      throw new DistributedWsConfigError(
        `option "presenceTtlMs" must be at least 1000 (ms), got ${merged.presenceTtlMs}: a shorter TTL would declare live instances dead after an ordinary pause.`,
      );
    }
    if (merged.maxPresenceInfoBytesPerConnection < merged.maxPresenceInfoBytes) {
      throw new DistributedWsConfigError(
        `option "maxPresenceInfoBytesPerConnection" (${merged.maxPresenceInfoBytesPerConnection}) must be at least "maxPresenceInfoBytes" (${merged.maxPresenceInfoBytes}): a single info of the largest size allowed would be refused.`,
      );
    }
    if (merged.maxPendingBytes < merged.maxPayload) {
      throw new DistributedWsConfigError(
        `option "maxPendingBytes" (${merged.maxPendingBytes}) must be at least "maxPayload" (${merged.maxPayload}): a single frame of the largest size allowed would close its connection.`,
      );
    }
    checkSecurityOptions(merged, input);
    merged.sessionTtlMs = sessionTtlOf(input, merged);
    const metricsProblem = metricsOptionsProblem(input.metrics);
    if (metricsProblem) throw new DistributedWsConfigError(`option "metrics": ${metricsProblem}.`);
    merged.metrics = input.metrics === true ? {} : input.metrics || false;
    const asyncapiServe = input.asyncapi?.serve;
    const serveProblem = asyncapiServe ? serveOptionsProblem(asyncapiServe) : null;
    if (serveProblem) throw new DistributedWsConfigError(`option "asyncapi": ${serveProblem}.`);
    if (typeof input.broker === 'string' && input.broker.trim() === '') {
      // Before the sessionSecret check, which would otherwise blame the secret for an unset URL.
      throw new DistributedWsConfigError(
        'option "broker" is an empty string (an environment variable such as BROKER_URL set but empty?). Leave it undefined or use "memory://" for the embedded broker, or give a "redis://host:port/db" URL.',
      );
    }
    const single = isMemoryBroker(input.broker) || (isBroker(input.broker) && !input.sessionSecret);
    if (!input.sessionSecret && !single) {
      throw new DistributedWsConfigError(
        'a shared "sessionSecret" is required with a Redis broker, so that every instance can verify the session tokens of the others and resume their clients. Set it to the same long random string on every instance (e.g. from an environment variable).',
      );
    }
    if (input.sessionSecret !== undefined && input.sessionSecret.length < 16) {
      throw new DistributedWsConfigError('"sessionSecret" must be at least 16 characters long.');
    }
    merged.sessionSecret = input.sessionSecret ?? randomBytes(32).toString('base64url');
    this.options = merged;
  }
}

/** Fills `rateLimit` from its defaults and refuses security options that can't work. */
function checkSecurityOptions(
  merged: ResolvedDistributedWsOptions,
  input: DistributedWsOptions,
): void {
  if (input.authenticate !== undefined && typeof input.authenticate !== 'function') {
    throw new DistributedWsConfigError(
      'option "authenticate" must be a function (request, token) => principal | null.',
    );
  }
  if (merged.authFailure !== 'reject' && merged.authFailure !== 'close') {
    throw new DistributedWsConfigError(
      `option "authFailure" must be 'reject' or 'close', got ${String(merged.authFailure)}.`,
    );
  }
  const sources = merged.tokenSources as unknown;
  if (
    !Array.isArray(sources) ||
    sources.some((s) => s !== 'header' && s !== 'protocol' && s !== 'query')
  ) {
    throw new DistributedWsConfigError(
      `option "tokenSources" must be a list of 'header', 'protocol', 'query'.`,
    );
  }
  const origins = merged.allowedOrigins as unknown;
  if (
    origins !== undefined &&
    typeof origins !== 'function' &&
    !(Array.isArray(origins) && origins.every((o) => typeof o === 'string' || o instanceof RegExp))
  ) {
    throw new DistributedWsConfigError(
      'option "allowedOrigins" must be a list of origins (strings or RegExps) or a function.',
    );
  }
  merged.rateLimit = resolveRateLimit(input);
}

/**
 * `rateLimit` with its defaults. The deprecated `publishRate`, alone, keeps what it always did:
 * a budget for `publish` frames only (every other kind costs 0).
 */
function resolveRateLimit(input: DistributedWsOptions): RateLimitOptions | false {
  const legacy = input.rateLimit === undefined && input.publishRate !== undefined;
  const given: RateLimitInput | false | undefined = legacy ? input.publishRate : input.rateLimit;
  if (given === false) return false;
  const defaults = DEFAULT_OPTIONS.rateLimit;
  const base = { ...defaults, ...given };
  // A default cost above a small `burst` is lowered to it: the frame stays possible, alone.
  const baseCost = Object.fromEntries(
    Object.entries(legacy ? PUBLISH_ONLY : defaults.cost).map(([kind, cost]) => [
      kind,
      Math.min(cost, Number.isSafeInteger(base.burst) ? base.burst : cost),
    ]),
  ) as RateLimitOptions['cost'];
  const rate = { ...base, cost: { ...baseCost, ...(given as RateLimitInput | undefined)?.cost } };
  const problem = rateLimitProblem(given === undefined || typeof given === 'object' ? rate : given);
  const name = legacy ? 'publishRate' : 'rateLimit';
  if (problem) throw new DistributedWsConfigError(`option "${name}": ${problem}.`);
  return rate;
}

const PUBLISH_ONLY: RateLimitOptions['cost'] = {
  publish: 1,
  subscribe: 0,
  unsubscribe: 0,
  event: 0,
  invalid: 0,
  presence: 0,
  refresh: 0,
  resume: 0,
};

/**
 * `sessionTtlMs`, by default `retentionMs` plus {@link SESSION_TTL_MARGIN_MS} (at least
 * 3 × `heartbeatIntervalMs`). A connected
 * client's token is renewed with the heartbeat's `positions` frames (session-token-renewal.ts),
 * so the TTL must span a few heartbeats.
 */
function sessionTtlOf(input: DistributedWsOptions, merged: ResolvedDistributedWsOptions): number {
  const least = 3 * merged.heartbeatIntervalMs;
  const ttl = input.sessionTtlMs ?? Math.max(merged.retentionMs + SESSION_TTL_MARGIN_MS, least);
  requireInteger('sessionTtlMs', ttl, 1);
  if (ttl < least) {
    throw new DistributedWsConfigError(
      `option "sessionTtlMs" (${ttl}) must be at least 3 × heartbeatIntervalMs (${least} ms): connected clients get a renewed token with the heartbeat, and it must outlive the next ones. Raise sessionTtlMs or lower heartbeatIntervalMs.`,
    );
  }
  return ttl;
}

/**
 * Refuses `value` unless it is a safe integer of at least `least` (1: positive, 0: non-negative).
 * @throws DistributedWsConfigError naming the option, with `note` on what the bound means.
 */
function requireInteger(key: string, value: unknown, least: 0 | 1, note?: string): void {
  if (Number.isSafeInteger(value) && (value as number) >= least) return;
  const kind = least === 1 ? 'a positive integer' : 'a non-negative integer';
  throw new DistributedWsConfigError(
    `option "${key}" must be ${kind}${note ? ` (${note})` : ''}, got ${String(value)}.`,
  );
}
