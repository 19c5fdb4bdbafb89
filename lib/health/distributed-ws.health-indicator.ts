import { Inject, Injectable } from '@nestjs/common';
import { type Broker, brokerHealth } from '../broker/broker.interface.js';
import { DWS_BROKER } from '../distributed-ws.constants.js';
import { type ConnectionStats, DWS_CONNECTION_STATS } from '../metrics/metrics.interface.js';
import { ReaderLag } from '../metrics/reader-lag.js';

/** What the indicator reports under its key. */
export interface DistributedWsHealth {
  status: 'up' | 'down';
  /** `'memory'`, `'redis'`, `'redis-cluster'` or `'custom'`. */
  broker: string;
  /** WebSocket connections open on this instance. */
  connections: number;
  /** Delivery lag of the latest batch read from the backplane, in ms (absent before the first). */
  readerLagMs?: number;
  /** Why it is down. */
  message?: string;
}

/**
 * The shape of `@nestjs/terminus`' `HealthIndicatorResult`: one entry, under the caller's key.
 * Terminus (10+) counts a `down` status as a failed check and answers 503; no exception needed.
 */
export type DistributedWsHealthResult<Key extends string = string> = Record<
  Key,
  DistributedWsHealth
>;

/**
 * A health indicator for `@nestjs/terminus`: down while the backplane is unreachable (Redis down
 * or the broker closed), up otherwise. It reads state the broker keeps anyway, so a check costs
 * no round trip to Redis and can be polled often. Terminus itself is not imported: the result is
 * a plain object of the shape its `HealthCheckService` expects.
 *
 * @example
 * ```ts
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([() => this.dws.isHealthy('websockets')]);
 * }
 * ```
 */
@Injectable()
export class DistributedWsHealthIndicator {
  constructor(
    @Inject(DWS_BROKER) private readonly broker: Broker,
    @Inject(DWS_CONNECTION_STATS) private readonly connections: ConnectionStats,
    private readonly lag: ReaderLag,
  ) {}

  /**
   * @param key the name of the check in the health report. @default 'dws'
   */
  isHealthy<const Key extends string = 'dws'>(
    key: Key = 'dws' as Key,
  ): DistributedWsHealthResult<Key> {
    const health = brokerHealth(this.broker);
    const details: DistributedWsHealth = {
      status: health.up ? 'up' : 'down',
      broker: health.backplane,
      connections: this.connections.size,
    };
    if (this.lag.lastMs !== null) details.readerLagMs = this.lag.lastMs;
    if (!health.up)
      details.message = 'The backplane is unreachable: publishes fail until it is back.';
    return { [key]: details } as DistributedWsHealthResult<Key>;
  }
}
