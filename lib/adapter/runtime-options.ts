import { isBroker, isMemoryBroker } from '../broker/broker.factory.js';
import {
  DEFAULT_OPTIONS,
  type DistributedWsOptions,
  type ResolvedDistributedWsOptions,
} from '../distributed-ws.options.js';
import { SessionTokens } from './session-token.js';

/** Thrown at boot for options that cannot work; the message says what to change. */
export class DistributedWsConfigError extends Error {
  constructor(message: string) {
    super(`DistributedWsModule: ${message}`);
    this.name = 'DistributedWsConfigError';
  }
}

/** The module options with defaults applied and checked once, plus what derives from them. */
export class RuntimeOptions {
  readonly options: ResolvedDistributedWsOptions;
  readonly tokens: SessionTokens;

  constructor(input: DistributedWsOptions = {}) {
    const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    const merged = { ...DEFAULT_OPTIONS, ...defined } as ResolvedDistributedWsOptions;
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
    ] as const) {
      const value = merged[key];
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new DistributedWsConfigError(`option "${key}" must be a positive integer, got ${String(value)}.`);
      }
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
    merged.sessionSecret = input.sessionSecret ?? SessionTokens.randomSecret();
    this.options = merged;
    this.tokens = new SessionTokens(merged.sessionSecret);
  }
}
