import type {
  DistributedWsClient,
  MessageHandler,
  MessageMeta,
  PayloadOf,
  Subscription,
  TopicMap,
} from '../client/index.js';
import { type WaitOptions, within } from './deadline.js';

/** A message as a subscription handler received it. */
export interface ReceivedMessage<T = unknown> extends MessageMeta {
  payload: T;
}

/**
 * The messages one subscription (or a client's direct messages) received, in arrival order, and
 * a way to await the next ones. Made by {@link recordMessages} or {@link recordDirectMessages}.
 */
export class MessageRecorder<T = unknown> {
  /** Every message received so far, read or not. */
  readonly messages: ReceivedMessage<T>[] = [];
  private claimed = 0;
  private readonly waiters = new Set<() => void>();
  private unsubscribe: (() => void) | null;

  /**
   * @param source what is recorded, for timeout messages: `"chat/rooms/+"` or `direct messages`.
   * @param listen registers the recording handler; returns what removes it.
   */
  constructor(
    readonly source: string,
    listen: (record: MessageHandler<T>) => () => void,
  ) {
    this.unsubscribe = listen((payload, meta) => {
      this.messages.push({ payload, topic: meta.topic, offset: meta.offset });
      for (const check of [...this.waiters]) check();
    });
  }

  /**
   * The next message not yet returned by `next` or `take`: one already received, or the next to
   * arrive. Calls made together get consecutive messages.
   * @throws TestingTimeoutError (rejects) when none arrives within `timeoutMs`.
   * @example
   * const lobby = await recordMessages(bob, 'chat/rooms/lobby');
   * await alice.publish('chat/rooms/lobby', { text: 'hi' });
   * expect((await lobby.next()).payload.text).toBe('hi');
   */
  async next(options: WaitOptions = {}): Promise<ReceivedMessage<T>> {
    const [message] = await this.take(1, options);
    return message;
  }

  /**
   * The next `count` unread messages, in arrival order.
   * @throws TestingTimeoutError (rejects) when fewer arrive within `timeoutMs`.
   */
  take(count: number, options: WaitOptions = {}): Promise<ReceivedMessage<T>[]> {
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`\`count\` must be a positive integer, got ${count}.`);
    }
    const from = this.claimed;
    this.claimed += count;
    const to = from + count;
    return within(
      options.timeoutMs,
      (ms) =>
        `Timed out after ${ms} ms waiting for ${count === 1 ? `message #${to}` : `messages #${from + 1}-#${to}`} on ${this.source} (${this.messages.length} received).`,
      ({ resolve }) => {
        const check = () => {
          if (this.messages.length >= to) resolve(this.messages.slice(from, to));
        };
        this.waiters.add(check);
        check();
        return () => this.waiters.delete(check);
      },
    );
  }

  /** Stops recording: unsubscribes the handler (the server subscription goes with the last one). */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}

/** Options of {@link recordMessages}. */
export interface RecordMessagesOptions extends WaitOptions {
  /**
   * What other clients see about this one in the topic's presence (the SDK's `subscribe` option).
   * @default none
   */
  info?: unknown;
}

/**
 * Subscribes `client` to `pattern` and records what it receives. Resolves once the server has
 * accepted the subscription, so a message published after that is sure to be recorded.
 *
 * @returns the recorder; `stop()` it to unsubscribe (closing the client does too).
 * @throws DwsClientError (rejects) with the server's refusal, e.g. `DWS_ERR_FORBIDDEN`
 *   (the SDK also emits it as an `error` event); `DWS_ERR_INVALID_TOPIC` for a malformed pattern.
 * @throws TestingTimeoutError (rejects) when the server does not answer within `timeoutMs`.
 * @example
 * const rooms = await recordMessages(bob, 'chat/rooms/+');
 * await alice.publish('chat/rooms/lobby', { text: 'hi' });
 * const { payload, topic } = await rooms.next();
 */
export async function recordMessages<Topics extends TopicMap, P extends string>(
  client: DistributedWsClient<Topics, any>,
  pattern: P,
  options: RecordMessagesOptions = {},
): Promise<MessageRecorder<PayloadOf<Topics, P>>> {
  let subscription!: Subscription;
  const recorder = new MessageRecorder<PayloadOf<Topics, P>>(`"${pattern}"`, (record) => {
    subscription = client.subscribe(pattern, record, { info: options.info });
    return subscription;
  });
  try {
    await within(
      options.timeoutMs,
      (ms) => `Timed out after ${ms} ms waiting for the server to accept "${pattern}".`,
      ({ resolve, reject }) => void subscription.ready.then(resolve, reject),
    );
  } catch (error) {
    recorder.stop();
    throw error;
  }
  return recorder;
}

/**
 * Records the direct messages of `client` (`$dws/broadcast`, `$dws/conn/<id>`,
 * `$dws/user/<userId>`): what `Broadcaster.broadcast`, `sendToConnection` and `sendToUser` send.
 * Starts at once: no server round trip is involved.
 *
 * @example
 * const inbox = recordDirectMessages(alice);
 * await app.get(Broadcaster).sendToConnection(alice.connectionId!, { hello: 'alice' });
 * expect((await inbox.next()).payload).toEqual({ hello: 'alice' });
 */
export function recordDirectMessages(
  client: Pick<DistributedWsClient<any, any>, 'onDirect'>,
): MessageRecorder<unknown> {
  return new MessageRecorder<unknown>('direct messages', (record) => client.onDirect(record));
}
