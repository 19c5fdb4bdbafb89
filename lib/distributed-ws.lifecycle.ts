import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ConnectionRegistry } from './adapter/connection-registry.js';
import { closeOnShardReset } from './adapter/shard-reset.handler.js';
import type { Broker } from './broker/broker.interface.js';
import { ReplayWindow } from './broker/replay-window.js';
import { DWS_BROKER } from './distributed-ws.constants.js';
import { PresenceTracker } from './presence/presence.tracker.js';
import { DWS_METRICS, type DwsMetrics } from './metrics/metrics.interface.js';
import { ReaderLag } from './metrics/reader-lag.js';

/**
 * When the backplane is bound: connect in `onModuleInit` (a Redis that can't be reached stops
 * the boot), start reading in `onApplicationBootstrap` (just before clients are accepted),
 * flush and close in `onApplicationShutdown` (after connections were closed with 1012).
 */
/**
 * How far back a starting instance fills its replay window from the log: the positions of the
 * clients a rolling restart sends it next are up to a heartbeat old, plus their time away.
 */
const REPLAY_FILL_MS = 60_000;

@Injectable()
export class DistributedWsLifecycle
  implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('DistributedWs');

  constructor(
    @Inject(DWS_BROKER) private readonly broker: Broker,
    private readonly connections: ConnectionRegistry,
    private readonly lag: ReaderLag,
    @Inject(DWS_METRICS) private readonly metrics: DwsMetrics,
    private readonly presence: PresenceTracker,
    private readonly window: ReplayWindow,
  ) {}

  async onModuleInit(): Promise<void> {
    this.broker.onStatus((status, error) => {
      if (status === 'down') {
        this.logger.error(
          `Backplane unreachable: ${error?.message ?? 'unknown error'}. Publishes fail until it is back; readers retry.`,
        );
      } else {
        this.logger.log('Backplane reachable again; readers resumed from their last positions.');
      }
    });
    this.broker.onShardReset?.((reset) => {
      const closed = closeOnShardReset(reset, this.connections, (t) => this.broker.shardOf(t));
      this.logger.warn(
        `Shard ${reset.shard} of the backplane has a new epoch (${reset.cause}): positions on it no longer resume` +
          (closed > 0 ? `; ${closed} connection(s) on it closed with 4006 to resume.` : '.'),
      );
    });
    if (typeof this.broker.advanceSession !== 'function') {
      this.logger.warn(
        'The broker has no advanceSession(): a session token superseded by a resume is refused only by the instance that ran that resume; other instances accept it until it expires (sessionTtlMs). Implement Broker.advanceSession to refuse it everywhere.',
      );
    }
    await this.broker.connect();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.broker.start((batch) => {
      // First: a fan-out that throws must not leave a hole in what resumes are answered from.
      this.window.record(batch);
      this.connections.deliver(batch);
      // Once per batch, after the fan-out: the lag includes the delivery itself.
      const now = Date.now();
      this.lag.observe(batch, now);
      this.metrics.delivered(batch, now);
    });
    // Readers deliver only after a round trip to the backplane, so nothing was delivered yet;
    // a batch that was would be behind these positions, and the window starts after it.
    const positions = this.broker.positions();
    this.window.begin(positions);
    // Not awaited: until it is done, resumes read Redis for what the window does not hold yet.
    this.window.fill(this.broker, positions, REPLAY_FILL_MS).catch((error: Error) => {
      this.logger.warn(`Replay window not filled from the backplane: ${error.message}`);
    });
    await this.presence.start();
  }

  async onApplicationShutdown(): Promise<void> {
    // Before the broker closes: the leaves of the closed connections still go out.
    await this.presence.close();
    await this.broker.close();
  }
}
