import { describe, expect, it } from '@jest/globals';
import type { MessageHandler } from '../../../lib/client/index.js';
import { MessageRecorder, TestingTimeoutError } from '../../../lib/testing/index.js';

/** A recorder fed by hand: `deliver(n)` plays the server sending message `n`. */
function recorder() {
  let handler: MessageHandler<{ n: number }> = () => undefined;
  let unsubscribed = 0;
  const recording = new MessageRecorder<{ n: number }>('"news/+"', (record) => {
    handler = record;
    return () => unsubscribed++;
  });
  const deliver = (n: number) => handler({ n }, { topic: `news/${n}`, offset: `0:1:${n}` });
  return { recording, deliver, unsubscribed: () => unsubscribed };
}

describe('MessageRecorder', () => {
  it('returns messages already received, then waits for the next ones, in order', async () => {
    const { recording, deliver } = recorder();
    deliver(1);
    expect(await recording.next()).toEqual({ payload: { n: 1 }, topic: 'news/1', offset: '0:1:1' });
    const pending = [recording.next(), recording.next()];
    deliver(2);
    deliver(3);
    expect((await Promise.all(pending)).map((m) => m.payload.n)).toEqual([2, 3]);
    expect(recording.messages.map((m) => m.payload.n)).toEqual([1, 2, 3]);
  });

  it('takes several messages at once', async () => {
    const { recording, deliver } = recorder();
    const three = recording.take(3);
    [1, 2, 3, 4].forEach(deliver);
    expect((await three).map((m) => m.topic)).toEqual(['news/1', 'news/2', 'news/3']);
    expect((await recording.next()).topic).toBe('news/4');
  });

  it('rejects with a message saying which message did not arrive', async () => {
    const { recording, deliver } = recorder();
    deliver(1);
    await recording.next();
    const error = await recording.next({ timeoutMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestingTimeoutError);
    expect((error as Error).message).toBe(
      'Timed out after 30 ms waiting for message #2 on "news/+" (1 received).',
    );
    await expect(recording.take(2, { timeoutMs: 30 })).rejects.toThrow(
      'Timed out after 30 ms waiting for messages #3-#4 on "news/+" (1 received).',
    );
  });

  it('refuses a count or a timeout that makes no sense', async () => {
    const { recording } = recorder();
    expect(() => recording.take(0)).toThrow('`count` must be a positive integer, got 0.');
    await expect(recording.next({ timeoutMs: -1 })).rejects.toThrow(
      '`timeoutMs` must be a positive number of ms, got -1.',
    );
  });

  it('unsubscribes once, however often it is stopped', () => {
    const { recording, unsubscribed } = recorder();
    recording.stop();
    recording.stop();
    expect(unsubscribed()).toBe(1);
  });
});
