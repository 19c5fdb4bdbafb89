import { Logger } from '@nestjs/common';
import type { Broker } from '../broker/broker.interface.js';
import type { TopicRegistry } from '../explorer/topic-registry.js';
import { encodeCommand } from '../instance-commands/instance-command.js';
import { encodeEvent } from '../protocol/codec.js';
import { ReservedEvent } from '../protocol/frames.js';
import { PresenceCoalescer } from './presence-coalescer.js';
import { presenceSettings } from './presence-rules.js';
import type { PresenceChange, PresenceStore } from './presence-store.interface.js';

/**
 * After the backplane came back, a maintenance that failed (the store's connection not ready
 * yet) is tried again this often until one succeeds, rather than at the next heartbeat.
 */
const REPAIR_RETRY_MS = 250;

/**
 * The store's side of presence: its writes and what follows from them (a `presence` frame per
 * join or leave that stands, on topics that announce them, gathered by {@link PresenceCoalescer}),
 * and the maintenance that renews this instance's entries and repairs them: every third of the
 * TTL, and at once when the backplane is back or the store finds its liveness lapsed (Redis
 * restarted empty). A failure is logged once per outage and left to that repair, never to the
 * client.
 */
export class PresenceSync {
  private readonly logger = new Logger('DistributedWs');
  private readonly coalescer: PresenceCoalescer;
  private readonly publishing = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private failing = false;
  /** A renewal slower than its interval (Redis slow) is not overlapped by the next one. */
  private maintaining = false;
  /** A repair asked for while one runs: run once more after it. */
  private again = false;
  /** A repair was asked for (backplane back, liveness lapsed): retried until one succeeds. */
  private urgent = false;

  constructor(
    private readonly broker: Broker,
    private readonly store: PresenceStore,
    private readonly topics: TopicRegistry,
    windowMs: number,
  ) {
    this.coalescer = new PresenceCoalescer(windowMs, (changes) => this.publish(changes));
  }

  /**
   * Maintains the store now, then every `intervalMs`, and at once whenever the backplane is back
   * or the store asks for it (once: a second start does nothing).
   */
  async start(intervalMs: number): Promise<void> {
    if (this.timer) return;
    this.timer = setInterval(() => void this.maintain(), intervalMs);
    this.timer.unref();
    if (typeof this.broker.onStatus === 'function') {
      this.broker.onStatus((status) => status === 'up' && this.repairNow());
    }
    this.store.onRepairNeeded?.(() => this.repairNow());
    await this.maintain();
  }

  /** Stops the maintenance. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearTimeout(this.retry);
    this.timer = this.retry = null;
  }

  /**
   * Removes this instance's remaining entries and announces the leaves, together with every
   * change still gathered, without waiting for their windows; never throws.
   */
  async removeAll(): Promise<void> {
    this.gather(await this.store.close().catch(() => []));
    this.coalescer.flush();
    await Promise.all(this.publishing);
  }

  /** A store write, then the changes it made gathered for announcing; a failure is logged, never thrown. */
  async write<T>(run: () => Promise<T>, changes: (result: T) => PresenceChange[]): Promise<void> {
    try {
      this.gather(changes(await run()));
    } catch (error) {
      this.report(error);
    }
  }

  /** Maintains as soon as possible, and again every {@link REPAIR_RETRY_MS} until it succeeds. */
  private repairNow(): void {
    if (!this.timer) return;
    this.urgent = true;
    void this.maintain();
  }

  private async maintain(): Promise<void> {
    if (this.maintaining) {
      this.again = true;
      return;
    }
    this.maintaining = true;
    try {
      this.gather(await this.store.maintain());
      if (this.failing) this.logger.log('Presence storage reachable again; entries repaired.');
      this.failing = false;
      this.urgent = false;
    } catch (error) {
      this.report(error);
      if (this.urgent && this.timer && !this.retry) {
        this.retry = setTimeout(() => {
          this.retry = null;
          void this.maintain();
        }, REPAIR_RETRY_MS);
        this.retry.unref();
      }
    } finally {
      this.maintaining = false;
    }
    if (this.again) {
      this.again = false;
      await this.maintain();
    }
  }

  /** Changes on topics that announce joins and leaves go to the coalescer; others to nobody. */
  private gather(changes: PresenceChange[]): void {
    this.coalescer.add(
      changes.filter(({ topic }) => presenceSettings(this.topics, topic)?.joinLeave),
    );
  }

  /** One `presence` frame per change that stood through its window, in order (one shard). */
  private publish(changes: PresenceChange[]): void {
    const control = encodeCommand({ op: 'presence' });
    for (const { topic, action, member } of changes) {
      const published = this.broker
        .publish({
          topic,
          payload: encodeEvent(ReservedEvent.Presence, { topic, action, member }),
          control,
        })
        .catch((error: unknown) => this.report(error))
        .finally(() => this.publishing.delete(published));
      this.publishing.add(published);
    }
  }

  private report(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.warn(
      `Presence update failed (${reason}); entries are repaired once the backplane is back.`,
    );
  }
}
