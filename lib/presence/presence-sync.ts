import { Logger } from '@nestjs/common';
import type { Broker } from '../broker/broker.interface.js';
import type { TopicRegistry } from '../explorer/topic-registry.js';
import { encodeCommand } from '../instance-commands/instance-command.js';
import { encodeEvent } from '../protocol/codec.js';
import { ReservedEvent } from '../protocol/frames.js';
import { presenceSettings } from './presence-rules.js';
import type { PresenceChange, PresenceStore } from './presence-store.interface.js';

/**
 * The store's side of presence: its writes and what follows from them (a `presence` frame per
 * join or leave on topics that announce them), and the maintenance loop that renews this
 * instance's entries and repairs them after a failure. A failure is logged once per outage and
 * left to that repair, never to the client.
 */
export class PresenceSync {
  private readonly logger = new Logger('DistributedWs');
  private timer: NodeJS.Timeout | null = null;
  private failing = false;
  /** A renewal slower than its interval (Redis slow) is not overlapped by the next one. */
  private maintaining = false;

  constructor(
    private readonly broker: Broker,
    private readonly store: PresenceStore,
    private readonly topics: TopicRegistry,
  ) {}

  /** Maintains the store now, then every `intervalMs` (once: a second start does nothing). */
  async start(intervalMs: number): Promise<void> {
    if (this.timer) return;
    await this.maintain();
    this.timer = setInterval(() => void this.maintain(), intervalMs);
    this.timer.unref();
  }

  /** Stops the maintenance. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Removes this instance's remaining entries and announces the leaves; never throws. */
  async removeAll(): Promise<void> {
    await this.announce(await this.store.close().catch(() => [])).catch(() => undefined);
  }

  /** A store write, then the changes it made announced; a failure is logged, never thrown. */
  async write<T>(run: () => Promise<T>, changes: (result: T) => PresenceChange[]): Promise<void> {
    try {
      await this.announce(changes(await run()));
    } catch (error) {
      this.report(error);
    }
  }

  private async maintain(): Promise<void> {
    if (this.maintaining) return;
    this.maintaining = true;
    try {
      await this.announce(await this.store.maintain());
      if (this.failing) this.logger.log('Presence storage reachable again; entries repaired.');
      this.failing = false;
    } catch (error) {
      this.report(error);
    } finally {
      this.maintaining = false;
    }
  }

  /** Sends a `presence` frame per change on topics that announce joins and leaves. */
  private async announce(changes: PresenceChange[]): Promise<void> {
    const control = encodeCommand({ op: 'presence' });
    const publishes = changes
      .filter(({ topic }) => presenceSettings(this.topics, topic)?.joinLeave)
      .map(({ topic, action, member }) =>
        this.broker.publish({
          topic,
          payload: encodeEvent(ReservedEvent.Presence, { topic, action, member }),
          control,
        }),
      );
    await Promise.all(publishes);
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
