import { Inject, Injectable } from '@nestjs/common';
import { RuntimeOptions } from '../distributed-ws.config.js';
import type { Broker } from '../broker/broker.interface.js';
import { BrokerUnavailableError } from '../errors/broker-unavailable.error.js';
import { DWS_BROKER } from '../distributed-ws.constants.js';
import { TopicRegistry } from '../explorer/topic-registry.js';
import type { PresenceAck, PresenceMember } from '../protocol/frames.js';
import type { ProtocolError } from '../protocol/protocol.error.js';
import { PresenceHolding } from './presence-holding.js';
import {
  checkPresenceInfo,
  infoTotalRefusal,
  presenceInfoBytes,
  presenceRefusal,
  presenceSettings,
} from './presence-rules.js';
import { DWS_PRESENCE_STORE, type PresenceStore } from './presence-store.interface.js';
import type { PresenceParticipant } from './presence-participant.interface.js';
import { PresenceSync } from './presence-sync.js';

// Bounds how long shutdown waits for the leaves of the connections it closed.
const SHUTDOWN_WAIT_MS = 2000;

/**
 * Presence of this instance's connections (`@Topic({ presence })`): adds and removes their
 * entries as they subscribe, unsubscribe, resume and close, announces joins and leaves, and
 * runs the store's maintenance ({@link PresenceSync}). Entries change only on those events and
 * every third of `presenceTtlMs`: a delivery never touches presence.
 *
 * Changes of one connection run in its reserved-event queue (`PresenceParticipant.queue`), so
 * that a close is applied after the subscribe that preceded it, never before.
 */
@Injectable()
export class PresenceTracker {
  private readonly tracked = new Map<PresenceParticipant, PresenceHolding>();
  private readonly closing = new Set<Promise<unknown>>();
  private readonly sync: PresenceSync;

  constructor(
    @Inject(DWS_BROKER) broker: Broker,
    @Inject(DWS_PRESENCE_STORE) private readonly store: PresenceStore,
    private readonly topics: TopicRegistry,
    private readonly runtime: RuntimeOptions,
  ) {
    this.sync = new PresenceSync(broker, store, topics, runtime.options.presenceWindowMs);
  }

  /** Starts the maintenance, only when some topic tracks presence. */
  async start(): Promise<void> {
    if (!this.topics.topics.some((t) => t.presence)) return;
    await this.sync.start(this.runtime.options.presenceTtlMs / 3);
  }

