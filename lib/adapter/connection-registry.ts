import { Injectable } from '@nestjs/common';
import type { BrokerMessage } from '../broker/broker.interface.js';
import { implicitTopics } from '../topics/implicit-topics.js';
import { encodeMessage } from '../protocol/codec.js';
import { SubscriptionIndex } from '../topics/subscription-index.js';
import type { Connection } from './connection.js';
import { applyCommand } from './instance-command.applier.js';
import { textFrame } from './text-frame.js';

/**
 * The connections of this instance and the index of what each receives. Every connection
 * implicitly holds the broadcast topic, its own `$dws/conn/<id>` and, once authenticated,
 * `$dws/user/<userId>`: direct messages are ordinary topics, so they are ordered and replayable.
 */
@Injectable()
export class ConnectionRegistry {
  readonly index = new SubscriptionIndex<Connection>();
  private readonly byId = new Map<string, Connection>();
  /** Live messages handed to connections by `deliver`, ever: read by the metrics at scrape time. */
  deliveries = 0;
  private stamp = 0;
  private batchNo = 0;
  // Delivery state shared with `visit` so the per-message loop allocates no closure.
  private current: BrokerMessage | null = null;
  private currentPayload: Buffer | null = null;
  private currentFrame: Buffer | null = null;
  private corkBatch = false;
  private readonly corked: Connection[] = [];

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Connection | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<Connection> {
    return this.byId.values();
  }

  add(connection: Connection): void {
    if (connection.removed) return;
    this.byId.set(connection.id, connection);
    for (const topic of implicitTopics(connection.id, connection.userId))
      this.index.add(topic, connection);
  }

  remove(connection: Connection): void {
    connection.removed = true;
    this.forget(connection);
    for (const filter of connection.filters) this.index.remove(filter, connection);
    connection.filters.clear();
  }

  /** Moves a connection to another session id (resume adopts the old session); subscriptions stay. */
  rename(connection: Connection, id: string, userId: string | null): void {
    this.forget(connection);
    connection.id = id;
    connection.userId = userId;
    this.add(connection);
  }

  /** Drops the id and the implicit topics; another socket may already hold the id (take-over). */
  private forget(connection: Connection): void {
    if (this.byId.get(connection.id) === connection) this.byId.delete(connection.id);
    for (const topic of implicitTopics(connection.id, connection.userId))
      this.index.remove(topic, connection);
  }

  /** @returns whether it is a new subscription (false too for a connection already removed). */
  subscribe(connection: Connection, filter: string): boolean {
    if (connection.removed || connection.filters.has(filter)) return false;
    connection.filters.add(filter);
    this.index.add(filter, connection);
    return true;
  }

  unsubscribe(connection: Connection, filter: string): boolean {
    if (!connection.filters.delete(filter)) return false;
    this.index.remove(filter, connection);
    return true;
  }

  /**
   * Delivers one batch from the broker. Each message is serialized and framed once (lazily,
   * only if someone here receives it) and the same bytes go to every matching socket. When a
   * batch holds several messages, sockets are corked for it, so that it costs one write per
   * socket, not one per message; a single message needs no cork (one write either way, and
   * corking costs two calls per socket).
   */
  deliver(batch: readonly BrokerMessage[]): void {
    this.batchNo++;
    this.corkBatch = batch.length > 1;
    for (const message of batch) {
      if (message.control !== undefined) {
        applyCommand(this.index.matching(message.topic), message);
        continue;
      }
      this.current = message;
      this.currentPayload = null;
      this.currentFrame = null;
      this.stamp++;
      this.index.forEachMatching(message.topic, this.visit);
    }
    this.current = null;
    this.currentPayload = null;
    this.currentFrame = null;
    for (const connection of this.corked) connection.socket?.uncork();
    this.corked.length = 0;
  }

  private readonly visit = (connection: Connection): void => {
    if (connection.stamp === this.stamp) return;
    connection.stamp = this.stamp;
    const message = this.current!;
    if (this.corkBatch && connection.held === null && connection.corkedBatch !== this.batchNo) {
      connection.corkedBatch = this.batchNo;
      if (connection.socket !== null) {
        connection.socket.cork();
        this.corked.push(connection);
      }
    }
    if (this.currentFrame === null) {
      this.currentPayload = Buffer.from(
        encodeMessage(message.topic, message.payload, message.offset),
      );
      this.currentFrame = textFrame(this.currentPayload);
    }
    connection.deliver(this.currentFrame, this.currentPayload!, message);
    this.deliveries++;
  };
}