  /** Waits (bounded) for the leaves of closed connections, then removes what is left. */
  async close(): Promise<void> {
    this.sync.stop();
    const wait = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref());
    await Promise.race([Promise.all(this.closing), wait]);
    await this.sync.removeAll();
  }

  /** See {@link presenceRefusal}. */
  refusal(topic: unknown): ProtocolError | null {
    return presenceRefusal(this.topics, topic, this.runtime.options.maxTopicLength);
  }

  /** See {@link checkPresenceInfo}: bounded by `maxPresenceInfoBytes`. */
  checkInfo(info: unknown): unknown {
    return checkPresenceInfo(info, this.runtime.options.maxPresenceInfoBytes);
  }

  /**
   * The info of a subscription to `topic`, checked alone ({@link checkInfo}) and against what the
   * connection holds on its other topics (`maxPresenceInfoBytesPerConnection`); the info it has
   * on `topic` already is replaced, not added to. Call it before subscribing: a refused
   * subscription stores nothing.
   * @throws ProtocolError `DWS_ERR_BAD_REQUEST` past either limit.
   */
  admitInfo(connection: PresenceParticipant, topic: string, info: unknown): unknown {
    const checked = this.checkInfo(info);
    if (checked === null || !presenceSettings(this.topics, topic)) return checked;
    const total = this.infoBytesWith(connection, topic, presenceInfoBytes(checked));
    const max = this.runtime.options.maxPresenceInfoBytesPerConnection;
    if (total > max) throw infoTotalRefusal(total, max);
    return checked;
  }

  /**
   * Enters the connection in `topic` when it tracks presence (again: new `info` replaces the old).
   * @returns whether the topic tracks presence.
   */
  async joined(connection: PresenceParticipant, topic: string, info: unknown): Promise<boolean> {
    const settings = presenceSettings(this.topics, topic);
    if (!settings) return false;
    if (!connection.open) return true;
    const member = { connectionId: connection.id, userId: connection.userId, info };
    this.entriesOf(connection).set(topic, member, presenceInfoBytes(info));
    await this.sync.write(
      () => this.store.join(topic, member, connection.incarnation),
      (isNew) => (isNew ? [{ topic, action: 'join', member }] : []),
    );
    return true;
  }

  /** Takes the connection out of `topic`, if it was in. */
  async left(connection: PresenceParticipant, topic: string): Promise<void> {
    const member = this.tracked.get(connection)?.get(topic);
    if (!member) return;
    this.tracked.get(connection)!.delete(topic);
    await this.remove(connection, topic, member.connectionId);
  }

  /**
   * After a resume renamed the connection: entries made under its previous id move to the
   * session's, and every restored presence topic is entered with `info[topic]` (or the info it
   * had).
   */
  async resumed(connection: PresenceParticipant, info: Record<string, unknown>): Promise<void> {
    const entries = this.tracked.get(connection) ?? new PresenceHolding();
    const previous = new Map(entries.list().map(([topic, member]) => [topic, member.info]));
    for (const [topic, member] of entries.list()) {
      if (member.connectionId === connection.id) continue;
      entries.delete(topic);
      await this.remove(connection, topic, member.connectionId);
    }
    const max = this.runtime.options.maxPresenceInfoBytesPerConnection;
    for (const filter of connection.filters) {
      const given = (Object.hasOwn(info, filter) ? info[filter] : previous.get(filter)) ?? null;
      // Past the connection's total, the topic is restored without its info.
      const fits = this.infoBytesWith(connection, filter, presenceInfoBytes(given)) <= max;
      await this.joined(connection, filter, fits ? given : null);
    }
  }

  /**
   * Every connection present on `topic`, on every instance.
   * @throws BrokerUnavailableError when the storage cannot be read.
   */
  members(topic: string): Promise<PresenceMember[]> {
    return this.read(topic, () => this.store.members(topic));
  }

  /**
   * The answer to a client's `presence` request: at most `maxPresenceAnswerMembers` members, read
   * without reading the others; past it, `truncated` and the topic's `total` entries.
   * @throws BrokerUnavailableError when the storage cannot be read.
   */
  answer(topic: string): Promise<Omit<PresenceAck, 'topic'>> {
    const max = this.runtime.options.maxPresenceAnswerMembers;
    return this.read(topic, async () => {
      const members = await this.store.members(topic, max + 1);
      if (members.length <= max) return { members };
      const total = Math.max(await this.store.count(topic), members.length);
      return { members: members.slice(0, max), truncated: true as const, total };
    });
  }

  private async read<T>(topic: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new BrokerUnavailableError(`Presence of "${topic}" could not be read: ${reason}`, {
        cause: error,
      });
    }
  }

  private infoBytesWith(connection: PresenceParticipant, topic: string, bytes: number): number {
    return this.tracked.get(connection)?.infoBytesWith(topic, bytes) ?? bytes;
  }

  /** The connection's entries; the first one also arranges their removal when it closes. */
  private entriesOf(connection: PresenceParticipant): PresenceHolding {
    let entries = this.tracked.get(connection);
    if (entries) return entries;
    this.tracked.set(connection, (entries = new PresenceHolding()));
    connection.onClose(() => {
      const done = (connection.queue = connection.queue.then(() => this.disconnected(connection)));
      this.closing.add(done);
      void done.then(() => this.closing.delete(done));
    });
    return entries;
  }

  private async disconnected(connection: PresenceParticipant): Promise<void> {
    const entries = this.tracked.get(connection);
    this.tracked.delete(connection);
    for (const [topic, member] of entries?.list() ?? []) {
      await this.remove(connection, topic, member.connectionId);
    }
  }

  private remove(connection: PresenceParticipant, topic: string, id: string): Promise<void> {
    return this.sync.write(
      () => this.store.leave(topic, id, connection.incarnation),
      (member) => (member ? [{ topic, action: 'leave', member }] : []),
    );
  }
}
